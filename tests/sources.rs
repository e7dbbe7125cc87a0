//! Meetings and the Report API on the same core: paths, queries, row types, and the options
//! an endpoint does not take, against scripted servers.

mod common;

use std::time::Duration;

use common::*;
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::{
    Error, Meeting, MeetingType, Participant, PersonKey, ReportParticipant, WebinarType,
};

/// Serves `pages` of `array` at `at` (a raw, already encoded path): page 0 without a token,
/// page i at `tok-i`.
async fn mount_list(server: &MockServer, at: &str, array: &str, pages: &[Vec<Value>]) {
    for (i, items) in pages.iter().enumerate() {
        let next = if i + 1 < pages.len() {
            token_for(i + 1)
        } else {
            String::new()
        };
        let body = json!({"page_size": 300, "next_page_token": next, array: items});
        let mock = Mock::given(method("GET")).and(path(at));
        let mock = if i == 0 {
            mock.and(query_param_is_missing("next_page_token"))
        } else {
            mock.and(query_param("next_page_token", token_for(i)))
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
}

/// The raw path of every request, in order.
async fn paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect()
}

fn report_row(i: usize) -> Value {
    json!({
        "id": format!("user-{i}"),
        "user_id": format!("{}", 16_000_000 + i),
        "name": format!("Person {i}"),
        "user_email": format!("p{i}@example.com"),
        "join_time": "2026-01-07T17:00:00Z",
        "leave_time": "2026-01-07T17:30:00Z",
        "duration": 1800,
        "failover": false,
        "status": "in_meeting",
        "customer_key": "",
        "participant_user_id": format!("pu-{i}"),
        "bo_mtg_id": "",
        "new_field": {"kept": ["x", 1]},
    })
}

#[tokio::test]
async fn meeting_participants_read_the_meeting_path_with_past_one() {
    let server = MockServer::start().await;
    let pages = vec![participants(0..2), participants(2..3)];
    mount_list(
        &server,
        "/v2/metrics/meetings/85746065432/participants",
        "participants",
        &pages,
    )
    .await;
    let got: Vec<Participant> = client(&server)
        .meeting_participants("85746065432")
        .meeting_type(MeetingType::PastOne)
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(as_json(&got), normalized(pages.concat()));
    let first = pairs(&[("type", "pastOne"), ("page_size", "2")]);
    let mut second = first.clone();
    second.push(("next_page_token".into(), "tok-1".into()));
    assert_eq!(queries(&server).await, vec![first, second]);
}

#[tokio::test]
async fn report_rows_are_typed_by_their_own_names_with_a_double_encoded_uuid() {
    let server = MockServer::start().await;
    let rows: Vec<Value> = (0..3).map(report_row).collect();
    mount_list(
        &server,
        "/v2/report/webinars/%252FajXp112QmuoKj4854875%253D%253D/participants",
        "participants",
        &[rows[..2].to_vec(), rows[2..].to_vec()],
    )
    .await;
    let got: Vec<ReportParticipant> = client(&server)
        .report_webinar_participants("/ajXp112QmuoKj4854875==")
        .include_registrant_id()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].name.as_deref(), Some("Person 1"));
    assert_eq!(got[1].user_email.as_deref(), Some("p1@example.com"));
    assert_eq!(got[1].duration, Some(1800));
    assert_eq!(got[1].failover, Some(false));
    assert_eq!(
        got[1].extra.get("new_field").map(|v| v.get()),
        Some(r#"{"kept":["x",1]}"#)
    );
    // Serialized back, a report row is what Zoom sent.
    assert_eq!(as_json(&got), normalized(rows));
    let first = pairs(&[("page_size", "300"), ("include_fields", "registrant_id")]);
    assert_eq!(queries(&server).await[0], first);
    assert_eq!(ReportParticipant::FIELDS.len(), 13);
}

#[tokio::test]
async fn a_type_an_endpoint_does_not_take_is_an_error_of_the_first_poll_without_a_request() {
    let server = MockServer::start().await;
    let client = client(&server);
    let err = client
        .webinar_participants(WEBINAR)
        .meeting_type(MeetingType::PastOne)
        .stream()
        .try_next()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(err.to_string().contains("type=pastOne"), "{err}");
    let err = client
        .report_meeting_participants("85746065432")
        .webinar_type(WebinarType::Past)
        .stream()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("takes no type"), "{err}");
    assert!(paths(&server).await.is_empty());
}

#[tokio::test]
async fn a_checkpoint_of_a_meeting_is_refused_by_the_webinar_of_the_same_id() {
    let server = MockServer::start().await;
    mount_list(
        &server,
        "/v2/metrics/meetings/85746065432/participants",
        "participants",
        &[participants(0..2), participants(2..4)],
    )
    .await;
    let client = client(&server);
    let mut meeting = client
        .meeting_participants("85746065432")
        .meeting_type(MeetingType::Past)
        .stream();
    meeting.try_next().await.unwrap();
    let checkpoint = meeting.checkpoint();
    drop(meeting);
    let before = paths(&server).await.len();
    let err = client
        .webinar_participants("85746065432")
        .webinar_type(WebinarType::Past)
        .resume(checkpoint.clone())
        .stream()
        .try_next()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Checkpoint(_)), "{err:?}");
    assert_eq!(paths(&server).await.len(), before, "no request");
    // The meeting's own request resumes exactly after the first row.
    let rest: Vec<Participant> = client
        .meeting_participants("85746065432")
        .meeting_type(MeetingType::Past)
        .resume(checkpoint)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(as_json(&rest), normalized(participants(1..4)));
}

#[tokio::test]
async fn the_meeting_list_is_read_in_month_windows_with_its_own_fields() {
    let server = MockServer::start().await;
    let meeting = |n: u64, start: &str| {
        json!({"uuid": format!("m{n}=="), "id": n, "topic": "Standup", "start_time": start,
               "end_time": start, "participants": 2, "in_room_participants": 1,
               "tracking_fields": [{"field": "team", "value": "core"}]})
    };
    for (from, to, rows) in [
        (
            "2026-01-15",
            "2026-02-14",
            vec![meeting(1, "2026-01-20T10:00:00Z")],
        ),
        (
            "2026-02-15",
            "2026-02-20",
            vec![meeting(2, "2026-02-16T10:00:00Z")],
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/v2/metrics/meetings"))
            .and(query_param("from", from))
            .and(query_param("to", to))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"from": from, "to": to, "meetings": rows})),
            )
            .mount(&server)
            .await;
    }
    let got: Vec<Meeting> = client(&server)
        .meetings("2026-01-15".parse().unwrap(), "2026-02-20".parse().unwrap())
        .meeting_type(MeetingType::Past)
        .include_tracking_fields()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![Some(1), Some(2)]
    );
    assert_eq!(got[0].in_room_participants, Some(1));
    let tracking = got[0].tracking_fields.as_deref().unwrap_or_default();
    assert_eq!(tracking[0].value.as_deref(), Some("core"));
    assert_eq!(
        queries(&server).await,
        vec![
            pairs(&[
                ("type", "past"),
                ("from", "2026-01-15"),
                ("to", "2026-02-14"),
                ("page_size", "300"),
                ("include_fields", "tracking_fields"),
            ]),
            pairs(&[
                ("type", "past"),
                ("from", "2026-02-15"),
                ("to", "2026-02-20"),
                ("page_size", "300"),
                ("include_fields", "tracking_fields"),
            ]),
        ]
    );
}

#[tokio::test]
async fn webinars_and_meetings_share_one_fan_out() {
    let server = MockServer::start().await;
    mount_list(
        &server,
        "/v2/metrics/webinars/111/participants",
        "participants",
        &[participants(0..2)],
    )
    .await;
    mount_list(
        &server,
        "/v2/metrics/meetings/222/participants",
        "participants",
        &[participants(5..6), participants(6..7)],
    )
    .await;
    let client = client(&server);
    let got: Vec<(String, Participant)> = client
        .webinars_participants(["111"])
        .and(client.meetings_participants(["222", "111"]))
        .webinar_type(WebinarType::Past)
        .ordered(true)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["111", "111", "222", "222"],
        "an ID given twice once"
    );
    let rows: Vec<Participant> = got.into_iter().map(|(_, p)| p).collect();
    let mut want = participants(0..2);
    want.extend(participants(5..7));
    assert_eq!(as_json(&rows), normalized(want));
    let mut seen = paths(&server).await;
    seen.sort();
    assert_eq!(
        seen,
        vec![
            "/v2/metrics/meetings/222/participants",
            "/v2/metrics/meetings/222/participants",
            "/v2/metrics/webinars/111/participants",
        ]
    );
}

#[tokio::test]
async fn attendance_folds_report_rows_by_registrant() {
    let server = MockServer::start().await;
    let mut first = report_row(1);
    first["registrant_id"] = json!("reg-1");
    let mut again = report_row(1);
    again["registrant_id"] = json!("reg-1");
    again["join_time"] = json!("2026-01-07T17:20:00Z");
    again["leave_time"] = json!("2026-01-07T18:00:00Z");
    let other = report_row(2);
    mount_list(
        &server,
        "/v2/report/meetings/88451234567/participants",
        "participants",
        &[vec![first, other, again]],
    )
    .await;
    let people: Vec<_> = client(&server)
        .report_meeting_participants("88451234567")
        .stream()
        .attendance()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[0].key, PersonKey::Registrant("reg-1".into()));
    assert_eq!(people[0].connections, 2);
    assert_eq!(people[0].attended, Duration::from_secs(60 * 60));
    assert_eq!(people[0].name.as_deref(), Some("Person 1"));
    assert_eq!(people[0].email.as_deref(), Some("p1@example.com"));
    assert_eq!(people[1].key, PersonKey::User("pu-2".into()));
    assert_eq!(people[1].attended, Duration::from_secs(30 * 60));
}
