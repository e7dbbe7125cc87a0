//! Stream schemas, from the row types' own [`json_schema`](zoom_participants::Webinar::json_schema),
//! and records that always validate against them.
//!
//! A record holds each known field whose value has the type its schema says, and nothing
//! else under the field's name. Everything the typed columns cannot hold (fields this
//! version does not know, a known field whose value has another type, an array whose items
//! carry members the model does not know) goes, exactly as Zoom wrote it, into one `extra`
//! property: the JSON text of an object (a string, so that no typed target can reject it,
//! and no number loses digits on the way). Every property is nullable; `extra` is absent
//! when there is nothing to put in it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use zoom_participants::{Extra, Meeting, Participant, Webinar};

/// The property that holds what the typed columns cannot.
pub const EXTRA: &str = "extra";
/// The participant's position in its instance's list (0-based), part of the key.
pub const ROW_INDEX: &str = "row_index";

/// A row type a stream is made of.
pub trait TapRow: Serialize {
    /// Takes the fields kept as Zoom wrote them out of the row.
    fn take_extra(&mut self) -> Extra;
}

macro_rules! tap_row {
    ($($row:ty),*) => {$(
        impl TapRow for $row {
            fn take_extra(&mut self) -> Extra {
                std::mem::take(&mut self.extra)
            }
        }
    )*};
}
tap_row!(Webinar, Meeting, Participant);

/// The columns that tie a participant row to its instance, with their schemas:
/// `<prefix>_uuid`, `<prefix>_id`, `<prefix>_start_time`, `<prefix>_end_time`.
pub fn instance_columns(prefix: &str) -> [(String, Value); 4] {
    [
        (format!("{prefix}_uuid"), json!({ "type": "string" })),
        (
            format!("{prefix}_id"),
            json!({ "type": ["integer", "null"] }),
        ),
        (
            format!("{prefix}_start_time"),
            json!({ "type": ["string", "null"], "format": "date-time" }),
        ),
        (
            format!("{prefix}_end_time"),
            json!({ "type": ["string", "null"], "format": "date-time" }),
        ),
    ]
}

fn extra_schema() -> Value {
    json!({
        "type": ["string", "null"],
        "description": "JSON text of an object: the fields of the row kept as Zoom wrote them (unknown fields, and known fields whose value has another type)"
    })
}

/// The schema of a list stream (`webinars`): its row type's (`row`), plus `extra`.
pub fn list_schema(row: Value) -> Value {
    let mut schema = row;
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert(EXTRA.into(), extra_schema());
        // The key is never null.
        properties.insert("uuid".into(), json!({ "type": "string" }));
    }
    schema
}

/// The schema of a participant stream: the instance's columns (`prefix`: `webinar`,
/// `meeting`) and the row's position first, then the row type's fields (`row`), then
/// `extra`.
pub fn participant_schema(prefix: &str, row: Value) -> Value {
    let mut properties = Map::new();
    for (name, schema) in instance_columns(prefix) {
        properties.insert(name, schema);
    }
    properties.insert(
        ROW_INDEX.into(),
        json!({
            "type": "integer",
            "minimum": 0,
            "description": "The row's position in Zoom's participant list of the instance (0-based)"
        }),
    );
    if let Some(fields) = row.get("properties").and_then(Value::as_object) {
        for (name, schema) in fields {
            properties.insert(name.clone(), schema.clone());
        }
    }
    properties.insert(EXTRA.into(), extra_schema());
    json!({ "type": "object", "properties": properties })
}

/// One row split into typed members and the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// (name, JSON text) of each member with its schema's type.
    typed: Vec<(String, String)>,
    /// The JSON text of an object of the rest, if there is any.
    extra: Option<String>,
}

impl Record {
    /// Splits `row` by `schema` (the row type's schema).
    pub fn of<T: TapRow>(mut row: T, schema: &Value) -> Record {
        let extra = row.take_extra();
        let mut rest: BTreeMap<String, String> = extra
            .iter()
            .map(|(name, raw)| (name.to_owned(), raw.get().to_owned()))
            .collect();
        let mut typed = Vec::new();
        // The row serializes its typed fields only (extra was taken); nested values that
        // were kept raw come out verbatim, which `RawValue` keeps as they are.
        let members: BTreeMap<String, Box<RawValue>> = serde_json::to_string(&row)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, raw) in members {
            let fits = properties.and_then(|p| p.get(&name)).is_some_and(|s| {
                serde_json::from_str::<Value>(raw.get()).is_ok_and(|v| conforms(&v, s))
            });
            if fits {
                typed.push((name, raw.get().to_owned()));
            } else {
                rest.insert(name, raw.get().to_owned());
            }
        }
        let extra = (!rest.is_empty()).then(|| {
            let members: Vec<String> = rest
                .iter()
                .map(|(name, raw)| format!("{}:{raw}", json_text(name)))
                .collect();
            format!("{{{}}}", members.join(","))
        });
        Record { typed, extra }
    }

    /// The typed member of this name, as JSON text.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.typed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.as_str())
    }

    /// Appends the record's object: `tags` first (name, JSON text), then the typed
    /// members, then `extra`, keeping only the properties `keep` lets through.
    pub fn write(&self, tags: &[(&str, String)], keep: &dyn Fn(&str) -> bool, out: &mut Vec<u8>) {
        out.push(b'{');
        let mut first = true;
        let mut member = |name: &str, text: &str, out: &mut Vec<u8>| {
            if !keep(name) {
                return;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(json_text(name).as_bytes());
            out.push(b':');
            out.extend_from_slice(text.as_bytes());
        };
        for (name, text) in tags {
            member(name, text, out);
        }
        for (name, text) in &self.typed {
            member(name, text, out);
        }
        if let Some(extra) = &self.extra {
            member(EXTRA, &json_text(extra), out);
        }
        out.push(b'}');
    }
}

/// A string as a JSON string literal.
pub fn json_text(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// Whether `value` validates against `schema`, for the keywords the row schemas use
/// (`type`, `minimum`, `items`, `properties`). Objects are held strictly: a member the
/// schema does not describe does not fit, so a typed column never carries an unknown key.
pub fn conforms(value: &Value, schema: &Value) -> bool {
    let fits_type = |kind: &str| match (kind, value) {
        ("null", Value::Null)
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_))
        | ("number", Value::Number(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    };
    let typed = match schema.get("type") {
        None => true,
        Some(Value::String(kind)) => fits_type(kind),
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).any(fits_type),
        Some(_) => false,
    };
    if !typed {
        return false;
    }
    if let (Some(minimum), Some(n)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) && n < minimum
    {
        return false;
    }
    match value {
        Value::Array(items) => schema
            .get("items")
            .is_none_or(|s| items.iter().all(|item| conforms(item, s))),
        Value::Object(members) => match schema.get("properties").and_then(Value::as_object) {
            None => true,
            Some(properties) => members
                .iter()
                .all(|(name, v)| properties.get(name).is_some_and(|s| conforms(v, s))),
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(record: &Record) -> Value {
        let mut out = Vec::new();
        record.write(&[("t", "1".into())], &|_| true, &mut out);
        serde_json::from_slice(&out).unwrap_or_default()
    }

    #[test]
    fn odd_values_go_to_extra_and_the_record_validates() {
        let raw = r#"{"uuid":"u1","id":"95204914252","participants":-1,"has_sip":true,"start_time":"2026-01-01 10:00:00","custom_keys":[{"key":"k","value":"v","new":1e400}],"x_new":123456789012345678901234567890}"#;
        let webinar: Webinar = serde_json::from_str(raw).unwrap_or_default();
        let schema = Webinar::json_schema();
        let record = Record::of(webinar, &schema);
        let value = written(&record);
        assert_eq!(
            value,
            json!({
                "t": 1,
                "uuid": "u1",
                "has_sip": true,
                "start_time": "2026-01-01T10:00:00Z",
                "extra": r#"{"custom_keys":[{"key":"k","value":"v","new":1e400}],"id":"95204914252","participants":-1,"x_new":123456789012345678901234567890}"#
            })
        );
        let mut full = schema.clone();
        full["properties"]["t"] = json!({ "type": "integer" });
        full["properties"][EXTRA] = extra_schema();
        assert!(conforms(&value, &full));
    }

    #[test]
    fn a_plain_row_has_no_extra_and_keeps_every_field_typed() {
        let raw = r#"{"uuid":"u","id":5,"custom_keys":[{"key":"k","value":"v"}]}"#;
        let webinar: Webinar = serde_json::from_str(raw).unwrap_or_default();
        let record = Record::of(webinar, &Webinar::json_schema());
        assert_eq!(record.extra, None);
        assert_eq!(record.get("id"), Some("5"));
        assert_eq!(
            record.get("custom_keys"),
            Some(r#"[{"key":"k","value":"v"}]"#)
        );
    }

    #[test]
    fn unselected_properties_are_left_out() {
        let webinar: Webinar =
            serde_json::from_str(r#"{"uuid":"u","id":5,"q":1}"#).unwrap_or_default();
        let record = Record::of(webinar, &Webinar::json_schema());
        let mut out = Vec::new();
        record.write(&[], &|name| name != "id" && name != EXTRA, &mut out);
        assert_eq!(String::from_utf8_lossy(&out), r#"{"uuid":"u"}"#);
    }
}
