//! A period of webinars, end to end: `Client::webinars(from, to)` over the fake Zoom's
//! ready-made quarter (month windows, page tokens, checkpoints, the per-minute limit), the
//! instances' participants (UUIDs that need double encoding), and the binary's `--from/--to`,
//! `--list-webinars` and `--per-person` modes, durable `--output` included.
#![cfg(feature = "cli")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use tokio::process::Command;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::fake::{FakeZoom, RecordedRequest};
use zoom_participants::{
    Attendance, Checkpoint, Client, Participant, RateLimit, Webinar, WebinarType, attendance,
};

const FROM: &str = "2026-01-01";
const TO: &str = "2026-03-31";
/// The quarter's three month windows, as the list must be asked for them.
const WINDOWS: [(&str, &str); 3] = [
    ("2026-01-01", "2026-01-31"),
    ("2026-02-01", "2026-02-28"),
    ("2026-03-01", "2026-03-31"),
];
/// The instances of the demo quarter that start with `/` or contain `//`, and the path
/// segment Zoom wants for each (encoded twice); one with a single `/` is encoded once.
const ODD_UUIDS: [(&str, &str); 4] = [
    (
        "/mEc8Jn0RQeKk0b1mZ2x3A==",
        "%252FmEc8Jn0RQeKk0b1mZ2x3A%253D%253D",
    ),
    (
        "kq3//Wz9TkuZ1pXy7Lm0bQ==",
        "kq3%252F%252FWz9TkuZ1pXy7Lm0bQ%253D%253D",
    ),
    (
        "//Zx9yW8vU7tS6rQ5pO4nA==",
        "%252F%252FZx9yW8vU7tS6rQ5pO4nA%253D%253D",
    ),
    (
        "Qr+7aP2bT0yXc4e/5fGh1w==",
        "Qr%2B7aP2bT0yXc4e%2F5fGh1w%3D%3D",
    ),
];

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn quarter() -> (NaiveDate, NaiveDate) {
    (day(FROM), day(TO))
}

async fn demo_fake() -> FakeZoom {
    FakeZoom::builder().demo_period().start().await.unwrap()
}

/// A client for the fake with no client-side limits and quick retries.
fn client(zoom: &FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .list_rate_limit(RateLimit::unlimited())
        .build()
        .unwrap()
}

fn uuids_of(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|w| w["uuid"].as_str().expect("a uuid").to_owned())
        .collect()
}

/// The expected list objects as the typed model reads them.
fn typed(values: &[Value]) -> Vec<Webinar> {
    values
        .iter()
        .map(|v| serde_json::from_str(&v.to_string()).expect("a webinar"))
        .collect()
}

/// `(from, to, next_page_token)` of each list request, after checking the fixed keys.
fn list_windows(requests: &[RecordedRequest], page_size: &str) -> Vec<(String, String, bool)> {
    requests
        .iter()
        .map(|r| {
            let keys: Vec<&str> = r.query.iter().map(|(k, _)| k.as_str()).collect();
            let has_token = r.query_value("next_page_token").is_some();
            let mut expected_keys = vec!["type", "from", "to", "page_size"];
            if has_token {
                expected_keys.push("next_page_token");
                assert!(!r.query_value("next_page_token").unwrap().is_empty());
            }
            assert_eq!(keys, expected_keys, "{r:?}");
            assert_eq!(r.path, "/v2/metrics/webinars");
            assert_eq!(r.query_value("type"), Some("past"));
            assert_eq!(r.query_value("page_size"), Some(page_size));
            (
                r.query_value("from").unwrap().to_owned(),
                r.query_value("to").unwrap().to_owned(),
                has_token,
            )
        })
        .collect()
}

fn window(i: usize, token: bool) -> (String, String, bool) {
    (WINDOWS[i].0.to_owned(), WINDOWS[i].1.to_owned(), token)
}

// 1. The library: the quarter, window by window.

#[tokio::test]
async fn a_quarter_yields_every_instance_once_in_order_from_three_month_windows() {
    let zoom = demo_fake().await;
    let (from, to) = quarter();
    let expected = zoom.expected_webinars(from, to);
    assert_eq!(
        expected.len(),
        10,
        "the demo quarter without its two outsiders"
    );
    let got: Vec<Webinar> = client(&zoom)
        .webinars(from, to)
        .webinar_type(WebinarType::Past)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let got_uuids: Vec<String> = got.iter().map(|w| w.uuid.clone().unwrap()).collect();
    assert_eq!(got_uuids, uuids_of(&expected));
    // Instances right at the month boundaries, once each.
    for boundary in [
        "NyA0mzT1Q2e3r4t5y6u7iA==", // 2026-01-01T00:00:00Z
        "/mEc8Jn0RQeKk0b1mZ2x3A==", // 2026-01-31T23:30:00Z
        "kq3//Wz9TkuZ1pXy7Lm0bQ==", // 2026-02-01T00:00:00Z
        "Pq1rS2tU3vW4xY5zA6bC7d==", // 2026-02-28T23:30:00Z
        "Qr+7aP2bT0yXc4e/5fGh1w==", // 2026-03-01T00:00:00Z
        "//Zx9yW8vU7tS6rQ5pO4nA==", // 2026-03-31T23:30:00Z
    ] {
        assert_eq!(got_uuids.iter().filter(|u| *u == boundary).count(), 1);
    }
    // Typed fields, and nothing lost: serialized back, each is the object Zoom sent.
    assert_eq!(got, typed(&expected));
    assert_eq!(got[1].id, Some(81_234_567_890));
    assert_eq!(got[1].topic.as_deref(), Some("Weekly product demo"));
    assert_eq!(
        got[1].start_time,
        Some("2026-01-07T17:00:00Z".parse().unwrap())
    );
    for (webinar, sent) in got.iter().zip(&expected) {
        assert_eq!(&serde_json::to_value(webinar).unwrap(), sent);
    }
    assert!(
        got.iter()
            .any(|w| w.extra.contains_key("x_engagement_score"))
    );

    let windows = list_windows(&zoom.list_requests(), "300");
    assert_eq!(
        windows,
        vec![window(0, false), window(1, false), window(2, false)]
    );
    assert_eq!(zoom.request_count(), 0, "no participants request");
}

#[tokio::test]
async fn small_pages_follow_each_windows_tokens() {
    let zoom = demo_fake().await;
    let (from, to) = quarter();
    let got: Vec<Webinar> = client(&zoom)
        .webinars(from, to)
        .webinar_type(WebinarType::Past)
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, typed(&zoom.expected_webinars(from, to)));
    // January has 4 instances, February 3, March 3: two pages each.
    assert_eq!(
        list_windows(&zoom.list_requests(), "2"),
        vec![
            window(0, false),
            window(0, true),
            window(1, false),
            window(1, true),
            window(2, false),
            window(2, true),
        ]
    );
}

#[tokio::test]
async fn a_checkpoint_taken_anywhere_in_the_list_resumes_exactly_the_rest() {
    let zoom = demo_fake().await;
    let (from, to) = quarter();
    let expected = uuids_of(&zoom.expected_webinars(from, to));
    let request = || {
        client(&zoom)
            .webinars(from, to)
            .webinar_type(WebinarType::Past)
            .page_size(2)
    };
    for taken in 0..=expected.len() {
        let mut stream = request().stream();
        let mut got = Vec::new();
        for _ in 0..taken {
            let webinar = stream.try_next().await.unwrap().expect("a webinar");
            got.push(webinar.uuid.unwrap());
        }
        let text = serde_json::to_string(&stream.checkpoint()).unwrap();
        drop(stream);
        let checkpoint: Checkpoint = serde_json::from_str(&text).unwrap();
        let before = zoom.list_requests().len();
        let rest: Vec<Webinar> = request()
            .resume(checkpoint)
            .stream()
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("after {taken}: {e}"));
        got.extend(rest.into_iter().map(|w| w.uuid.unwrap()));
        assert_eq!(got, expected, "checkpoint after {taken} webinars");
        // The resumed stream starts in the window it stopped in, not over from January.
        let resumed = list_windows(&zoom.list_requests()[before..], "2");
        let window_of_last = match taken {
            0..=4 => 0,
            5..=7 => 1,
            _ => 2,
        };
        if let Some(first) = resumed.first() {
            assert!(
                first.0 == WINDOWS[window_of_last].0 || first.0 == WINDOWS[window_of_last + 1].0,
                "after {taken}: resumed at {first:?}"
            );
        }
    }
    // A checkpoint of another period is refused, not a silent restart.
    let mut stream = request().stream();
    stream.try_next().await.unwrap();
    let foreign = stream.checkpoint();
    let other = client(&zoom)
        .webinars(day("2026-04-01"), day("2026-04-30"))
        .webinar_type(WebinarType::Past)
        .page_size(2)
        .resume(foreign)
        .stream()
        .try_collect::<Vec<_>>()
        .await;
    assert!(other.is_err(), "{other:?}");
}

/// The list request log holds at most `limit` requests in any 60 seconds.
fn assert_per_minute(requests: &[RecordedRequest], limit: usize) {
    let times: Vec<_> = requests.iter().map(|r| r.at).collect();
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(60))
            .count();
        assert!(in_window <= limit, "{in_window} list requests within 60 s");
    }
}

#[tokio::test(start_paused = true)]
async fn the_list_rate_limit_holds_per_minute() {
    let zoom = demo_fake().await;
    let (from, to) = quarter();
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .list_rate_limit(RateLimit::per_minute(2))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let got: Vec<Webinar> = client
        .webinars(from, to)
        .webinar_type(WebinarType::Past)
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, typed(&zoom.expected_webinars(from, to)));
    let requests = zoom.list_requests();
    assert_eq!(requests.len(), 6);
    assert_per_minute(&requests, 2);
    let span = requests[5].at.duration_since(requests[0].at);
    assert!(
        span >= Duration::from_secs(120),
        "6 requests at 2 a minute took {span:?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(120));
}

#[tokio::test(start_paused = true)]
async fn a_per_minute_429_from_the_list_is_waited_out_per_retry_after() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .list_rate_limit_per_minute(1)
        .start()
        .await
        .unwrap();
    let (from, to) = quarter();
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .list_rate_limit(RateLimit::unlimited())
        .build()
        .unwrap();
    let got: Vec<Webinar> = client
        .webinars(from, to)
        .webinar_type(WebinarType::Past)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, typed(&zoom.expected_webinars(from, to)));
    // Each window after the first is refused once (Retry-After: 60), then accepted.
    let requests = zoom.list_requests();
    let windows: Vec<(String, String, bool)> = list_windows(&requests, "300");
    assert_eq!(
        windows,
        vec![
            window(0, false),
            window(1, false),
            window(1, false),
            window(2, false),
            window(2, false),
        ]
    );
    let t = |i: usize| requests[i].at.duration_since(requests[0].at);
    assert!(t(1) < Duration::from_secs(1), "the 429 came at once");
    assert!(t(2) >= Duration::from_secs(60), "retried after {:?}", t(2));
    assert!(t(4) >= t(2) + Duration::from_secs(60));
    let accepted = [&requests[0], &requests[2], &requests[4]];
    assert_per_minute(&accepted.map(Clone::clone), 1);
}

// 2. UUIDs that start with `/` or contain `//`.

#[tokio::test]
async fn instances_with_slashes_are_reached_double_encoded_and_their_rows_are_exact() {
    let zoom = demo_fake().await;
    let client = client(&zoom);
    for (uuid, segment) in ODD_UUIDS {
        let before = zoom.request_count();
        let got: Vec<Participant> = client
            .webinar_participants(uuid)
            .webinar_type(WebinarType::Past)
            .page_size(4)
            .stream()
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{uuid}: {e}"));
        let expected = zoom.expected_participants(uuid, false);
        assert!(expected.len() >= 7, "{uuid} has rows");
        assert_eq!(got, expected, "{uuid}");
        let requests = &zoom.requests()[before..];
        assert_eq!(requests.len(), expected.len().div_ceil(4));
        for r in requests {
            assert_eq!(
                r.path,
                format!("/v2/metrics/webinars/{segment}/participants")
            );
        }
    }
    // The same through a fan-out, as the CLI reads a period.
    let ids: Vec<String> = ODD_UUIDS.iter().map(|(u, _)| u.to_string()).collect();
    let got: Vec<(String, Participant)> = client
        .webinars_participants(ids.clone())
        .webinar_type(WebinarType::Past)
        .ordered(true)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let expected: Vec<(String, Participant)> = ids
        .iter()
        .flat_map(|id| {
            zoom.expected_participants(id, false)
                .into_iter()
                .map(move |p| (id.clone(), p))
        })
        .collect();
    assert_eq!(got, expected);
}

// 3. The binary.

fn command(zoom_base: &str, token: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", zoom_base)
        .env("ZOOM_ACCESS_TOKEN", token)
        .env("ZOOM_RATE_LIMIT", "off")
        .kill_on_drop(true);
    cmd
}

async fn run(zoom: &FakeZoom, args: &[&str]) -> Output {
    run_at(&zoom.base_url(), zoom.access_token(), args).await
}

async fn run_at(base: &str, token: &str, args: &[&str]) -> Output {
    tokio::time::timeout(
        Duration::from_secs(60),
        command(base, token).args(args).output(),
    )
    .await
    .expect("the CLI finishes")
    .expect("the CLI starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The NDJSON members the CLI puts first in each row of a period.
fn tag_prefix(webinar: &Value) -> String {
    format!(
        r#"{{"webinar_uuid":{},"webinar_id":{},"webinar_topic":{},"webinar_start_time":{},"#,
        webinar["uuid"], webinar["id"], webinar["topic"], webinar["start_time"]
    )
}

/// The CSV cells the CLI puts first in each row of a period.
fn tag_cells(webinar: &Value) -> Vec<String> {
    ["uuid", "id", "topic", "start_time"]
        .iter()
        .map(|k| match &webinar[*k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// `(instance, its expected rows)` in list order.
fn expected_rows(zoom: &FakeZoom, registrant: bool) -> Vec<(Value, Vec<Participant>)> {
    let (from, to) = quarter();
    zoom.expected_webinars(from, to)
        .into_iter()
        .map(|w| {
            let rows = zoom.expected_participants(w["uuid"].as_str().unwrap(), registrant);
            (w, rows)
        })
        .collect()
}

/// What `attendance` computes over each instance's expected rows.
async fn expected_people(zoom: &FakeZoom, registrant: bool) -> Vec<(Value, Vec<Attendance>)> {
    let mut all = Vec::new();
    for (webinar, rows) in expected_rows(zoom, registrant) {
        let people: Vec<Attendance> =
            attendance(futures::stream::iter(rows.into_iter().map(Ok)), None)
                .try_collect()
                .await
                .unwrap();
        all.push((webinar, people));
    }
    all
}

/// Every participants request was `type=past` (the list holds past instances) with the
/// given page size, and together they reached each instance, double-encoded where needed.
fn assert_participants_requests(zoom: &FakeZoom, page_size: &str) {
    let requests = zoom.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r.query_value("type"), Some("past"), "{r:?}");
        assert_eq!(r.query_value("page_size"), Some(page_size), "{r:?}");
    }
    for (_, segment) in ODD_UUIDS {
        let path = format!("/v2/metrics/webinars/{segment}/participants");
        assert!(requests.iter().any(|r| r.path == path), "{path} requested");
    }
}

#[tokio::test]
async fn cli_period_ndjson_is_every_instance_s_rows_tagged_in_list_order() {
    let zoom = demo_fake().await;
    let out = run(&zoom, &["--from", FROM, "--to", TO]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let lines = lines(&out);
    let mut at = 0;
    for (webinar, rows) in expected_rows(&zoom, false) {
        let prefix = tag_prefix(&webinar);
        for expected in rows {
            let line = &lines[at];
            let rest = line
                .strip_prefix(&prefix)
                .unwrap_or_else(|| panic!("row {at} starts with {prefix}: {line}"));
            let row: Participant = serde_json::from_str(&format!("{{{rest}")).unwrap();
            assert_eq!(row, expected, "row {at}");
            let value: Value = serde_json::from_str(line).unwrap();
            assert!(value["webinar_id"].is_u64(), "webinar_id is a number");
            at += 1;
        }
    }
    assert_eq!(at, lines.len(), "no row beyond the instances' rows");
    assert_eq!(at, 184);
    assert_eq!(
        list_windows(&zoom.list_requests(), "300"),
        vec![window(0, false), window(1, false), window(2, false)]
    );
    assert_participants_requests(&zoom, "300");
}

#[tokio::test]
async fn cli_period_csv_has_the_instance_in_its_leading_columns() {
    let zoom = demo_fake().await;
    let out = run(
        &zoom,
        &[
            "--from",
            FROM,
            "--to",
            TO,
            "--format",
            "csv",
            "--page-size",
            "7",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut expected_header: Vec<String> = [
        "webinar_uuid",
        "webinar_id",
        "webinar_topic",
        "webinar_start_time",
    ]
    .iter()
    .chain(Participant::FIELDS)
    .map(|s| s.to_string())
    .collect();
    expected_header.push("extra".into());
    assert_eq!(header, expected_header);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut at = 0;
    for (webinar, rows) in expected_rows(&zoom, false) {
        let tags = tag_cells(&webinar);
        for expected in rows {
            let record = &records[at];
            let cells: Vec<&str> = record.iter().collect();
            assert_eq!(
                cells[..4],
                tags.iter().map(String::as_str).collect::<Vec<_>>()[..]
            );
            let mut value = serde_json::to_value(&expected).unwrap();
            let map = value.as_object_mut().unwrap();
            for (i, field) in Participant::FIELDS.iter().enumerate() {
                let cell = match map.remove(*field) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                };
                assert_eq!(cells[4 + i], cell, "row {at} field {field}");
            }
            let extra = cells[4 + Participant::FIELDS.len()];
            if map.is_empty() {
                assert_eq!(extra, "");
            } else {
                assert_eq!(
                    serde_json::from_str::<Value>(extra).unwrap(),
                    Value::Object(map.clone())
                );
            }
            at += 1;
        }
    }
    assert_eq!(at, records.len());
    assert_participants_requests(&zoom, "7");
}

#[tokio::test]
async fn cli_list_webinars_prints_the_listed_objects() {
    let zoom = demo_fake().await;
    let (from, to) = quarter();
    let expected = zoom.expected_webinars(from, to);
    let out = run(&zoom, &["--from", FROM, "--to", TO, "--list-webinars"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    // NDJSON: the objects as Zoom sent them (the fake writes them minified, keys sorted).
    let want: Vec<String> = expected.iter().map(Value::to_string).collect();
    assert_eq!(lines(&out), want);
    assert_eq!(zoom.request_count(), 0, "no participants request");
    assert_eq!(zoom.list_requests().len(), 3);

    let out = run(
        &zoom,
        &[
            "--from",
            FROM,
            "--to",
            TO,
            "--list-webinars",
            "--format",
            "csv",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..4], ["uuid", "id", "topic", "start_time"]);
    assert_eq!(header.last().map(String::as_str), Some("extra"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), expected.len());
    for (record, webinar) in records.iter().zip(&expected) {
        let cells: Vec<&str> = record.iter().collect();
        assert_eq!(
            cells[..4],
            tag_cells(webinar)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()[..]
        );
        // Every other column holds the object's member of that name.
        for (i, name) in header.iter().enumerate().skip(4) {
            if name == "extra" {
                continue;
            }
            let want = match &webinar[name.as_str()] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(cells[i], want, "{name} of {}", webinar["uuid"]);
        }
        let extra = cells[header.len() - 1];
        match webinar.get("x_engagement_score") {
            Some(score) => assert_eq!(
                serde_json::from_str::<Value>(extra).unwrap(),
                json!({ "x_engagement_score": score })
            ),
            None => assert_eq!(extra, ""),
        }
    }
}

#[tokio::test]
async fn cli_per_person_is_attendance_of_each_instance() {
    let zoom = demo_fake().await;
    for registrant in [false, true] {
        let mut args = vec!["--from", FROM, "--to", TO, "--per-person"];
        if registrant {
            args.push("--include-registrant-id");
        }
        let out = run(&zoom, &args).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let lines = lines(&out);
        let mut want = Vec::new();
        let mut rejoined = 0;
        let mut overlapping = 0;
        for (webinar, people) in expected_people(&zoom, registrant).await {
            let prefix = tag_prefix(&webinar);
            for person in people {
                if person.connections > 1 {
                    rejoined += 1;
                }
                let kind = if registrant { "registrant" } else { "user" };
                assert_eq!(person.key.kind(), kind);
                let text = serde_json::to_string(&person).unwrap();
                want.push(format!("{prefix}{}", &text[1..]));
            }
        }
        assert_eq!(lines, want, "registrant ids: {registrant}");
        // The generated rows do hold rejoins, some of them overlapping the first connection.
        for (_, rows) in expected_rows(&zoom, registrant) {
            for (i, row) in rows.iter().enumerate().skip(3) {
                let first = &rows[i - 3];
                if row.participant_user_id == first.participant_user_id
                    && row.join_time < first.leave_time
                {
                    overlapping += 1;
                }
            }
        }
        assert!(rejoined > 10 && overlapping > 5, "{rejoined} {overlapping}");
    }
}

#[tokio::test]
async fn cli_per_person_at_the_edges_still_in_session_and_hipaa_blank_rows() {
    // Rows the fake does not generate: one still in the meeting (no leave_time), HIPAA-blank
    // rows (no id of any kind, blank name and email), a person known by email only.
    let rows = json!([
        {"id": "", "participant_user_id": "", "user_name": "", "email": "",
         "join_time": "2026-01-07T17:00:00Z", "leave_time": "2026-01-07T17:10:00Z", "status": "in_meeting"},
        {"id": "", "participant_user_id": "u-stay", "user_name": "Stays", "email": "stay@example.com",
         "join_time": "2026-01-07T17:05:00Z", "status": "in_meeting", "role": "attendee"},
        {"id": "", "participant_user_id": "", "user_name": "", "email": " ",
         "join_time": "2026-01-07T17:00:00Z", "leave_time": "2026-01-07T17:10:00Z"},
        {"user_name": "Pat", "email": "Pat@Example.com",
         "join_time": "2026-01-07T17:20:00Z", "leave_time": "2026-01-07T17:50:30Z"},
        {"user_name": "", "email": "pat@example.com ",
         "join_time": "2026-01-07T17:40:00Z", "leave_time": "2026-01-07T18:00:00Z"},
    ]);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/metrics/webinars/edge/participants"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "page_size": 300, "next_page_token": "", "participants": rows,
        })))
        .mount(&server)
        .await;
    let out = run_at(
        &format!("{}/v2", server.uri()),
        common::TOKEN,
        &["--webinar", "edge", "--type", "past", "--per-person"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Vec<Value> = lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        got,
        vec![
            json!({"person_key_kind": "row", "person_key": "0", "name": null, "email": null,
                   "first_join": "2026-01-07T17:00:00Z", "last_leave": "2026-01-07T17:10:00Z",
                   "attended_seconds": 600, "connections": 1, "roles": [],
                   "statuses": ["in_meeting"], "still_in_session": false}),
            // Counted to the latest instant of the webinar's rows: 18:00.
            json!({"person_key_kind": "user", "person_key": "u-stay", "name": "Stays",
                   "email": "stay@example.com", "first_join": "2026-01-07T17:05:00Z",
                   "last_leave": null, "attended_seconds": 3300, "connections": 1,
                   "roles": ["attendee"], "statuses": ["in_meeting"], "still_in_session": true}),
            json!({"person_key_kind": "row", "person_key": "2", "name": null, "email": null,
                   "first_join": "2026-01-07T17:00:00Z", "last_leave": "2026-01-07T17:10:00Z",
                   "attended_seconds": 600, "connections": 1, "roles": [], "statuses": [],
                   "still_in_session": false}),
            // Two overlapping connections by email: 17:20 to 18:00.
            json!({"person_key_kind": "email", "person_key": "pat@example.com", "name": "Pat",
                   "email": "Pat@Example.com", "first_join": "2026-01-07T17:20:00Z",
                   "last_leave": "2026-01-07T18:00:00Z", "attended_seconds": 2400,
                   "connections": 2, "roles": [], "statuses": [], "still_in_session": false}),
        ]
    );
}

// Usage errors and durable runs.

#[tokio::test]
async fn a_bad_period_is_a_usage_error_without_a_list_request() {
    let zoom = demo_fake().await;
    for args in [
        vec!["--from", "2026-03-31", "--to", "2026-01-01"],
        vec!["--from", "2026-02-30", "--to", "2026-03-31"],
        vec!["--from", "2026-01-01", "--to", "2026-13-01"],
        vec!["--from", "yesterday", "--to", "2026-03-31"],
        vec!["--from", "2026/01/01", "--to", "2026-03-31"],
        vec!["--from", "2026-01-01"],
        vec!["--to", "2026-03-31"],
        vec!["--list-webinars", "--webinar", "1"],
        vec![
            "--from",
            FROM,
            "--to",
            TO,
            "--list-webinars",
            "--per-person",
        ],
        vec!["--from", FROM, "--to", TO, "--webinar", "1"],
    ] {
        let out = run(&zoom, &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
        // The cause on the first line (clap adds a blank line and a pointer to --help).
        assert!(
            stderr(&out).starts_with("error: "),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(zoom.list_requests().len(), 0);
    assert_eq!(zoom.request_count(), 0);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zoom-participants-period-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether the checkpoint left for `target` holds the listed instances.
fn instances_saved(target: &Path) -> bool {
    let path = PathBuf::from(format!("{}.part.checkpoint", target.display()));
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let value: Value = serde_json::from_str(&text).expect("a checkpoint is JSON");
    fn find(value: &Value) -> bool {
        match value {
            Value::Object(map) => map
                .iter()
                // The saved list is named (count and digest) once the listing is done.
                .any(|(k, v)| (k == "instances" && v.is_object()) || find(v)),
            Value::Array(items) => items.iter().any(find),
            _ => false,
        }
    }
    find(&value)
}

#[tokio::test]
async fn cli_period_kill_nine_then_rerun_gives_the_exact_file_without_listing_again() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let dir = tempdir();
    let cases: [Vec<&str>; 2] = [
        vec!["--from", FROM, "--to", TO, "--page-size", "5"],
        vec![
            "--from",
            FROM,
            "--to",
            TO,
            "--page-size",
            "5",
            "--per-person",
            "--format",
            "csv",
            "--concurrency",
            "2",
        ],
    ];
    for (case, args) in cases.into_iter().enumerate() {
        let reference = dir.join(format!("reference-{case}"));
        let target = dir.join(format!("export-{case}"));
        let mut full = args.clone();
        full.extend(["--output", reference.to_str().unwrap()]);
        let out = run(&zoom, &full).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let mut durable = args.clone();
        durable.extend(["--output", target.to_str().unwrap()]);
        let part = PathBuf::from(format!("{}.part", target.display()));
        // Five runs killed with SIGKILL at growing moments (each continues the last), then
        // one left to finish; a run that finishes before its kill ends the sequence.
        let mut killed = 0;
        let mut listed_once = 0;
        let mut finished = false;
        for after in [35u64, 60, 90, 130, 180].into_iter().chain([u64::MAX]) {
            let saved = instances_saved(&target);
            let resuming = part.exists();
            let lists_before = zoom.list_requests().len();
            let status = if after == u64::MAX {
                let out = run(&zoom, &durable).await;
                assert!(out.status.success(), "{}", stderr(&out));
                out.status
            } else {
                let mut child = command(&zoom.base_url(), zoom.access_token())
                    .args(&durable)
                    .spawn()
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(after)).await;
                let _ = child.start_kill(); // SIGKILL
                tokio::time::timeout(Duration::from_secs(10), child.wait())
                    .await
                    .expect("killed")
                    .unwrap()
            };
            if saved {
                listed_once += 1;
                assert_eq!(
                    zoom.list_requests().len(),
                    lists_before,
                    "case {case}, after {after} ms: the list was requested again after the instances were saved"
                );
            }
            if status.success() {
                assert!(
                    resuming,
                    "case {case}: the run that finished continued a .part"
                );
                finished = true;
                break;
            }
            assert_eq!(status.code(), None, "case {case}: killed, not failed");
            killed += 1;
        }
        assert!(finished);
        assert!(
            killed >= 3,
            "case {case}: only {killed} runs were cut short"
        );
        assert!(
            listed_once >= 2,
            "case {case}: instances saved by a killed run"
        );
        assert_eq!(
            std::fs::read(&target).unwrap(),
            std::fs::read(&reference).unwrap(),
            "case {case}: byte-identical after kills and a rerun"
        );
        assert!(!Path::new(&format!("{}.part", target.display())).exists());
        assert!(!Path::new(&format!("{}.part.checkpoint", target.display())).exists());
    }
    // And the reference itself is the period's rows.
    let text = std::fs::read_to_string(dir.join("reference-0")).unwrap();
    assert_eq!(text.lines().count(), 184);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_quarter_s_instances_and_rows_are_consistent_with_the_list() {
    // The `participants` count of each listed object is the number of rows served.
    let zoom = demo_fake().await;
    for (webinar, rows) in expected_rows(&zoom, false) {
        assert_eq!(webinar["participants"], json!(rows.len()));
    }
    // And a stream of the list, polled to the end, keeps no window open.
    let (from, to) = quarter();
    let mut stream = client(&zoom)
        .webinars(from, to)
        .webinar_type(WebinarType::Past)
        .stream();
    let mut n = 0;
    while let Some(w) = stream.next().await {
        w.unwrap();
        n += 1;
    }
    assert_eq!(n, 10);
    assert!(stream.checkpoint().is_finished());
}
