//! Singer messages on standard output, one JSON object a line; nothing else goes there.

use std::io::{self, BufWriter, Write};

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::catalog::StreamSpec;
use crate::schema::{Record, json_text};
use crate::state::State;

pub struct Messages {
    out: BufWriter<io::Stdout>,
    line: Vec<u8>,
}

impl Messages {
    pub fn stdout() -> Messages {
        Messages {
            out: BufWriter::with_capacity(1 << 16, io::stdout()),
            line: Vec::with_capacity(4096),
        }
    }

    /// A SCHEMA message, the stream's properties cut to the selected ones.
    pub fn schema(&mut self, spec: &StreamSpec, keep: &dyn Fn(&str) -> bool) -> io::Result<()> {
        let mut schema = spec.schema.clone();
        if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            properties.retain(|name, _| keep(name));
        }
        let message = json!({
            "type": "SCHEMA",
            "stream": spec.name,
            "schema": schema,
            "key_properties": spec.key_properties,
            "bookmark_properties": [spec.replication_key],
        });
        self.write_value(&message)
    }

    /// A RECORD message.
    pub fn record(
        &mut self,
        stream: &str,
        record: &Record,
        tags: &[(&str, String)],
        keep: &dyn Fn(&str) -> bool,
    ) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        line.extend_from_slice(br#"{"type":"RECORD","stream":"#);
        line.extend_from_slice(json_text(stream).as_bytes());
        line.extend_from_slice(br#","record":"#);
        record.write(tags, keep, &mut line);
        line.extend_from_slice(br#","time_extracted":""#);
        line.extend_from_slice(
            Utc::now()
                .to_rfc3339_opts(SecondsFormat::Millis, true)
                .as_bytes(),
        );
        line.extend_from_slice(b"\"}\n");
        let result = self.out.write_all(&line);
        self.line = line;
        result
    }

    /// A STATE message, flushed with every record before it.
    pub fn state(&mut self, state: &State) -> io::Result<()> {
        let message = json!({ "type": "STATE", "value": state.whole() });
        self.write_value(&message)?;
        self.out.flush()
    }

    fn write_value(&mut self, value: &Value) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }
}
