//! One known field of a row, decoded strictly so that an unexpected value sends the row to
//! the field-by-field path, where it is kept as sent.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use crate::json::{raw_box, replace_lone_surrogates};
use crate::model::{AudioCall, CustomKey, Role, Status, TrackingField};

/// What one known field's value turned out to be.
pub(crate) enum Slot<T> {
    /// The documented type.
    Typed(T),
    /// `null`: not known.
    Null,
    /// A value kept as JSON text instead of being typed (a blank instant).
    Raw(Box<RawValue>),
}

/// A type a known field can hold, decoded strictly: an unexpected value is an error, which
/// sends the row to the field-by-field path.
pub(crate) trait FieldValue: Sized + Serialize {
    /// Decodes a value of this field.
    fn visit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error>;

    /// The JSON Schema of a value of this field as it serializes (without `null`: the row
    /// type's schema makes every field nullable).
    fn json_schema() -> serde_json::Value;
}

macro_rules! plain_field_value {
    ($($ty:ty => $schema:expr),* $(,)?) => {$(
        impl FieldValue for $ty {
            fn visit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error> {
                Ok(match Option::<$ty>::deserialize(deserializer)? {
                    Some(value) => Slot::Typed(value),
                    None => Slot::Null,
                })
            }

            fn json_schema() -> serde_json::Value {
                $schema
            }
        }
    )*};
}

plain_field_value!(
    String => json!({ "type": "string" }),
    bool => json!({ "type": "boolean" }),
    i64 => json!({ "type": "integer" }),
    u64 => json!({ "type": "integer", "minimum": 0 }),
    Vec<String> => json!({ "type": "array", "items": { "type": "string" } }),
    Vec<AudioCall> => json!({ "type": "array", "items": AudioCall::json_schema() }),
    Vec<CustomKey> => json!({ "type": "array", "items": CustomKey::json_schema() }),
    Vec<TrackingField> => json!({ "type": "array", "items": TrackingField::json_schema() }),
    Status => json!({ "type": "string" }),
    Role => json!({ "type": "string" }),
);

/// A field's schema that also allows `null` (an absent or unknown value).
pub(crate) fn nullable(mut schema: serde_json::Value) -> serde_json::Value {
    if let Some(kind) = schema.get("type").and_then(serde_json::Value::as_str) {
        let kinds = json!([kind, "null"]);
        schema["type"] = kinds;
    }
    schema
}

/// A [`DeserializeSeed`] for one known field.
pub(crate) struct FieldSeed<T>(PhantomData<T>);

impl<T> FieldSeed<T> {
    pub(crate) fn new() -> Self {
        FieldSeed(PhantomData)
    }
}

impl<'de, T: FieldValue> DeserializeSeed<'de> for FieldSeed<T> {
    type Value = Slot<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Slot<T>, D::Error> {
        T::visit(deserializer)
    }
}

/// Decodes one known field from its raw text on the slow path: typed if possible (after
/// replacing lone surrogate escapes, if that is what stood in the way), else the raw text.
pub(crate) fn field_from_raw<T: FieldValue>(text: &str) -> Slot<T> {
    fn attempt<T: FieldValue>(text: &str) -> serde_json::Result<Slot<T>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let slot = T::visit(&mut de)?;
        de.end()?;
        Ok(slot)
    }
    match attempt::<T>(text) {
        Ok(Slot::Raw(_)) => Slot::Raw(raw_box(text)),
        Ok(slot) => slot,
        Err(_) => match replace_lone_surrogates(text) {
            Cow::Owned(fixed) => match attempt::<T>(&fixed) {
                Ok(Slot::Typed(value)) => Slot::Typed(value),
                Ok(Slot::Null) => Slot::Null,
                _ => Slot::Raw(raw_box(text)),
            },
            Cow::Borrowed(_) => Slot::Raw(raw_box(text)),
        },
    }
}
