//! Zoom's instants as a field of a row.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserializer;
use serde::de::Visitor;
use serde_json::value::RawValue;

use super::enums::StrVisitor;
use crate::field::{FieldValue, Slot};

/// Zoom's instants: RFC 3339 (or without an offset, meaning UTC). `null` means "not
/// known"; so does a blank text, which is kept in `extra` so that nothing Zoom sent is lost.
impl FieldValue for DateTime<Utc> {
    fn visit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error> {
        deserializer.deserialize_option(InstantVisitor)
    }

    fn json_schema() -> serde_json::Value {
        serde_json::json!({ "type": "string", "format": "date-time" })
    }
}

struct InstantVisitor;

impl<'de> Visitor<'de> for InstantVisitor {
    type Value = Slot<DateTime<Utc>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 instant or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Null)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(StrVisitor(|text: &str| {
            if text.trim().is_empty() {
                return RawValue::from_string(crate::json::json_string(text))
                    .map(Slot::Raw)
                    .map_err(|_| "a blank instant".to_owned());
            }
            // The message names no value: decode errors must not quote Zoom's data.
            parse_instant(text.trim())
                .map(Slot::Typed)
                .ok_or_else(|| "an instant that is not RFC 3339".to_owned())
        }))
    }
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // Seen in the wild: no offset at all, meaning UTC.
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
}
