//! Writers: one participant a line (NDJSON) or a CSV row.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value};
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
/// absent fields empty; `extra` holds the fields the model does not know as one JSON object.
pub fn csv_record(participant: &Participant) -> io::Result<Vec<String>> {
    let Value::Object(mut map) = serde_json::to_value(participant)? else {
        return Err(io::Error::other(
            "a participant did not serialize to an object",
        ));
    };
    let mut cells: Vec<String> = Participant::FIELDS
        .iter()
        .map(|field| cell(map.remove(*field)))
        .collect();
    let extra: Map<String, Value> = map;
    cells.push(if extra.is_empty() {
        String::new()
    } else {
        Value::Object(extra).to_string()
    });
    Ok(cells)
}

fn cell(value: Option<Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text,
        Some(other) => other.to_string(),
    }
}
