//! Writers: one participant a line (NDJSON) or a CSV row.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::value::RawValue;
use zoom_participants::Participant;

use super::args::Format;

/// Writes participants in the chosen format; `tagged` adds a `webinar_id` field/column.
///
/// Each row is formatted whole into a scratch buffer and handed to the output in one
/// write, so that a buffered output only ever flushes whole lines: a run that is killed
/// leaves complete lines behind.
pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    tagged: bool,
    row: Vec<u8>,
}

#[derive(Serialize)]
struct Tagged<'a> {
    webinar_id: &'a str,
    #[serde(flatten)]
    participant: &'a Participant,
}

impl<W: Write> RowWriter<W> {
    pub fn new(out: W, format: Format, tagged: bool) -> io::Result<Self> {
        let mut writer = RowWriter {
            out,
            format,
            tagged,
            row: Vec::with_capacity(4096),
        };
        if format == Format::Csv {
            let id = tagged.then_some("webinar_id");
            let header = id
                .into_iter()
                .chain(Participant::FIELDS.iter().copied())
                .chain(["extra"]);
            writer.csv_row(header)?;
        }
        Ok(writer)
    }

    pub fn write(&mut self, webinar_id: &str, participant: &Participant) -> io::Result<()> {
        match self.format {
            Format::Ndjson => {
                if self.tagged {
                    let row = Tagged {
                        webinar_id,
                        participant,
                    };
                    serde_json::to_writer(&mut self.row, &row)?;
                } else {
                    serde_json::to_writer(&mut self.row, participant)?;
                }
                self.row.push(b'\n');
                self.emit()
            }
            Format::Csv => {
                let cells = csv_record(participant)?;
                let id = self.tagged.then(|| webinar_id.to_owned());
                self.csv_row(id.into_iter().chain(cells))
            }
        }
    }

    fn csv_row<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(&mut self, cells: I) -> io::Result<()> {
        {
            let mut csv = csv::WriterBuilder::new()
                .buffer_capacity(1024)
                .from_writer(&mut self.row);
            csv.write_record(cells)?;
            csv.flush()?;
        }
        self.emit()
    }

    fn emit(&mut self) -> io::Result<()> {
        let result = self.out.write_all(&self.row);
        self.row.clear();
        result
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A participant as CSV cells, in the order of [`Participant::FIELDS`], then `extra`:
/// strings as they are, booleans and numbers as text, arrays and objects as JSON text,
/// absent fields empty; `extra` holds the fields the model does not know as one JSON object,
/// each value exactly as Zoom wrote it. A known field whose value did not have the
/// documented type has that value, as Zoom wrote it, in its own column.
pub fn csv_record(participant: &Participant) -> io::Result<Vec<String>> {
    // Through raw JSON, not `serde_json::Value`: a value such as `1e400` or a 30-digit
    // number must reach the cell as Zoom wrote it.
    let text = serde_json::to_string(participant)?;
    let mut map: BTreeMap<String, Box<RawValue>> = serde_json::from_str(&text)?;
    let mut cells: Vec<String> = Participant::FIELDS
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
