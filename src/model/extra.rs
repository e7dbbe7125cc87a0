//! The fields of a row that the model does not know, kept as Zoom wrote them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Fields of a row kept as Zoom wrote them: name → the value's exact JSON text, in name
/// order.
///
/// Numbers keep their text (`123456789012345678901234567890`, `1e400`, `1.50`), strings
/// their escapes. Two `Extra`s are equal when they hold the same names with the same texts.
#[derive(Clone, Debug, Default)]
pub struct Extra(BTreeMap<String, Box<RawValue>>);

impl Extra {
    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The raw JSON of a field.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.0.get(name).map(|raw| &**raw)
    }

    /// A field parsed as a [`Value`]; `None` if absent or if a `Value` cannot represent it
    /// (a number out of `f64` range, a lone surrogate escape).
    pub fn value(&self, name: &str) -> Option<Value> {
        serde_json::from_str(self.get(name)?.get()).ok()
    }

    /// Whether there is a field of this name.
    pub fn contains_key(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Sets a field to a value; returns the raw JSON it replaces.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) -> Option<Box<RawValue>> {
        // A `Value`'s text is always valid JSON, so the fallback is never taken.
        let raw =
            RawValue::from_string(value.to_string()).unwrap_or_else(|_| RawValue::NULL.to_owned());
        self.insert_raw(name, raw)
    }

    /// Sets a field to raw JSON, kept verbatim; returns the raw JSON it replaces.
    pub fn insert_raw(
        &mut self,
        name: impl Into<String>,
        raw: Box<RawValue>,
    ) -> Option<Box<RawValue>> {
        self.0.insert(name.into(), raw)
    }

    /// Removes a field; returns its raw JSON.
    pub fn remove(&mut self, name: &str) -> Option<Box<RawValue>> {
        self.0.remove(name)
    }

    /// The fields in name order, with their raw JSON.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> + '_ {
        self.0.iter().map(|(name, raw)| (name.as_str(), &**raw))
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl From<Map<String, Value>> for Extra {
    fn from(map: Map<String, Value>) -> Self {
        let mut extra = Extra::default();
        for (name, value) in map {
            extra.insert(name, value);
        }
        extra
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::deserialize(deserializer).map(Extra)
    }
}
