//! The fake Zoom's meeting and Report API endpoints (`/v2/metrics/meetings/{id}/participants`,
//! `/v2/metrics/meetings`, `/v2/report/{webinars,meetings}/{id}/participants`), spoken to
//! with plain reqwest so the fake's own behaviour is what is tested.
#![cfg(feature = "fake")]

#[path = "fake_meetings/lists.rs"]
mod lists;
#[path = "fake_meetings/report.rs"]
mod report;
#[path = "fake_meetings/schema.rs"]
mod schema;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use serde_json::value::RawValue;
use zoom_participants::fake::{FakeMeeting, FakeZoom, Fault, ReportKind};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// One answer: status, headers, the body's bytes.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// The rows of the page's `array` as the exact JSON texts served.
    fn raw_rows(&self, array: &str) -> Vec<String> {
        let page: HashMap<String, Box<RawValue>> =
            serde_json::from_slice(&self.bytes).expect("a JSON object");
        let rows: Vec<Box<RawValue>> =
            serde_json::from_str(page[array].get()).expect("an array of rows");
        rows.iter().map(|row| row.get().to_owned()).collect()
    }

    fn token(&self) -> String {
        self.json()["next_page_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// `GET {base}{path}?{query}`, `path` sent as written (percent-encoding intact).
async fn get(zoom: &FakeZoom, path: &str, query: &[(&str, &str)]) -> Answer {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", zoom.base_url()))
        .bearer_auth(zoom.access_token())
        .query(query)
        .send()
        .await
        .expect("fake answers");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.unwrap_or_default().to_vec(),
    }
}

/// Every page of `path` with `query`, following the tokens: the answers, in order.
async fn pages(zoom: &FakeZoom, path: &str, query: &[(&str, &str)]) -> Vec<Answer> {
    let mut answers: Vec<Answer> = Vec::new();
    loop {
        let token = answers.last().map(Answer::token).unwrap_or_default();
        if !answers.is_empty() && token.is_empty() {
            return answers;
        }
        let mut query = query.to_vec();
        if !token.is_empty() {
            query.push(("next_page_token", &token));
        }
        let answer = get(zoom, path, &query).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.json());
        answers.push(answer);
    }
}

/// The rows of every page, as served.
fn raw_rows(answers: &[Answer], array: &str) -> Vec<String> {
    answers.iter().flat_map(|a| a.raw_rows(array)).collect()
}

/// The rows of every page, parsed.
fn rows(answers: &[Answer], array: &str) -> Vec<Value> {
    raw_rows(answers, array)
        .iter()
        .map(|row| serde_json::from_str(row).expect("a JSON row"))
        .collect()
}

/// A path segment by Zoom's rule: every byte but the unreserved ones percent-encoded, and
/// the result encoded again when the ID starts with `/` or contains `//`.
fn segment(id: &str) -> String {
    let once = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    if id.starts_with('/') || id.contains("//") {
        once(&once(id))
    } else {
        once(id)
    }
}

fn meeting_path(id: &str) -> String {
    format!("/metrics/meetings/{}/participants", segment(id))
}

fn report_path(kind: ReportKind, id: &str) -> String {
    let of = match kind {
        ReportKind::Webinar => "webinars",
        ReportKind::Meeting => "meetings",
    };
    format!("/report/{of}/{}/participants", segment(id))
}

const INVALID_TOKEN: &str = "The next page token is invalid or expired.";

fn assert_zoom_error(answer: &Answer, status: StatusCode, code: i64, message: &str) {
    let body = answer.json();
    assert_eq!(answer.status, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

#[tokio::test]
async fn meeting_participants_come_page_by_page_with_exact_rows_and_tokens() {
    let zoom = FakeZoom::builder()
        .meeting("81234567890", 7)
        .start()
        .await
        .expect("fake");
    let path = meeting_path("81234567890");
    let query = [
        ("type", "past"),
        ("page_size", "3"),
        ("include_fields", "registrant_id"),
    ];
    let answers = pages(&zoom, &path, &query).await;
    assert_eq!(answers.len(), 3);
    for (i, answer) in answers.iter().enumerate() {
        let body = answer.json();
        assert_eq!(body["page_count"], 3);
        assert_eq!(body["page_size"], 3);
        assert_eq!(body["total_records"], 7);
        assert_eq!(
            body["participants"].as_array().map(Vec::len),
            Some([3, 3, 1][i])
        );
    }
    let tokens: Vec<String> = answers.iter().map(Answer::token).collect();
    assert!(!tokens[0].is_empty() && !tokens[1].is_empty() && tokens[0] != tokens[1]);
    assert_eq!(tokens[2], "");

    // Byte for byte what the fake says it serves.
    let expected = zoom.expected_meeting_participants("81234567890", true);
    assert_eq!(expected.len(), 7);
    let served = raw_rows(&answers, "participants");
    let expected_texts: Vec<String> = expected
        .iter()
        .map(|p| serde_json::to_string(p).expect("serializes"))
        .collect();
    assert_eq!(served, expected_texts);
    let parsed = rows(&answers, "participants");
    assert_eq!(parsed[2]["registrant_id"], "reg-2");
    assert_eq!(parsed[6]["in_room_participants"], 3 + 6 % 5);
    assert!(parsed.iter().all(|p| p["in_room_participants"].is_u64()));
    assert!(
        parsed.iter().all(|p| p["role"] != "panelist"),
        "no panelists"
    );
    assert!(parsed.iter().any(|p| p["role"] == "host"));

    // Zoom's default type is `live`, where `include_fields=registrant_id` is not served.
    let live = pages(&zoom, &path, &query[1..]).await;
    let live_rows = rows(&live, "participants");
    assert_eq!(live_rows.len(), 7);
    assert!(live_rows.iter().all(|p| p.get("registrant_id").is_none()));
    let without: Vec<String> = zoom
        .expected_meeting_participants("81234567890", false)
        .iter()
        .map(|p| serde_json::to_string(p).expect("serializes"))
        .collect();
    assert_eq!(raw_rows(&live, "participants"), without);

    let recorded = zoom.requests();
    assert_eq!(recorded.len(), 6);
    assert!(
        recorded
            .iter()
            .all(|r| r.path == "/v2/metrics/meetings/81234567890/participants")
    );
    assert_eq!(
        recorded[1].query_value("next_page_token"),
        Some(&*tokens[0])
    );
    assert!(zoom.list_requests().is_empty());
}

#[tokio::test]
async fn one_person_meetings_are_served_only_with_past_one_and_never_by_the_report() {
    let zoom = FakeZoom::builder()
        .one_person_meeting("82000000001")
        .meeting("82000000002", 2)
        .start()
        .await
        .expect("fake");
    let alone = meeting_path("82000000001");
    let answer = get(&zoom, &alone, &[("type", "pastOne")]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let expected = zoom.expected_meeting_participants("82000000001", false);
    assert_eq!(expected.len(), 1);
    assert_eq!(
        answer.raw_rows("participants"),
        [serde_json::to_string(&expected[0]).expect("serializes")]
    );
    assert_eq!(answer.json()["total_records"], 1);
    assert_eq!(answer.json()["participants"][0]["role"], "host");

    let gone = "Meeting does not exist: 82000000001.";
    for query in [&[("type", "past")][..], &[("type", "live")][..], &[][..]] {
        let answer = get(&zoom, &alone, query).await;
        assert_zoom_error(&answer, StatusCode::NOT_FOUND, 3001, gone);
    }
    let answer = get(&zoom, &report_path(ReportKind::Meeting, "82000000001"), &[]).await;
    assert_zoom_error(
        &answer,
        StatusCode::NOT_FOUND,
        3001,
        "Meeting 82000000001 not found or has expired.",
    );
    assert!(
        zoom.expected_report_participants(ReportKind::Meeting, "82000000001", false)
            .is_empty()
    );

    // A meeting of two is not a pastOne meeting.
    let two = meeting_path("82000000002");
    let answer = get(&zoom, &two, &[("type", "pastOne")]).await;
    assert_zoom_error(
        &answer,
        StatusCode::NOT_FOUND,
        3001,
        "Meeting does not exist: 82000000002.",
    );
    let answer = get(&zoom, &two, &[("type", "past")]).await;
    assert_eq!(answer.json()["total_records"], 2);
    let answer = get(&zoom, &report_path(ReportKind::Meeting, "82000000002"), &[]).await;
    assert_eq!(answer.json()["total_records"], 2);

    let answer = get(&zoom, &two, &[("type", "pastone")]).await;
    assert_zoom_error(
        &answer,
        StatusCode::BAD_REQUEST,
        300,
        "Invalid field: type pastone.",
    );
    // pastOne is a meetings' type only.
    let zoom = FakeZoom::builder()
        .webinar("82000000003", 2)
        .start()
        .await
        .expect("fake");
    let answer = get(
        &zoom,
        "/metrics/webinars/82000000003/participants",
        &[("type", "pastOne")],
    )
    .await;
    assert_zoom_error(
        &answer,
        StatusCode::BAD_REQUEST,
        300,
        "Invalid field: type pastOne.",
    );
}

#[tokio::test]
async fn a_page_token_is_refused_by_every_endpoint_but_the_one_that_issued_it() {
    let id = "83000000000";
    let zoom = FakeZoom::builder()
        .webinar(id, 10)
        .meeting(id, 10)
        .demo_period()
        .start()
        .await
        .expect("fake");
    let webinar = format!("/metrics/webinars/{id}/participants");
    let meeting = meeting_path(id);
    let report_webinar = report_path(ReportKind::Webinar, id);
    let report_meeting = report_path(ReportKind::Meeting, id);
    let endpoints = [
        (webinar.as_str(), vec![("type", "past"), ("page_size", "2")]),
        (meeting.as_str(), vec![("type", "past"), ("page_size", "2")]),
        (report_webinar.as_str(), vec![("page_size", "2")]),
        (report_meeting.as_str(), vec![("page_size", "2")]),
        (
            "/metrics/webinars",
            vec![
                ("type", "past"),
                ("from", "2026-01-01"),
                ("to", "2026-01-31"),
                ("page_size", "2"),
            ],
        ),
        (
            "/metrics/meetings",
            vec![
                ("type", "past"),
                ("from", "2026-01-01"),
                ("to", "2026-01-31"),
                ("page_size", "2"),
            ],
        ),
    ];
    let mut tokens = Vec::new();
    for (path, query) in &endpoints {
        let answer = get(&zoom, path, query).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let token = answer.token();
        assert!(!token.is_empty(), "{path}");
        tokens.push(token);
    }
    for (i, token) in tokens.iter().enumerate() {
        for (j, (path, query)) in endpoints.iter().enumerate() {
            let mut query = query.clone();
            query.push(("next_page_token", token));
            let answer = get(&zoom, path, &query).await;
            if i == j {
                assert_eq!(answer.status, StatusCode::OK, "{path} with its own token");
                assert!(!answer.bytes.is_empty());
            } else {
                assert_zoom_error(&answer, StatusCode::BAD_REQUEST, 300, INVALID_TOKEN);
            }
        }
    }

    // Bound to the query too: another ID, type or include_fields of the same endpoint.
    let zoom_two = FakeZoom::builder()
        .meeting("83000000001", 10)
        .meeting("83000000002", 10)
        .start()
        .await
        .expect("fake");
    let first = meeting_path("83000000001");
    let token = get(&zoom_two, &first, &[("type", "past"), ("page_size", "2")])
        .await
        .token();
    for (path, query) in [
        (meeting_path("83000000002"), vec![("type", "past")]),
        (first.clone(), vec![("type", "live")]),
        (first.clone(), vec![]),
        (
            first.clone(),
            vec![("type", "past"), ("include_fields", "registrant_id")],
        ),
    ] {
        let mut query = query;
        query.push(("next_page_token", &token));
        let answer = get(&zoom_two, &path, &query).await;
        assert_zoom_error(&answer, StatusCode::BAD_REQUEST, 300, INVALID_TOKEN);
    }
    // page_size may change from page to page.
    let answer = get(
        &zoom_two,
        &first,
        &[
            ("type", "past"),
            ("page_size", "5"),
            ("next_page_token", &token),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let served = answer.json();
    assert_eq!(served["participants"].as_array().map(Vec::len), Some(5));
    let expected = zoom_two.expected_meeting_participants("83000000001", false);
    let texts: Vec<String> = expected[2..7]
        .iter()
        .map(|p| serde_json::to_string(p).expect("serializes"))
        .collect();
    assert_eq!(answer.raw_rows("participants"), texts);
}

#[tokio::test]
async fn slashed_uuids_must_arrive_double_encoded_on_every_meeting_and_report_endpoint() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    for uuid in ["/aLlHaNdS8q0w1e2r3t4y5==", "rEtR0//q8w7e6r5t4y3uIo=="] {
        let path = meeting_path(uuid);
        assert!(path.contains("%25"), "double-encoded: {path}");
        let answers = pages(&zoom, &path, &[("type", "past"), ("page_size", "300")]).await;
        let served = raw_rows(&answers, "participants");
        let expected: Vec<String> = zoom
            .expected_meeting_participants(uuid, false)
            .iter()
            .map(|p| serde_json::to_string(p).expect("serializes"))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(served, expected, "{uuid}");
        let report = pages(&zoom, &report_path(ReportKind::Meeting, uuid), &[]).await;
        assert_eq!(
            raw_rows(&report, "participants"),
            zoom.expected_report_participants_raw(ReportKind::Meeting, uuid, false)
        );

        // Encoded once, a slashed UUID is not found.
        let once: String = uuid
            .replace('/', "%2F")
            .replace('=', "%3D")
            .replace('+', "%2B");
        let answer = get(
            &zoom,
            &format!("/metrics/meetings/{once}/participants"),
            &[("type", "past")],
        )
        .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.json()["code"], 3001);
        let answer = get(&zoom, &format!("/report/meetings/{once}/participants"), &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.json()["code"], 3001);
    }
    let answer = get(
        &zoom,
        &report_path(ReportKind::Webinar, "kq3//Wz9TkuZ1pXy7Lm0bQ=="),
        &[],
    )
    .await;
    assert_eq!(answer.json()["total_records"], 40);
}

#[tokio::test]
async fn faults_gzip_and_odd_paths_apply_to_the_new_endpoints_too() {
    let zoom = FakeZoom::builder()
        .meeting("86000000000", 300)
        .start()
        .await
        .expect("fake");
    let path = meeting_path("86000000000");
    zoom.push_fault(Fault::Status(503));
    let answer = get(&zoom, &path, &[("type", "past")]).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    zoom.push_fault(Fault::per_second_limit(2));
    let answer = get(&zoom, &report_path(ReportKind::Meeting, "86000000000"), &[]).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        answer
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );

    // reqwest asks for gzip and inflates: fewer bytes on the wire than in the body.
    let before = zoom.bytes_sent();
    let answer = get(&zoom, &path, &[("type", "past"), ("page_size", "300")]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let wire = zoom.bytes_sent() - before;
    assert!(0 < wire && wire < answer.bytes.len() as u64 / 2, "{wire}");

    for odd in [
        "/metrics/meetings/bad%zz/participants",
        "/metrics/meetings/%2F%2Fx/participants",
        "/report/meetings/%FF%FE/participants",
        "/report/webinars/../participants",
    ] {
        let answer = get(&zoom, odd, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{odd}");
    }
    let answer = get(&zoom, &path, &[("type", "past"), ("page_size", "0")]).await;
    assert_zoom_error(
        &answer,
        StatusCode::BAD_REQUEST,
        300,
        "Invalid field: page_size.",
    );
    let answer = get(
        &zoom,
        &path,
        &[("type", "past"), ("next_page_token", "garbage")],
    )
    .await;
    assert_zoom_error(&answer, StatusCode::BAD_REQUEST, 300, INVALID_TOKEN);
    let unauthorized = reqwest::Client::new()
        .get(format!(
            "{}{}",
            zoom.base_url(),
            report_path(ReportKind::Meeting, "86000000000")
        ))
        .send()
        .await
        .expect("fake answers");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
}
