//! One known field of a row, decoded strictly so that an unexpected value sends the row to
//! the field-by-field path, where it is kept as sent.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer};
use serde::{Deserialize, Serialize};
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
}

macro_rules! plain_field_value {
    ($($ty:ty),* $(,)?) => {$(
        impl FieldValue for $ty {
            fn visit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error> {
                Ok(match Option::<$ty>::deserialize(deserializer)? {
                    Some(value) => Slot::Typed(value),
                    None => Slot::Null,
                })
            }
        }
    )*};
}

plain_field_value!(
    String,
    bool,
    i64,
    u64,
    Vec<String>,
    Vec<AudioCall>,
    Vec<CustomKey>,
    Vec<TrackingField>,
    Status,
    Role
);

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
