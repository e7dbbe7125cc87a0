//! Helpers for the Singer tap's tests: a fake Zoom listing recent instances, config files,
//! running the tap binary, and what its records should be.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde_json::{Map, Value, json};
use zoom_participants::fake::{FakeMeeting, FakeWebinar, FakeZoom};

pub const TAP: &str = env!("CARGO_BIN_EXE_tap-zoom-participants");

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tap-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Now, to the second (the fake's list writes whole seconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// An instance that started `ago` before now and ran for `ran`.
pub fn instance(uuid: &str, id: u64, ago: Duration, ran: Duration, rows: u64) -> FakeWebinar {
    FakeWebinar {
        uuid: uuid.into(),
        id,
        topic: format!("Topic of {uuid}"),
        start_time: now() - chrono::Duration::from_std(ago).unwrap_or_default(),
        participants: rows,
        duration: Some(ran),
    }
}

pub const HOUR: Duration = Duration::from_secs(3_600);
pub const DAY: Duration = Duration::from_secs(86_400);

/// Three ended instances of the last days: UUIDs that need double encoding, a recurring
/// webinar (one ID, two UUIDs), several pages of participants, an empty one.
pub fn ended_instances() -> Vec<FakeWebinar> {
    vec![
        instance(
            "/aB3dEf6hIj9kLm2nOp5q==",
            81_234_567_890,
            3 * DAY,
            HOUR,
            650,
        ),
        instance(
            "kq3//Wz9TkuZ1pXy7Lm0bQ==",
            81_234_567_890,
            2 * DAY,
            2 * HOUR,
            301,
        ),
        instance("Tz4uV5wX6yZ7aB8cD9eF0g==", 82_345_678_902, DAY, HOUR, 0),
        instance(
            "Qr+7aP2bT0yXc4e5fGh1wA==",
            83_456_789_013,
            5 * HOUR,
            HOUR,
            40,
        ),
    ]
}

/// A meeting like [`instance`]; a meeting of one participant is Zoom's `pastOne` kind.
pub fn meeting(uuid: &str, id: u64, ago: Duration, ran: Duration, rows: u64) -> FakeMeeting {
    let FakeWebinar {
        uuid,
        id,
        topic,
        start_time,
        participants,
        duration,
    } = instance(uuid, id, ago, ran, rows);
    FakeMeeting {
        uuid,
        id,
        topic,
        start_time,
        participants,
        one_person: rows == 1,
        duration,
    }
}

/// Ended meetings of the last days: one with several pages, one with one participant
/// (listed with `type=pastOne`), one with none.
pub fn ended_meetings() -> Vec<FakeMeeting> {
    vec![
        meeting("/Mt1aB3dEf6hIj9kLm2==", 91_234_567_890, 4 * DAY, HOUR, 620),
        meeting("Mt2oneParticipant0==", 92_345_678_901, 2 * DAY, HOUR / 2, 1),
        meeting("Mt3nobody+0000000==", 93_456_789_012, DAY, HOUR / 4, 0),
    ]
}

/// A fake with webinars and meetings.
pub async fn fake_both(webinars: Vec<FakeWebinar>, meetings: Vec<FakeMeeting>) -> FakeZoom {
    fake_with(webinars, |b| {
        meetings.into_iter().fold(b, |b, m| b.listed_meeting(m))
    })
    .await
}

pub async fn fake(instances: Vec<FakeWebinar>) -> FakeZoom {
    fake_with(instances, |b| b).await
}

pub async fn fake_with(
    instances: Vec<FakeWebinar>,
    configure: impl FnOnce(
        zoom_participants::fake::FakeZoomBuilder,
    ) -> zoom_participants::fake::FakeZoomBuilder,
) -> FakeZoom {
    let builder = instances
        .into_iter()
        .fold(FakeZoom::builder(), |b, w| b.listed_webinar(w));
    configure(builder).start().await.expect("fake Zoom")
}

/// The start date of the tests' configs: 20 days back, one list window.
pub fn start_date() -> NaiveDate {
    (Utc::now() - chrono::Duration::days(20)).date_naive()
}

/// A config for the fake, with `more` merged in.
pub fn config(zoom: &FakeZoom, dir: &Path, more: Value) -> PathBuf {
    let mut config = json!({
        "start_date": start_date().to_string(),
        "access_token": zoom.access_token(),
        "base_url": zoom.base_url(),
        "rate_limit": "off",
    });
    if let (Some(config), Value::Object(more)) = (config.as_object_mut(), more) {
        for (k, v) in more {
            if v.is_null() {
                config.remove(&k);
            } else {
                config.insert(k, v);
            }
        }
    }
    write_json(dir, "config.json", &config)
}

pub fn write_json(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write");
    path
}

/// Runs the tap to its end.
pub async fn tap(args: &[&str]) -> Output {
    tap_env(args, &[]).await
}

pub async fn tap_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(TAP);
    command.args(args).env_remove("RUST_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the tap ends")
        .expect("the tap runs")
}

/// Runs a sync with `config` and optional state and catalog files.
pub async fn sync(config: &Path, state: Option<&Path>, catalog: Option<&Path>) -> Output {
    let mut args = vec!["--config", config.to_str().unwrap_or_default()];
    if let Some(state) = state {
        args.extend(["--state", state.to_str().unwrap_or_default()]);
    }
    if let Some(catalog) = catalog {
        args.extend(["--catalog", catalog.to_str().unwrap_or_default()]);
    }
    tap(&args).await
}

/// Standard output as Singer messages; panics on a line that is not one.
pub fn messages(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let message: Value = serde_json::from_str(line).expect("a JSON line");
            let kind = message["type"].as_str().unwrap_or_default();
            assert!(
                ["SCHEMA", "RECORD", "STATE"].contains(&kind),
                "not a Singer message: {line}"
            );
            message
        })
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The records of a stream, in order.
pub fn records(messages: &[Value], stream: &str) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["type"] == "RECORD" && m["stream"] == stream)
        .map(|m| m["record"].clone())
        .collect()
}

/// The value of the last STATE.
pub fn last_state(messages: &[Value]) -> Value {
    messages
        .iter()
        .rev()
        .find(|m| m["type"] == "STATE")
        .map(|m| m["value"].clone())
        .unwrap_or(Value::Null)
}

/// A record as Zoom's object: the tap's columns removed, `extra` merged back.
pub fn as_served(record: &Value, tap_columns: &[&str]) -> Value {
    let mut object = record.as_object().cloned().unwrap_or_default();
    for column in tap_columns {
        object.remove(*column);
    }
    if let Some(Value::String(extra)) = object.remove("extra") {
        let extra: Map<String, Value> = serde_json::from_str(&extra).expect("extra is JSON text");
        for (k, v) in extra {
            assert!(!object.contains_key(&k), "{k} both typed and in extra");
            object.insert(k, v);
        }
    }
    Value::Object(object)
}

pub const PARTICIPANT_COLUMNS: &[&str] = &[
    "webinar_uuid",
    "webinar_id",
    "webinar_start_time",
    "webinar_end_time",
    "row_index",
];

/// The served instances in the tap's order (end time, then UUID).
pub fn served_instances(zoom: &FakeZoom) -> Vec<Value> {
    let mut served = zoom.expected_webinars(start_date(), Utc::now().date_naive());
    served.sort_by_key(|w| {
        (
            w["end_time"].as_str().unwrap_or_default().to_owned(),
            w["uuid"].as_str().unwrap_or_default().to_owned(),
        )
    });
    served
}

/// The served meetings in the tap's order (end time, then UUID).
pub fn served_meetings(zoom: &FakeZoom) -> Vec<Value> {
    let (from, to) = (start_date(), Utc::now().date_naive());
    // Both ended lists, of several participants and of one, with tracking fields.
    let mut served = zoom.expected_meeting_listing(from, to, false, true);
    served.extend(zoom.expected_meeting_listing(from, to, true, true));
    served.sort_by_key(|w| {
        (
            w["end_time"].as_str().unwrap_or_default().to_owned(),
            w["uuid"].as_str().unwrap_or_default().to_owned(),
        )
    });
    served
}

/// What the webinar participant stream should hold for these instances, in order.
pub fn served_participants(zoom: &FakeZoom, instances: &[Value]) -> Vec<Value> {
    served_rows(instances, "webinar", |uuid| {
        zoom.expected_participants(uuid, false)
    })
}

/// What the meeting participant stream should hold for these instances, in order.
pub fn served_meeting_participants(zoom: &FakeZoom, instances: &[Value]) -> Vec<Value> {
    served_rows(instances, "meeting", |uuid| {
        zoom.expected_meeting_participants(uuid, false)
    })
}

fn served_rows(
    instances: &[Value],
    prefix: &str,
    rows_of: impl Fn(&str) -> Vec<zoom_participants::Participant>,
) -> Vec<Value> {
    let mut rows = Vec::new();
    for w in instances {
        let uuid = w["uuid"].as_str().unwrap_or_default();
        for (i, p) in rows_of(uuid).iter().enumerate() {
            let mut row = serde_json::to_value(p).expect("a participant serializes");
            if let Some(row) = row.as_object_mut() {
                for field in ["uuid", "id", "start_time", "end_time"] {
                    row.insert(format!("{prefix}_{field}"), w[field].clone());
                }
                row.insert("row_index".into(), json!(i));
            }
            rows.push(row);
        }
    }
    rows
}

/// A participant record with its tap columns kept, `extra` merged back (to compare with
/// [`served_participants`]).
pub fn participant_as_served(record: &Value) -> Value {
    let mut object = as_served(record, &[]);
    if let Some(o) = object.as_object_mut() {
        // The tap's columns are compared too: they stay.
        o.retain(|_, v| !v.is_null());
    }
    object
}

/// Whether `value` validates against `schema` (type, items, properties, minimum).
pub fn validates(value: &Value, schema: &Value) -> bool {
    let fits = |kind: &str| match (kind, value) {
        ("null", Value::Null)
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_))
        | ("number", Value::Number(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    };
    let typed = match &schema["type"] {
        Value::Null => true,
        Value::String(kind) => fits(kind),
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).any(fits),
        _ => false,
    };
    if !typed {
        return false;
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        return false;
    }
    if let Some(time) = value.as_str()
        && schema["format"] == "date-time"
        && DateTime::parse_from_rfc3339(time).is_err()
    {
        return false;
    }
    match value {
        Value::Array(items) => items.iter().all(|i| validates(i, &schema["items"])),
        Value::Object(members) => match schema["properties"].as_object() {
            None => true,
            // Strict: a record carries only the properties its schema declares.
            Some(properties) => members
                .iter()
                .all(|(k, v)| properties.get(k).is_some_and(|s| validates(v, s))),
        },
        _ => true,
    }
}

/// A catalog from `--discover` with only `streams` selected.
pub async fn catalog_selecting(config: &Path, dir: &Path, streams: &[&str]) -> PathBuf {
    let output = tap(&[
        "--config",
        config.to_str().unwrap_or_default(),
        "--discover",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut catalog: Value = serde_json::from_slice(&output.stdout).expect("a catalog");
    for entry in catalog["streams"].as_array_mut().into_iter().flatten() {
        let selected = streams.contains(&entry["stream"].as_str().unwrap_or_default());
        for m in entry["metadata"].as_array_mut().into_iter().flatten() {
            if m["breadcrumb"] == json!([]) {
                m["metadata"]["selected"] = json!(selected);
            }
        }
    }
    write_json(
        dir,
        &format!("catalog-{}.json", streams.join("+")),
        &catalog,
    )
}

/// Writes a STATE value where `--state` can read it.
pub fn state_file(dir: &Path, name: &str, state: &Value) -> PathBuf {
    write_json(dir, name, state)
}
