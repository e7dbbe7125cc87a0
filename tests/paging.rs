//! Pagination: every participant once, in order, with exactly the requests the contract allows.

mod common;

use common::*;
use futures::{StreamExt, TryStreamExt};
use wiremock::MockServer;
use zoom_participants::{Error, Participant, Role, Status, WebinarType};

async fn three_pages() -> (MockServer, Vec<serde_json::Value>) {
    let server = MockServer::start().await;
    let pages = vec![participants(0..3), participants(3..6), participants(6..8)];
    mount_pages(&server, &pages).await;
    (server, pages.concat())
}

#[tokio::test]
async fn a_multi_page_stream_yields_every_participant_in_order_with_exact_queries() {
    let (server, served) = three_pages().await;
    let got: Vec<Participant> = client(&server)
        .webinar_participants(WEBINAR)
        .webinar_type(WebinarType::Past)
        .page_size(3)
        .include_registrant_id()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(as_json(&got), normalized(served));
    let base = [
        ("type", "past"),
        ("page_size", "3"),
        ("include_fields", "registrant_id"),
    ];
    let with = |token: &str| {
        let mut q = pairs(&base);
        q.push(("next_page_token".into(), token.into()));
        q
    };
    assert_eq!(
        queries(&server).await,
        vec![pairs(&base), with("tok-1"), with("tok-2")]
    );
}

#[tokio::test]
async fn defaults_send_page_size_300_and_no_type() {
    let server = MockServer::start().await;
    mount_pages(&server, &[participants(0..2)]).await;
    let got: Vec<Participant> = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(queries(&server).await, vec![pairs(&[("page_size", "300")])]);
    let auth = server.received_requests().await.unwrap()[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(auth, format!("Bearer {TOKEN}"));
}

#[tokio::test]
async fn nothing_is_requested_before_the_first_poll_and_one_request_per_drained_page() {
    let (server, _) = three_pages().await;
    let mut stream = client(&server).webinar_participants(WEBINAR).stream();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    let mut seen = Vec::new();
    for expected_requests in [1, 1, 1, 2, 2, 2, 3, 3] {
        let p = stream.try_next().await.unwrap().unwrap();
        seen.push(p.id.unwrap());
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            expected_requests
        );
    }
    assert!(stream.try_next().await.unwrap().is_none());
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(seen.len(), 8);
}

#[tokio::test]
async fn take_stops_requesting_once_it_has_enough() {
    let (server, _) = three_pages().await;
    let got: Vec<Participant> = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .take(4)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = got.into_iter().map(|p| p.id.unwrap()).collect();
    assert_eq!(ids, ["id-0", "id-1", "id-2", "id-3"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_empty_page_with_a_token_continues() {
    let server = MockServer::start().await;
    mount_pages(&server, &[participants(0..2), vec![], participants(2..3)]).await;
    let got: Vec<Participant> = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = got.into_iter().map(|p| p.id.unwrap()).collect();
    assert_eq!(ids, ["id-0", "id-1", "id-2"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn filters_give_exact_subsets() {
    let (server, served) = three_pages().await;
    let expect = |keep: &dyn Fn(&serde_json::Value) -> bool| -> Vec<String> {
        served
            .iter()
            .filter(|v| keep(v))
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let ids =
        |ps: Vec<Participant>| -> Vec<String> { ps.into_iter().map(|p| p.id.unwrap()).collect() };

    let waiting = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .status(Status::InWaitingRoom);
    let waiting = ids(waiting.try_collect().await.unwrap());
    assert_eq!(waiting, expect(&|v| v["status"] == "in_waiting_room"));
    assert_eq!(waiting, ["id-1", "id-4", "id-7"]);

    let either = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .role(Role::Host)
        .role(Role::Panelist);
    assert_eq!(
        ids(either.try_collect().await.unwrap()),
        expect(&|v| v["role"] == "host" || v["role"] == "panelist")
    );

    let both = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .status(Status::InMeeting)
        .role(Role::Attendee);
    let both = ids(both.try_collect().await.unwrap());
    assert_eq!(
        both,
        expect(&|v| v["status"] == "in_meeting" && v["role"] == "attendee")
    );
    assert_eq!(both, ["id-0", "id-3"]);

    // The same filters on the request, or split between request and stream.
    let on_request = client(&server)
        .webinar_participants(WEBINAR)
        .status(Status::InMeeting)
        .stream()
        .role(Role::Attendee);
    assert_eq!(
        ids(on_request.try_collect().await.unwrap()),
        ["id-0", "id-3"]
    );
    let raw: Vec<String> = client(&server)
        .webinar_participants(WEBINAR)
        .status(Status::InMeeting)
        .role(Role::Attendee)
        .stream_raw()
        .map_ok(|row| row.as_str().to_owned())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(raw.len(), 2);
    assert!(raw[0].contains("\"id\":\"id-0\"") && raw[1].contains("\"id\":\"id-3\""));
}

#[tokio::test]
async fn the_cursor_at_a_page_boundary_resumes_with_nothing_lost_or_repeated() {
    let (server, served) = three_pages().await;
    let client = client(&server);
    let mut first = client.webinar_participants(WEBINAR).page_size(3).stream();
    assert_eq!(first.next_page_token(), None);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(first.try_next().await.unwrap().unwrap());
    }
    let cursor = first.next_page_token().map(str::to_owned);
    assert_eq!(cursor.as_deref(), Some("tok-1"));
    drop(first);

    let mut resumed = client
        .webinar_participants(WEBINAR)
        .page_size(3)
        .resume_from(cursor.unwrap())
        .stream();
    assert_eq!(resumed.next_page_token(), Some("tok-1"));
    while let Some(p) = resumed.try_next().await.unwrap() {
        got.push(p);
    }
    assert_eq!(resumed.next_page_token(), None, "finished");
    assert_eq!(as_json(&got), normalized(served));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn in_the_middle_of_a_page_the_cursor_names_that_page() {
    let (server, _) = three_pages().await;
    let mut stream = client(&server).webinar_participants(WEBINAR).stream();
    for _ in 0..4 {
        stream.try_next().await.unwrap();
    }
    assert_eq!(stream.next_page_token(), Some("tok-1"));
    stream.try_next().await.unwrap();
    stream.try_next().await.unwrap();
    assert_eq!(stream.next_page_token(), Some("tok-2"));
}

#[tokio::test]
async fn after_a_failed_page_the_cursor_names_that_page_and_the_stream_ends() {
    let server = MockServer::start().await;
    let body = serde_json::json!({"next_page_token": "tok-1", "participants": participants(0..2)});
    wiremock::Mock::given(wiremock::matchers::query_param_is_missing(
        "next_page_token",
    ))
    .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
    .mount(&server)
    .await;
    wiremock::Mock::given(wiremock::matchers::query_param("next_page_token", "tok-1"))
        .respond_with(wiremock::ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"code": 300, "message": "The next page token is invalid or expired."}),
        ))
        .mount(&server)
        .await;

    let mut stream = client(&server).webinar_participants(WEBINAR).stream();
    assert_eq!(
        stream.try_next().await.unwrap().unwrap().id.as_deref(),
        Some("id-0")
    );
    assert_eq!(
        stream.try_next().await.unwrap().unwrap().id.as_deref(),
        Some("id-1")
    );
    let err = stream.try_next().await.unwrap_err();
    assert_eq!((err.http_status(), err.zoom_code()), (Some(400), Some(300)));
    assert!(
        err.to_string()
            .contains("The next page token is invalid or expired.")
    );
    assert_eq!(stream.next_page_token(), Some("tok-1"));
    assert!(stream.next().await.is_none(), "an error ends the stream");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "4xx is not retried"
    );
}

#[tokio::test]
async fn a_repeating_token_ends_in_an_error_within_a_few_requests() {
    let server = MockServer::start().await;
    let body = serde_json::json!({"next_page_token": "again", "participants": participants(0..1)});
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let results: Vec<_> = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(
        results[..2]
            .iter()
            .all(|r| r.as_ref().unwrap().id.as_deref() == Some("id-0"))
    );
    assert!(matches!(results[2], Err(Error::RepeatedPageToken)));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_page_size_out_of_range_is_an_error_of_the_first_poll_without_a_request() {
    let server = MockServer::start().await;
    for size in [0, 301] {
        let mut stream = client(&server)
            .webinar_participants(WEBINAR)
            .page_size(size)
            .stream();
        let err = stream.try_next().await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
        assert!(err.to_string().contains(&format!("page_size {size}")));
        assert!(stream.next().await.is_none());
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn the_stream_can_be_moved_into_a_spawned_task() {
    let (server, served) = three_pages().await;
    let stream = client(&server).webinar_participants(WEBINAR).stream();
    let got = tokio::spawn(async move { stream.try_collect::<Vec<_>>().await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(as_json(&got), normalized(served));
}

#[tokio::test]
async fn the_page_view_gives_each_page_with_its_tokens_and_total() {
    let (server, _) = three_pages().await;
    let pages: Vec<_> = client(&server)
        .webinar_participants(WEBINAR)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let summary: Vec<_> = pages
        .iter()
        .map(|p| {
            (
                p.token.clone(),
                p.next_page_token.clone(),
                p.items.len(),
                p.total_records,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (None, Some("tok-1".into()), 3, Some(8)),
            (Some("tok-1".into()), Some("tok-2".into()), 3, Some(8)),
            (Some("tok-2".into()), None, 2, Some(8)),
        ]
    );
}

#[tokio::test]
async fn total_records_is_reported_once_a_page_arrived() {
    let (server, _) = three_pages().await;
    let mut stream = client(&server).webinar_participants(WEBINAR).stream();
    assert_eq!(stream.total_records(), None);
    stream.try_next().await.unwrap();
    assert_eq!(
        (stream.total_records(), stream.pages_received()),
        (Some(8), 1)
    );
}

#[tokio::test]
async fn a_page_with_null_participants_and_odd_counts_is_an_empty_page() {
    let server = MockServer::start().await;
    let body = serde_json::json!({"total_records": "n/a", "page_count": null, "next_page_token": null, "participants": null});
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let mut stream = client(&server).webinar_participants(WEBINAR).stream();
    assert!(stream.try_next().await.unwrap().is_none());
    assert_eq!(stream.total_records(), None);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
