//! Webinar IDs and UUIDs reach Zoom as one path segment, by Zoom's double-encoding rule.

mod common;

use common::*;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::Error;

#[tokio::test]
async fn ids_reach_the_server_exactly_as_zoom_asks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"participants": []})))
        .mount(&server)
        .await;
    let cases = [
        (
            "/ajXp112QmuoKj4854875==",
            "%252FajXp112QmuoKj4854875%253D%253D",
        ),
        ("ab//cd==", "ab%252F%252Fcd%253D%253D"),
        ("abc+def==", "abc%2Bdef%3D%3D"),
        ("a/b", "a%2Fb"),
        ("../../users", "..%2F..%2Fusers"),
        ("id?x=1#f", "id%3Fx%3D1%23f"),
    ];
    let client = client(&server);
    for (id, _) in cases {
        let got: Vec<_> = client
            .webinar_participants(id)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert!(got.is_empty());
    }
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    let expected: Vec<String> = cases
        .iter()
        .map(|(_, segment)| format!("/v2/metrics/webinars/{segment}/participants"))
        .collect();
    assert_eq!(paths, expected);
}

#[tokio::test]
async fn dot_and_empty_ids_are_refused_without_a_request() {
    let server = MockServer::start().await;
    let client = client(&server);
    for id in ["", ".", ".."] {
        let err = client
            .webinar_participants(id)
            .stream()
            .try_next()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{id:?}: {err:?}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}
