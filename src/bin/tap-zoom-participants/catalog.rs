//! The catalog: what `--discover` prints, and which streams and properties a given catalog
//! selects.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::Failure;
use crate::schema::{list_schema, participant_schema};
use crate::streams::{FAMILIES, Family};

/// A stream as the catalog and the SCHEMA message describe it.
pub struct StreamSpec {
    pub name: &'static str,
    pub schema: Value,
    pub key_properties: Vec<String>,
    pub replication_key: String,
}

/// Every stream, in catalog order.
pub fn specs() -> Vec<StreamSpec> {
    FAMILIES.iter().flat_map(family_specs).collect()
}

fn family_specs(family: &Family) -> [StreamSpec; 2] {
    [
        StreamSpec {
            name: family.list,
            schema: list_schema((family.list_schema)()),
            key_properties: vec!["uuid".into()],
            replication_key: "end_time".into(),
        },
        StreamSpec {
            name: family.participants,
            schema: participant_schema(family.prefix, (family.participant_schema)()),
            key_properties: family.key_properties(),
            replication_key: family.end_time_column(),
        },
    ]
}

/// The catalog `--discover` prints.
pub fn discover() -> Value {
    let streams: Vec<Value> = specs().iter().map(entry).collect();
    json!({ "streams": streams })
}

fn entry(spec: &StreamSpec) -> Value {
    let mut metadata = vec![json!({
        "breadcrumb": [],
        "metadata": {
            "inclusion": "available",
            "selected-by-default": true,
            "table-key-properties": spec.key_properties,
            "valid-replication-keys": [spec.replication_key],
            "forced-replication-method": "INCREMENTAL",
            "replication-key": spec.replication_key,
        }
    })];
    if let Some(properties) = spec.schema.get("properties").and_then(Value::as_object) {
        for name in properties.keys() {
            let automatic = spec.key_properties.contains(name) || *name == spec.replication_key;
            metadata.push(json!({
                "breadcrumb": ["properties", name],
                "metadata": {
                    "inclusion": if automatic { "automatic" } else { "available" },
                    "selected-by-default": true,
                }
            }));
        }
    }
    json!({
        "tap_stream_id": spec.name,
        "stream": spec.name,
        "schema": spec.schema,
        "key_properties": spec.key_properties,
        "replication_method": "INCREMENTAL",
        "replication_key": spec.replication_key,
        "metadata": metadata,
    })
}

/// The selected streams, each with the properties left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    streams: BTreeMap<String, BTreeSet<String>>,
}

impl Selection {
    /// Every stream, every property (no catalog given).
    pub fn all() -> Selection {
        Selection {
            streams: specs()
                .iter()
                .map(|s| (s.name.to_owned(), BTreeSet::new()))
                .collect(),
        }
    }

    pub fn is_selected(&self, stream: &str) -> bool {
        self.streams.contains_key(stream)
    }

    /// Whether a property of a selected stream is kept.
    pub fn keeps(&self, stream: &str, property: &str) -> bool {
        self.streams
            .get(stream)
            .is_some_and(|dropped| !dropped.contains(property))
    }

    /// Reads a catalog file (`--catalog`, or the older `--properties`).
    pub fn load(path: &std::path::Path) -> Result<Selection, Failure> {
        let usage = |m: String| Failure::new(crate::USAGE, m);
        let bytes = std::fs::read(path)
            .map_err(|e| usage(format!("cannot read the catalog {}: {e}", path.display())))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            usage(format!(
                "the catalog {} is not JSON (line {}, column {})",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        Selection::from_catalog(&value)
            .map_err(|m| usage(format!("the catalog {}: {m}", path.display())))
    }

    pub fn from_catalog(catalog: &Value) -> Result<Selection, String> {
        let entries = catalog
            .get("streams")
            .and_then(Value::as_array)
            .ok_or("it has no \"streams\" array")?;
        let specs = specs();
        let mut streams = BTreeMap::new();
        for entry in entries {
            let Some(name) = entry
                .get("tap_stream_id")
                .or_else(|| entry.get("stream"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let Some(spec) = specs.iter().find(|s| s.name == name) else {
                continue;
            };
            let metadata: Vec<(&Value, &Value)> = entry
                .get("metadata")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|m| Some((m.get("breadcrumb")?, m.get("metadata")?)))
                        .collect()
                })
                .unwrap_or_default();
            let of_stream = metadata
                .iter()
                .find(|(crumb, _)| crumb.as_array().is_some_and(Vec::is_empty))
                .map(|(_, m)| *m);
            let legacy = entry.get("schema").and_then(|s| s.get("selected"));
            if !selected(of_stream, legacy) {
                continue;
            }
            let mut dropped = BTreeSet::new();
            for (crumb, m) in &metadata {
                let Some(["properties", property]) = crumb
                    .as_array()
                    .map(|c| c.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                    .as_deref()
                    .map(|c| <[&str; 2]>::try_from(c).ok())
                    .unwrap_or_default()
                else {
                    continue;
                };
                let automatic = spec.key_properties.iter().any(|k| k == property)
                    || spec.replication_key == property;
                if !automatic && !selected(Some(m), None) {
                    dropped.insert(property.to_owned());
                }
            }
            streams.insert(name.to_owned(), dropped);
        }
        Ok(Selection { streams })
    }
}

/// The Singer rule: `selected` if given, else `selected-by-default`, else whether the
/// inclusion is automatic.
fn selected(metadata: Option<&Value>, legacy: Option<&Value>) -> bool {
    let flag = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_bool);
    flag("selected")
        .or_else(|| legacy.and_then(Value::as_bool))
        .or_else(|| flag("selected-by-default"))
        .unwrap_or_else(|| {
            metadata
                .and_then(|m| m.get("inclusion"))
                .and_then(Value::as_str)
                == Some("automatic")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_discovered_catalog_selects_everything() {
        assert_eq!(Selection::from_catalog(&discover()), Ok(Selection::all()));
    }

    #[test]
    fn selection_follows_the_metadata() {
        let mut catalog = discover();
        for entry in catalog["streams"].as_array_mut().into_iter().flatten() {
            let name = entry["stream"].as_str().unwrap_or_default().to_owned();
            for m in entry["metadata"].as_array_mut().into_iter().flatten() {
                let crumb = m["breadcrumb"].clone();
                if crumb == json!([]) {
                    m["metadata"]["selected"] = json!(name == "webinar_participants");
                }
                if crumb == json!(["properties", "user_name"])
                    || crumb == json!(["properties", "webinar_uuid"])
                {
                    m["metadata"]["selected"] = json!(false);
                }
            }
        }
        let selection = Selection::from_catalog(&catalog).unwrap_or_else(|_| Selection::all());
        assert!(!selection.is_selected("webinars"));
        assert!(selection.is_selected("webinar_participants"));
        assert!(!selection.keeps("webinar_participants", "user_name"));
        assert!(
            selection.keeps("webinar_participants", "webinar_uuid"),
            "a key stays"
        );
        assert!(selection.keeps("webinar_participants", "email"));
    }
}
