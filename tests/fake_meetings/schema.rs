//! What the fake serves against Zoom's own Swagger for the eight operations
//! (`zoom-participants-endpoints.swagger.json`): every property of each row and envelope
//! that the spec types has that type (and `date-time`s parse), and every property of each
//! row schema is served on some row. Skipped, with a message, when the spec is not there.

use std::path::{Path, PathBuf};

use serde_json::Map;

use super::*;

const SPEC: &str = "zoom-participants-endpoints.swagger.json";

/// The spec, where the repository's CI keeps it (next to the repository), else the shared
/// copy of this machine.
fn spec() -> Option<Value> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/spec")
        .join(SPEC);
    let path = [beside, PathBuf::from("/work/shared/spec").join(SPEC)]
        .into_iter()
        .find(|p| p.is_file())?;
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The properties of an operation's 200 answer: the envelope's, and the array's name with
/// its items' properties.
fn schema(spec: &Value, path: &str) -> (Map<String, Value>, String, Map<String, Value>) {
    let parts = spec["paths"][path]["get"]["responses"]["200"]["schema"]["allOf"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no allOf in the 200 schema"));
    let mut envelope = Map::new();
    let mut array = None;
    for (name, property) in parts
        .iter()
        .filter_map(|part| part["properties"].as_object())
        .flatten()
    {
        if property["type"] == "array" {
            array = Some((name.clone(), property["items"]["properties"].clone()));
        } else {
            envelope.insert(name.clone(), property.clone());
        }
    }
    let (name, items) = array.unwrap_or_else(|| panic!("{path}: no array"));
    let items = items.as_object().cloned().expect("item properties");
    (envelope, name, items)
}

/// Every property of `object` that `properties` types has that type.
fn check_types(object: &Value, properties: &Map<String, Value>, what: &str) {
    for (name, property) in properties {
        let Some(value) = object.get(name) else {
            continue;
        };
        let fits = match property["type"].as_str() {
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value.is_array(),
            Some("object") => value.is_object(),
            _ => true,
        };
        assert!(fits, "{what}: {name} is not {}: {value}", property["type"]);
        let text = value.as_str().unwrap_or_default();
        match property["format"].as_str() {
            Some("date-time") if !text.is_empty() => assert!(
                chrono::DateTime::parse_from_rfc3339(text).is_ok(),
                "{what}: {name} {text}"
            ),
            Some("date") => assert!(
                NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
                "{what}: {name} {text}"
            ),
            _ => {}
        }
        if property["type"] == "array"
            && let Some(items) = property["items"]["properties"].as_object()
        {
            for item in value.as_array().into_iter().flatten() {
                check_types(item, items, &format!("{what}.{name}"));
            }
        }
    }
}

#[tokio::test]
async fn every_served_row_and_envelope_fits_zooms_swagger() {
    let Some(spec) = spec() else {
        eprintln!("skipped: {SPEC} not found beside the repository nor in /work/shared/spec");
        return;
    };
    let zoom = FakeZoom::builder()
        .webinar("95204914252", 300)
        .meeting("81234567890", 300)
        .demo_period()
        .start()
        .await
        .expect("fake");
    let registrant = ("include_fields", "registrant_id");
    let quarter = [("from", "2026-01-01"), ("to", "2026-01-31")];
    let requests = [
        (
            "/metrics/webinars/{webinarId}/participants",
            "/metrics/webinars/95204914252/participants".into(),
            vec![("type", "past"), registrant],
        ),
        (
            "/metrics/meetings/{meetingId}/participants",
            meeting_path("81234567890"),
            vec![("type", "past"), registrant],
        ),
        (
            "/report/webinars/{webinarId}/participants",
            report_path(ReportKind::Webinar, "95204914252"),
            vec![registrant],
        ),
        (
            "/report/meetings/{meetingId}/participants",
            report_path(ReportKind::Meeting, "81234567890"),
            vec![registrant],
        ),
        (
            "/metrics/webinars",
            "/metrics/webinars".into(),
            [&[("type", "past")][..], &quarter].concat(),
        ),
        (
            "/metrics/meetings",
            "/metrics/meetings".into(),
            [
                &[("type", "past"), ("include_fields", "tracking_fields")][..],
                &quarter,
            ]
            .concat(),
        ),
    ];
    for (operation, path, mut query) in requests {
        query.push(("page_size", "300"));
        let answer = get(&zoom, &path, &query).await;
        assert_eq!(answer.status, StatusCode::OK, "{operation}");
        let body = answer.json();
        let (envelope, array, items) = schema(&spec, operation);
        check_types(&body, &envelope, operation);
        for key in envelope.keys() {
            assert!(
                body.get(key).is_some(),
                "{operation}: envelope without {key}"
            );
        }
        let rows = body[array.as_str()].as_array().cloned().unwrap_or_default();
        assert!(!rows.is_empty(), "{operation}: no {array}");
        for row in &rows {
            check_types(row, &items, operation);
        }
        for name in items.keys() {
            assert!(
                rows.iter().any(|row| row.get(name).is_some()),
                "{operation}: no row has {name}"
            );
        }
    }
}
