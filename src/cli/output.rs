//! Row encoders: NDJSON (rows passed through as Zoom sent them, or serialized) and CSV.

use std::borrow::Cow;
use std::fmt;
use std::io;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use zoom_participants::RawRow;

use super::args::Format;
use super::cells::RowCells;
use super::csv_writer::{cell_of_json, csv_cell, csv_line, end_line};

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

    /// Tags of which one or some are set: the JSON carries those, the CSV a cell for each
    /// (empty where unset), so that rows of a webinar and of a meeting share the columns.
    pub fn one_of(values: Vec<(&'static str, Option<String>)>) -> Tags {
        let cells = values
            .iter()
            .map(|(_, v)| v.clone().unwrap_or_default())
            .collect();
        let json = values
            .into_iter()
            .filter_map(|(k, v)| Some((k, serde_json::Value::String(v?).to_string())))
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
    fields: Vec<&'static str>,
}

impl Encoder {
    pub fn new(format: Format, tag_names: Vec<&'static str>, fields: Vec<&'static str>) -> Self {
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
            .chain(&self.fields)
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
                let start = out.len();
                for (n, cell) in tags.cells.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    csv_cell(cell, out);
                }
                if let Err(err) = csv_record(row, &self.fields, !tags.cells.is_empty(), out) {
                    out.truncate(start);
                    return Err(err);
                }
                end_line(start, out);
                Ok(())
            }
        }
    }
}

/// Appends a row's cells, in the order of `fields`, then `extra` (after a delimiter when
/// `after_cells`): strings as they are, booleans and numbers as text, arrays and objects as
/// JSON text, absent fields empty; `extra` holds the fields the model does not know as one
/// JSON object, each value exactly as Zoom wrote it. A known field whose value did not have
/// the documented type has that value, as Zoom wrote it, in its own column.
fn csv_record<T: Serialize>(
    row: &T,
    fields: &[&str],
    after_cells: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let mut cells = RowCells::new(fields);
    match row.serialize(&mut cells) {
        Ok(()) => cells.write(after_cells, out),
        // A row this reader does not take (a key that is not a string): the long way.
        Err(_) => csv_record_through_json(row, fields, after_cells, out),
    }
}

/// As [`csv_record`], through the row's JSON text.
fn csv_record_through_json<T: Serialize>(
    row: &T,
    fields: &[&str],
    after_cells: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    // Through raw JSON, not `serde_json::Value`: a value such as `1e400` or a 30-digit
    // number must reach the cell as Zoom wrote it. The members are borrowed from the text,
    // in name order; of two members with one name, the last counts.
    let text = serde_json::to_string(row)?;
    let Members(members) = serde_json::from_str(&text)?;
    // Each member to its column; a row serializes its fields in the order of `fields`,
    // so the next column is tried first.
    let mut columns: Vec<Option<&RawValue>> = vec![None; fields.len()];
    let mut rest: Vec<(Cow<'_, str>, &RawValue)> = Vec::new();
    let mut next = 0;
    for (name, value) in members {
        let column = if fields.get(next) == Some(&name.as_ref()) {
            Some(next)
        } else {
            fields.iter().position(|field| *field == name)
        };
        match column {
            Some(column) => {
                columns[column] = Some(value);
                next = column + 1;
            }
            None => rest.push((name, value)),
        }
    }
    for (n, value) in columns.into_iter().enumerate() {
        if n > 0 || after_cells {
            out.push(b',');
        }
        if let Some(value) = value {
            csv_cell(&cell(value), out);
        }
    }
    if !fields.is_empty() || after_cells {
        out.push(b',');
    }
    // The other members in name order, as a map of them would hold them.
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    rest.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
    let mut rest = rest.into_iter().peekable();
    if rest.peek().is_some() {
        let mut object = String::from("{");
        for (n, (name, raw)) in rest.enumerate() {
            if n > 0 {
                object.push(',');
            }
            object.push_str(&serde_json::to_string(&name)?);
            object.push(':');
            object.push_str(raw.get());
        }
        object.push('}');
        csv_cell(&object, out);
    }
    Ok(())
}

/// The top-level members of a JSON object, names and values borrowed from its text where
/// they can be.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(64).min(256));
        while let Some(Name(name)) = map.next_key()? {
            members.push((name, map.next_value()?));
        }
        Ok(Members(members))
    }
}

/// A member's name, borrowed unless it holds an escape.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(NameVisitor)
    }
}

struct NameVisitor;

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Borrowed(name)))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(name.to_owned())))
    }

    fn visit_string<E: de::Error>(self, name: String) -> Result<Name<'de>, E> {
        Ok(Name(Cow::Owned(name)))
    }
}

/// A value's cell: a string's text, anything else its JSON text.
fn cell(raw: &RawValue) -> Cow<'_, str> {
    cell_of_json(raw.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the `csv` crate writes for one record with its default settings.
    fn by_csv_crate(cells: &[&str]) -> Vec<u8> {
        let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
        csv.write_record(cells).unwrap();
        csv.into_inner().unwrap()
    }

    #[test]
    fn csv_lines_are_written_as_the_csv_crate_writes_them() {
        let records: &[&[&str]] = &[
            &["a", "b"],
            &["", ""],
            &[""],
            &[
                "with, comma",
                "with \"quotes\"",
                "line\nbreak",
                "cr\rhere",
                "'single'",
            ],
            &[
                "\"",
                ",",
                "é ü 中",
                " lead and trail ",
                "tab\there",
                "#hash",
            ],
        ];
        for record in records {
            let mut out = Vec::new();
            csv_line(record.iter().copied(), &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(by_csv_crate(record)).unwrap(),
                "{record:?}"
            );
        }
    }

    /// The encoder as it was before it wrote cells itself: every row through a
    /// `BTreeMap` of raw values and a `csv::Writer`.
    fn reference<T: Serialize>(row: &T, fields: &[&str]) -> Vec<u8> {
        use std::collections::BTreeMap;
        let text = serde_json::to_string(row).unwrap();
        let mut map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(&text).unwrap();
        let old_cell = |raw: &RawValue| {
            let text = raw.get();
            if text.starts_with('"')
                && let Ok(unescaped) = serde_json::from_str::<String>(text)
            {
                return unescaped;
            }
            if text == "null" {
                return String::new();
            }
            text.to_owned()
        };
        let mut cells: Vec<String> = ["tag, one".to_owned()]
            .into_iter()
            .chain(fields.iter().map(|field| {
                map.remove(*field)
                    .map(|raw| old_cell(&raw))
                    .unwrap_or_default()
            }))
            .collect();
        cells.push(if map.is_empty() {
            String::new()
        } else {
            let members: Vec<String> = map
                .iter()
                .map(|(name, raw)| {
                    format!("{}:{}", serde_json::to_string(name).unwrap(), raw.get())
                })
                .collect();
            format!("{{{}}}", members.join(","))
        });
        by_csv_crate(&cells.iter().map(String::as_str).collect::<Vec<_>>())
    }

    #[test]
    fn csv_rows_are_the_cells_the_csv_crate_wrote_before() {
        use zoom_participants::Participant;
        use zoom_participants::fake::FakeZoom;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let zoom = runtime
            .block_on(FakeZoom::builder().webinar("w", 40).start())
            .unwrap();
        let mut rows = zoom.expected_participants("w", true);
        for odd in [
            r#"{"id":"a","user_name":1e400,"duration":"12","extra, one":"\ud800","z":{"k":[1,2]},"leave_time":"","status":null}"#,
            r#"{"id":"line\nbreak \"quoted\"","email":"\u00e9\ud83d\ude00","attentiveness_score":"","custom":[1,"two",null]}"#,
            r#"{}"#,
        ] {
            rows.push(serde_json::from_str::<Participant>(odd).unwrap());
        }
        let encoder = Encoder::new(Format::Csv, vec!["tag"], Participant::FIELDS.to_vec());
        let tags = Tags::new(vec![("tag", serde_json::json!("tag, one"))]);
        for row in &rows {
            let mut out = Vec::new();
            encoder.typed(row, &tags, &mut out).unwrap();
            let want = String::from_utf8(reference(row, Participant::FIELDS)).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want);
            // The long way, for rows the cells reader does not take.
            let mut out = Vec::new();
            csv_cell("tag, one", &mut out);
            csv_record_through_json(row, Participant::FIELDS, true, &mut out).unwrap();
            end_line(0, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
