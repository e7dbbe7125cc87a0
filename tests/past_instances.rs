//! The ended instances of a webinar or meeting number (`/past_webinars/{id}/instances`,
//! `/past_meetings/{id}/instances`): one description on the core, exact rows, no
//! `page_size`, numbers only; and, against the fake, every occurrence of a recurring
//! webinar reached through the Report API.

mod common;

use common::*;
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::fake::{FakeMeeting, FakeWebinar, FakeZoom, ReportKind};
use zoom_participants::{Error, PastInstance, RawRow};

const BODY: &str = r#"{"webinars":[{"uuid":"/ajXp112QmuoKj4854875==","start_time":"2026-01-07T17:00:00Z"},{"uuid":"k1Zq7mVHR0a4bP+c9dE2fg==","start_time":"2026-01-14T17:00:00.548Z","x_new":{"kept":[1,2]}}]}"#;

#[tokio::test]
async fn webinar_instances_come_in_one_request_without_page_size_exactly_as_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/past_webinars/81234567890/instances"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(BODY, "application/json"))
        .mount(&server)
        .await;
    let client = client(&server);
    let typed: Vec<PastInstance> = client
        .past_webinar_instances("81234567890")
        .stream()
        .try_collect()
        .await
        .unwrap();
    let uuids: Vec<&str> = typed.iter().filter_map(|i| i.uuid.as_deref()).collect();
    assert_eq!(
        uuids,
        ["/ajXp112QmuoKj4854875==", "k1Zq7mVHR0a4bP+c9dE2fg=="]
    );
    assert_eq!(
        typed[1].start_time.map(|t| t.timestamp_millis()),
        Some(1_768_410_000_548)
    );
    assert_eq!(
        typed[1].extra.get("x_new").map(|v| v.get()),
        Some(r#"{"kept":[1,2]}"#)
    );
    let raw: Vec<RawRow> = client
        .past_webinar_instances("81234567890")
        .stream_raw()
        .try_collect()
        .await
        .unwrap();
    let texts: Vec<&str> = raw.iter().map(RawRow::as_str).collect();
    assert_eq!(
        texts,
        [
            r#"{"uuid":"/ajXp112QmuoKj4854875==","start_time":"2026-01-07T17:00:00Z"}"#,
            r#"{"uuid":"k1Zq7mVHR0a4bP+c9dE2fg==","start_time":"2026-01-14T17:00:00.548Z","x_new":{"kept":[1,2]}}"#,
        ]
    );
    // One request per stream, and no query at all: the list takes no page_size.
    assert_eq!(queries(&server).await, vec![Vec::new(), Vec::new()]);
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn meeting_instances_read_the_meeting_path_and_array() {
    let server = MockServer::start().await;
    let body = json!({"meetings": [
        {"uuid": "m-1==", "start_time": "2026-02-02T09:00:00Z"},
        {"uuid": "m-2==", "start_time": "2026-02-09T09:00:00Z"},
    ]});
    Mock::given(method("GET"))
        .and(path("/v2/past_meetings/85746065432/instances"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let got: Vec<PastInstance> = client(&server)
        .past_meeting_instances("85746065432")
        .stream()
        .try_collect()
        .await
        .unwrap();
    let uuids: Vec<&str> = got.iter().filter_map(|i| i.uuid.as_deref()).collect();
    assert_eq!(uuids, ["m-1==", "m-2=="]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_uuid_or_anything_but_a_number_is_refused_without_a_request() {
    let server = MockServer::start().await;
    let client = client(&server);
    for id in [
        "",
        "k1Zq7mVHR0a4bP+c9dE2fg==",
        "12a",
        "+5",
        "99999999999999999999",
    ] {
        let err = client
            .past_webinar_instances(id)
            .stream()
            .try_next()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{id:?}: {err:?}");
        let why = format!("instances of webinar takes a webinar number, not {id:?}");
        assert!(err.to_string().contains(&why), "{id:?}: {err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(client.requests_sent(), 0);
}

#[tokio::test]
async fn a_next_page_token_zoom_might_send_is_followed_not_dropped() {
    let server = MockServer::start().await;
    let at = "/v2/past_webinars/81234567890/instances";
    Mock::given(method("GET"))
        .and(path(at))
        .and(query_param_is_missing("next_page_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"next_page_token": "more", "webinars": [{"uuid": "a=="}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(at))
        .and(query_param("next_page_token", "more"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"webinars": [{"uuid": "b=="}]})),
        )
        .mount(&server)
        .await;
    let got: Vec<PastInstance> = client(&server)
        .past_webinar_instances("81234567890")
        .stream()
        .try_collect()
        .await
        .unwrap();
    let uuids: Vec<&str> = got.iter().filter_map(|i| i.uuid.as_deref()).collect();
    assert_eq!(uuids, ["a==", "b=="]);
    assert_eq!(
        queries(&server).await,
        vec![Vec::new(), pairs(&[("next_page_token", "more")])]
    );
}

/// What the demo quarter holds of webinar 81234567890: its instances by start time.
fn demo_instances() -> Vec<FakeWebinar> {
    let mut instances: Vec<FakeWebinar> = FakeWebinar::demo_period()
        .into_iter()
        .filter(|w| w.id == 81_234_567_890)
        .collect();
    instances.sort_by(|a, b| (a.start_time, &a.uuid).cmp(&(b.start_time, &b.uuid)));
    instances
}

#[tokio::test]
async fn every_occurrence_of_a_recurring_webinar_through_the_report_api() {
    let zoom = FakeZoom::builder().demo_period().start().await.unwrap();
    let client = fake_client(&zoom);
    let instances: Vec<PastInstance> = client
        .past_webinar_instances("81234567890")
        .stream()
        .try_collect()
        .await
        .unwrap();
    let want = demo_instances();
    assert!(want.len() >= 3, "the demo webinar recurs");
    let got: Vec<(String, i64)> = instances
        .iter()
        .map(|i| {
            (
                i.uuid.clone().unwrap_or_default(),
                i.start_time.map_or(0, |t| t.timestamp()),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = want
        .iter()
        .map(|w| (w.uuid.clone(), w.start_time.timestamp()))
        .collect();
    assert_eq!(got, expected);

    // Each occurrence's report rows, by UUID, in one fan-out: exactly what was served.
    let uuids: Vec<String> = got.iter().map(|(uuid, _)| uuid.clone()).collect();
    let mut request = None;
    for uuid in &uuids {
        let one = client.report_webinar_participants(uuid).into_many();
        request = Some(match request {
            None => one,
            Some(many) => zoom_participants::WebinarsRequest::and(many, one),
        });
    }
    let rows: Vec<(String, RawRow)> = request
        .unwrap()
        .ordered(true)
        .stream_raw()
        .try_collect()
        .await
        .unwrap();
    let mut expected_rows = Vec::new();
    for uuid in &uuids {
        for row in zoom.expected_report_participants(ReportKind::Webinar, uuid, false) {
            expected_rows.push((uuid.clone(), row));
        }
    }
    let got_rows: Vec<(String, Value)> = rows
        .iter()
        .map(|(id, row)| (id.clone(), serde_json::from_str(row.as_str()).unwrap()))
        .collect();
    assert!(!expected_rows.is_empty());
    assert_eq!(got_rows, expected_rows);
}

#[tokio::test]
async fn the_fake_answers_an_unknown_number_with_404_and_a_meeting_with_its_ended_instances() {
    let zoom = FakeZoom::builder().demo_period().start().await.unwrap();
    let client = fake_client(&zoom);
    let err = client
        .past_webinar_instances("11111111111")
        .stream()
        .try_next()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404));
    assert_eq!(err.zoom_code(), Some(3001));
    // The meeting number with the most instances in the demo, one-person ones included.
    let meetings = FakeMeeting::demo_period();
    let busiest = meetings
        .iter()
        .map(|m| m.id)
        .max_by_key(|id| meetings.iter().filter(|m| m.id == *id).count())
        .unwrap();
    let mut want: Vec<&FakeMeeting> = meetings.iter().filter(|m| m.id == busiest).collect();
    want.sort_by(|a, b| (a.start_time, &a.uuid).cmp(&(b.start_time, &b.uuid)));
    assert!(want.len() >= 2, "a recurring meeting in the demo");
    let got: Vec<PastInstance> = client
        .past_meeting_instances(busiest.to_string())
        .stream()
        .try_collect()
        .await
        .unwrap();
    let got: Vec<(Option<String>, Option<i64>)> = got
        .iter()
        .map(|i| (i.uuid.clone(), i.start_time.map(|t| t.timestamp())))
        .collect();
    let want: Vec<(Option<String>, Option<i64>)> = want
        .iter()
        .map(|m| (Some(m.uuid.clone()), Some(m.start_time.timestamp())))
        .collect();
    assert_eq!(got, want);
}
