//! Row encoders: NDJSON (rows passed through as Zoom sent them, or serialized) and CSV.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use serde_json::value::RawValue;
use zoom_participants::RawRow;

use super::args::Format;

/// Fields a row carries besides its own: which webinar (instance) it belongs to. NDJSON
/// puts them first in each object, CSV in the leading columns.
#[derive(Debug, Clone, Default)]
pub struct Tags {
    /// Name and JSON text of each value.
    json: Vec<(&'static str, String)>,
    cells: Vec<String>,
}

impl Tags {
    pub fn new(values: Vec<(&'static str, serde_json::Value)>) -> Tags {
        let cells = values
            .iter()
            .map(|(_, v)| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        let json = values
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        Tags { json, cells }
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        self.json.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// Encodes rows of one kind in one format; each row whole, newline included, so that the
/// output only ever receives whole lines.
pub struct Encoder {
    format: Format,
    tag_names: Vec<&'static str>,
    fields: &'static [&'static str],
}

impl Encoder {
    pub fn new(
        format: Format,
        tag_names: Vec<&'static str>,
        fields: &'static [&'static str],
    ) -> Self {
        Encoder {
            format,
            tag_names,
            fields,
        }
    }

    /// The CSV header line (none for NDJSON).
    pub fn header(&self) -> io::Result<Option<Vec<u8>>> {
        if self.format != Format::Csv {
            return Ok(None);
        }
        let cells = self
            .tag_names
            .iter()
            .chain(self.fields)
            .copied()
            .chain(["extra"]);
        let mut out = Vec::new();
        csv_line(cells, &mut out)?;
        Ok(Some(out))
    }

    /// A row as Zoom sent it (NDJSON only).
    pub fn raw(&self, row: &RawRow, tags: &Tags, out: &mut Vec<u8>) {
        row.write_json(&tags.pairs(), out);
        out.push(b'\n');
    }

    /// A typed row: serialized (NDJSON), or cells (CSV).
    pub fn typed<T: Serialize>(&self, row: &T, tags: &Tags, out: &mut Vec<u8>) -> io::Result<()> {
        match self.format {
            Format::Ndjson => {
                let text = serde_json::to_string(row)?;
                out.push(b'{');
                for (n, (name, value)) in tags.json.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(serde_json::to_string(name)?.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(value.as_bytes());
                }
                let body = text.strip_prefix('{').unwrap_or(&text);
                if !tags.json.is_empty() && body != "}" {
                    out.push(b',');
                }
                out.extend_from_slice(body.as_bytes());
                out.push(b'\n');
                Ok(())
            }
            Format::Csv => {
                let cells = csv_record(row, self.fields)?;
                csv_line(
                    tags.cells
                        .iter()
                        .map(String::as_str)
                        .chain(cells.iter().map(String::as_str)),
                    out,
                )
            }
        }
    }
}

fn csv_line<'a>(cells: impl IntoIterator<Item = &'a str>, out: &mut Vec<u8>) -> io::Result<()> {
    let mut csv = csv::WriterBuilder::new()
        .buffer_capacity(1024)
        .from_writer(out);
    csv.write_record(cells)?;
    csv.flush()
}

/// A row as CSV cells, in the order of `fields`, then `extra`:
/// strings as they are, booleans and numbers as text, arrays and objects as JSON text,
/// absent fields empty; `extra` holds the fields the model does not know as one JSON object,
/// each value exactly as Zoom wrote it. A known field whose value did not have the
/// documented type has that value, as Zoom wrote it, in its own column.
pub fn csv_record<T: Serialize>(row: &T, fields: &[&str]) -> io::Result<Vec<String>> {
    // Through raw JSON, not `serde_json::Value`: a value such as `1e400` or a 30-digit
    // number must reach the cell as Zoom wrote it.
    let text = serde_json::to_string(row)?;
    let mut map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(&text)?;
    let mut cells: Vec<String> = fields
        .iter()
        .map(|field| map.remove(*field).map(|raw| cell(&raw)).unwrap_or_default())
        .collect();
    cells.push(if map.is_empty() {
        String::new()
    } else {
        let mut object = String::from("{");
        for (n, (name, raw)) in map.iter().enumerate() {
            if n > 0 {
                object.push(',');
            }
            object.push_str(&serde_json::to_string(name)?);
            object.push(':');
            object.push_str(raw.get());
        }
        object.push('}');
        object
    });
    Ok(cells)
}

/// A value's cell: a string's text, anything else its JSON text.
fn cell(raw: &RawValue) -> String {
    let text = raw.get();
    if text.starts_with('"') {
        if let Ok(unescaped) = serde_json::from_str::<String>(text) {
            return unescaped;
        }
    }
    if text == "null" {
        return String::new();
    }
    text.to_owned()
}
