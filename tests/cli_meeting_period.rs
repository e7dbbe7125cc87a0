//! The binary's meeting periods against the fake Zoom's ready-made quarter, as a process:
//! `--meetings --from/--to` (every past meeting instance of the period, then their rows,
//! tagged) across month and year boundaries, `--list-meetings` in NDJSON and CSV, `--type
//! pastOne` with a period, and what `--demo` shows of meetings and of the Report API.
#![cfg(feature = "cli")]

mod cli_support;

use chrono::NaiveDate;
use cli_support::*;
use serde_json::Value;
use zoom_participants::Meeting;
use zoom_participants::fake::{FakeZoom, RecordedRequest, ReportKind};

/// The demo's webinar.
const DEMO_WEBINAR: &str = "95204914252";

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

async fn demo_fake() -> FakeZoom {
    FakeZoom::builder().demo_period().start().await.unwrap()
}

/// A path segment by Zoom's rule, as the fake expects it (see `tests/period.rs`).
fn segment(uuid: &str) -> String {
    let once: String = uuid
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    if uuid.starts_with('/') || uuid.contains("//") {
        once.replace('%', "%25")
    } else {
        once
    }
}

/// The NDJSON tags of a meeting instance's rows, from its list object.
fn meeting_tags(meeting: &Value) -> Vec<(&'static str, String)> {
    vec![
        ("meeting_uuid", meeting["uuid"].to_string()),
        ("meeting_id", meeting["id"].to_string()),
        ("meeting_topic", meeting["topic"].to_string()),
        ("meeting_start_time", meeting["start_time"].to_string()),
    ]
}

/// Every line `--meetings` writes for the period, in list order.
fn expected_lines(zoom: &FakeZoom, from: &str, to: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for meeting in zoom.expected_meetings(day(from), day(to)) {
        let uuid = meeting["uuid"].as_str().unwrap();
        for row in texts(&zoom.expected_meeting_participants(uuid, false)) {
            lines.push(tagged(&meeting_tags(&meeting), &row));
        }
    }
    lines
}

/// `(from, to)` of each meeting-list request, after checking what every one must hold.
fn list_windows(requests: &[RecordedRequest]) -> Vec<(String, String)> {
    requests
        .iter()
        .map(|r| {
            assert_eq!(r.path, "/v2/metrics/meetings");
            assert_eq!(keys(r), ["type", "from", "to", "page_size"], "{r:?}");
            assert_eq!(r.query_value("type"), Some("past"));
            (
                r.query_value("from").unwrap().to_owned(),
                r.query_value("to").unwrap().to_owned(),
            )
        })
        .collect()
}

fn windows(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect()
}

#[tokio::test]
async fn meetings_across_month_and_year_boundaries_are_each_instance_s_rows_tagged() {
    /// `from`, `to`, the list windows, each instance's topic and start.
    type Case = (
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
        Pairs,
    );
    type Pairs = Vec<(&'static str, &'static str)>;
    let cases: [Case; 3] = [
        // The last instant of January and the first of February, in one window.
        (
            "2026-01-31",
            "2026-02-01",
            vec![("2026-01-31", "2026-02-01")],
            vec![
                ("Month-end retro", "2026-01-31T23:30:00Z"),
                ("All-hands", "2026-02-01T00:00:00Z"),
            ],
        ),
        // Across the new year: the January all-hands has a UUID that starts with `/`.
        (
            "2025-12-31",
            "2026-01-01",
            vec![("2025-12-31", "2026-01-01")],
            vec![
                ("Weekly stand-up", "2025-12-31T23:50:00Z"),
                ("All-hands", "2026-01-01T00:00:00Z"),
            ],
        ),
        // Mid-month to mid-month: two one-month windows that are not calendar months.
        (
            "2026-01-15",
            "2026-03-01",
            vec![("2026-01-15", "2026-02-14"), ("2026-02-15", "2026-03-01")],
            vec![
                ("Weekly stand-up", "2026-01-19T09:00:00Z"),
                ("Weekly stand-up", "2026-01-26T09:00:00Z"),
                ("Month-end retro", "2026-01-31T23:30:00Z"),
                ("All-hands", "2026-02-01T00:00:00Z"),
                ("Weekly stand-up", "2026-02-02T09:00:00Z"),
                ("Weekly stand-up", "2026-02-09T09:00:00Z"),
                ("Weekly stand-up", "2026-02-16T09:00:00Z"),
                ("Budget review", "2026-02-17T10:30:00Z"),
                ("Weekly stand-up", "2026-02-23T09:00:00Z"),
                ("Month-end retro", "2026-02-28T23:30:00Z"),
                ("All-hands", "2026-03-01T00:00:00Z"),
            ],
        ),
    ];
    for (from, to, want_windows, instances) in cases {
        let zoom = demo_fake().await;
        let listed = zoom.expected_meetings(day(from), day(to));
        let seen: Vec<(&str, &str)> = listed
            .iter()
            .map(|m| {
                (
                    m["topic"].as_str().unwrap(),
                    m["start_time"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(seen, instances, "{from}..{to}: the instances");

        let out = run(
            &zoom,
            &[
                "--meetings",
                "--from",
                from,
                "--to",
                to,
                "--page-size",
                "50",
            ],
        )
        .await;
        assert_quiet_success(&out);
        let want = expected_lines(&zoom, from, to);
        let rows: u64 = listed
            .iter()
            .map(|m| m["participants"].as_u64().unwrap())
            .sum();
        assert_eq!(want.len() as u64, rows, "{from}..{to}");
        assert_eq!(lines(&out), want, "{from}..{to}");

        assert_eq!(
            list_windows(&zoom.list_requests()),
            windows(&want_windows),
            "{from}..{to}: the list windows"
        );
        // Each instance by its UUID (double-encoded where Zoom wants it), `type=past`, in
        // pages of 50.
        let requests = zoom.requests();
        let mut want_paths = Vec::new();
        for meeting in &listed {
            let path = format!(
                "/v2/metrics/meetings/{}/participants",
                segment(meeting["uuid"].as_str().unwrap())
            );
            let pages = meeting["participants"]
                .as_u64()
                .unwrap()
                .div_ceil(50)
                .max(1);
            want_paths.extend(std::iter::repeat_n(path, pages as usize));
        }
        let mut got_paths = paths(&requests);
        got_paths.sort();
        want_paths.sort();
        assert_eq!(got_paths, want_paths, "{from}..{to}");
        for r in &requests {
            assert_eq!(r.query_value("type"), Some("past"), "{r:?}");
            assert_eq!(r.query_value("page_size"), Some("50"), "{r:?}");
        }
    }
    assert_eq!(
        segment("/aLlHaNdS8q0w1e2r3t4y5=="),
        "%252FaLlHaNdS8q0w1e2r3t4y5%253D%253D"
    );
}

/// The CSV columns of `--list-meetings`: `uuid`, `id`, `topic`, `start_time`, then the rest
/// of `Meeting::FIELDS` in order.
fn list_columns() -> Vec<&'static str> {
    let first = ["uuid", "id", "topic", "start_time"];
    first
        .into_iter()
        .chain(
            Meeting::FIELDS
                .iter()
                .copied()
                .filter(|f| !first.contains(f)),
        )
        .collect()
}

#[tokio::test]
async fn list_meetings_writes_the_listed_objects_in_ndjson_and_csv() {
    let (from, to) = ("2026-01-15", "2026-03-01");
    let zoom = demo_fake().await;
    let expected = zoom.expected_meetings(day(from), day(to));
    assert_eq!(expected.len(), 11);
    let out = run(&zoom, &["--list-meetings", "--from", from, "--to", to]).await;
    assert_quiet_success(&out);
    // As sent (the fake writes its objects minified, keys sorted).
    let want: Vec<String> = expected.iter().map(Value::to_string).collect();
    assert_eq!(lines(&out), want);
    assert!(want.iter().all(|m| m.contains("\"in_room_participants\":")));
    assert_eq!(zoom.request_count(), 0, "no participants request");
    assert_eq!(
        list_windows(&zoom.list_requests()),
        windows(&[("2026-01-15", "2026-02-14"), ("2026-02-15", "2026-03-01")])
    );

    let out = run(
        &zoom,
        &[
            "--list-meetings",
            "--from",
            from,
            "--to",
            to,
            "--format",
            "csv",
        ],
    )
    .await;
    assert_quiet_success(&out);
    let (header, records) = csv_of(&out.stdout);
    let columns = list_columns();
    assert_eq!(header, header_of(&[&columns]));
    assert_eq!(header[..4], ["uuid", "id", "topic", "start_time"]);
    let want: Vec<Vec<String>> = expected
        .iter()
        .map(|m| cells_of(&m.to_string(), &columns))
        .collect();
    assert_eq!(records, want);
    assert_eq!(zoom.list_requests().len(), 4);
}

#[tokio::test]
async fn a_period_of_past_one_meetings_lists_and_reads_the_one_person_meetings() {
    let (from, to) = ("2026-01-01", "2026-03-31");
    let zoom = demo_fake().await;
    let alone = zoom.expected_meeting_listing(day(from), day(to), true, false);
    assert_eq!(alone.len(), 6, "focus time, every other Friday");

    let out = run(
        &zoom,
        &[
            "--list-meetings",
            "--from",
            from,
            "--to",
            to,
            "--type",
            "pastOne",
        ],
    )
    .await;
    assert_quiet_success(&out);
    let want: Vec<String> = alone.iter().map(Value::to_string).collect();
    assert_eq!(lines(&out), want, "the pastOne listing");

    let out = run(
        &zoom,
        &[
            "--meetings",
            "--from",
            from,
            "--to",
            to,
            "--type",
            "pastOne",
        ],
    )
    .await;
    assert_quiet_success(&out);
    let mut want = Vec::new();
    for meeting in &alone {
        let uuid = meeting["uuid"].as_str().unwrap();
        for row in texts(&zoom.expected_meeting_participants(uuid, false)) {
            want.push(tagged(&meeting_tags(meeting), &row));
        }
    }
    assert_eq!(want.len(), 7, "one row each, two for the host who rejoined");
    assert_eq!(lines(&out), want);
    assert!(
        zoom.list_requests()
            .iter()
            .all(|r| r.query_value("type") == Some("pastOne"))
    );
    assert!(
        zoom.requests()
            .iter()
            .all(|r| r.query_value("type") == Some("pastOne"))
    );
}

#[tokio::test]
async fn demo_meetings_of_the_quarter_are_the_fake_s_rows() {
    let out = output(
        bare_command(),
        &[
            "--demo",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--meetings",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    // What the demo serves: the same generated quarter, the same seed.
    let zoom = FakeZoom::builder()
        .webinar(DEMO_WEBINAR, 10_000)
        .demo_period()
        .start()
        .await
        .unwrap();
    let want = expected_lines(&zoom, "2026-01-01", "2026-03-31");
    let got = lines(&out);
    assert_eq!(got, want);
    assert_eq!(got.len(), 528, "22 instances of 2 to 140 rows");
    let first: Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(first["meeting_topic"], "All-hands");
    assert_eq!(first["meeting_uuid"], "/aLlHaNdS8q0w1e2r3t4y5==");
    assert_eq!(first["meeting_id"], 72_345_678_901u64);
    assert_eq!(first["meeting_start_time"], "2026-01-01T00:00:00Z");
    assert_eq!(first["role"], "host");
    let last: Value = serde_json::from_str(&got[527]).unwrap();
    assert_eq!(last["meeting_topic"], "Month-end retro");
    assert_eq!(last["meeting_uuid"], "rEtR0//q8w7e6r5t4y3uIo==");
    assert_eq!(last["meeting_start_time"], "2026-03-31T23:30:00Z");
}

#[tokio::test]
async fn demo_report_rows_are_the_fake_s_report_rows() {
    let out = output(bare_command(), &["--demo", "--source", "report"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let zoom = FakeZoom::builder()
        .webinar(DEMO_WEBINAR, 10_000)
        .start()
        .await
        .unwrap();
    let want = zoom.expected_report_participants_raw(ReportKind::Webinar, DEMO_WEBINAR, false);
    assert_eq!(want.len(), 10_000);
    let got = lines(&out);
    assert_eq!(got.len(), 10_000);
    assert_eq!(got[0], want[0]);
    assert_eq!(got[9_999], want[9_999]);
    assert_eq!(stdout(&out), ndjson_of(&want));
    let first: Value = serde_json::from_str(&got[0]).unwrap();
    assert!(first["name"].is_string() && first.get("user_name").is_none());
    assert_eq!(first["failover"], false);
    let last: Value = serde_json::from_str(&got[9_999]).unwrap();
    assert!(last["duration"].is_u64());
}
