//! Writers: one participant a line (NDJSON) or a CSV row.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value};
use zoom_participants::Participant;

use super::args::Format;

/// Writes participants in the chosen format; `tagged` adds a `webinar_id` field/column.
pub struct RowWriter<W: Write> {
    sink: Sink<W>,
    tagged: bool,
}

enum Sink<W: Write> {
    Ndjson(W),
    Csv(Box<csv::Writer<W>>),
}

#[derive(Serialize)]
struct Tagged<'a> {
    webinar_id: &'a str,
    #[serde(flatten)]
    participant: &'a Participant,
}

impl<W: Write> RowWriter<W> {
    pub fn new(out: W, format: Format, tagged: bool) -> io::Result<Self> {
        let sink = match format {
            Format::Ndjson => Sink::Ndjson(out),
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                let id = tagged.then_some("webinar_id");
                let header = id
                    .into_iter()
                    .chain(Participant::FIELDS.iter().copied())
                    .chain(["extra"]);
                csv.write_record(header)?;
                Sink::Csv(Box::new(csv))
            }
        };
        Ok(RowWriter { sink, tagged })
    }

    pub fn write(&mut self, webinar_id: &str, participant: &Participant) -> io::Result<()> {
        match &mut self.sink {
            Sink::Ndjson(out) => {
                if self.tagged {
                    let row = Tagged {
                        webinar_id,
                        participant,
                    };
                    serde_json::to_writer(&mut *out, &row)?;
                } else {
                    serde_json::to_writer(&mut *out, participant)?;
                }
                out.write_all(b"\n")
            }
            Sink::Csv(csv) => {
                let record = csv_record(participant)?;
                let id = self.tagged.then(|| webinar_id.to_owned());
                Ok(csv.write_record(id.into_iter().chain(record))?)
            }
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Ndjson(out) => out.flush(),
            Sink::Csv(csv) => csv.flush(),
        }
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
