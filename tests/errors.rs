//! Errors: Zoom's answers mapped to status, code and message; bad bodies; no secret shown.

mod common;

use common::*;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::{Client, Error};

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

/// Runs a stream against the server and returns its one error, checking it ends the stream.
async fn only_error(server: &MockServer) -> Error {
    let mut stream = client(server).webinar_participants(WEBINAR).stream();
    let err = stream.try_next().await.unwrap_err();
    assert!(stream.next().await.is_none(), "an error ends the stream");
    err
}

#[tokio::test]
async fn zoom_errors_give_their_status_code_and_message_and_are_not_retried() {
    let cases = [
        (401, 124, "Invalid access token."),
        (
            404,
            3001,
            "This webinar's detail info is not available or ID is not valid.",
        ),
        (400, 300, "Can not access webinar info, 95204914252."),
        (
            400,
            200,
            "Only available for paid account and enabled Dashboard feature.",
        ),
        (403, 4700, "Invalid access token, does not contain scopes."),
    ];
    for (status, code, message) in cases {
        let server = answering(
            ResponseTemplate::new(status).set_body_json(json!({"code": code, "message": message})),
        )
        .await;
        let err = only_error(&server).await;
        assert_eq!(err.http_status(), Some(status));
        assert_eq!(err.zoom_code(), Some(code));
        assert!(!err.is_rate_limited());
        assert_eq!(
            err.to_string(),
            format!("Zoom answered HTTP {status} (code {code}): {message}")
        );
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{status} is final"
        );
    }
}

#[tokio::test]
async fn an_error_body_that_is_empty_or_plain_text_still_gives_a_clear_error() {
    let server = answering(ResponseTemplate::new(404)).await;
    let err = only_error(&server).await;
    assert_eq!((err.http_status(), err.zoom_code()), (Some(404), None));
    assert_eq!(err.to_string(), "Zoom answered HTTP 404: Not Found");

    let server =
        answering(ResponseTemplate::new(403).set_body_string("<html>Forbidden by proxy</html>"))
            .await;
    let err = only_error(&server).await;
    assert_eq!((err.http_status(), err.zoom_code()), (Some(403), None));
    assert_eq!(
        err.to_string(),
        "Zoom answered HTTP 403: <html>Forbidden by proxy</html>"
    );
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_naming_the_page() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_string(r#"{"next_page_token":"","participants":[{"id":"a"#),
    )
    .await;
    let err = only_error(&server).await;
    assert!(matches!(err, Error::Decode { page: 1, .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("could not decode page 1 of the response: ")
    );
}

#[tokio::test]
async fn a_success_body_that_is_not_json_is_a_decode_error() {
    let server =
        answering(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>")).await;
    let err = only_error(&server).await;
    assert!(matches!(err, Error::Decode { page: 1, .. }), "{err:?}");
}

#[tokio::test]
async fn a_decode_error_names_the_position_but_never_the_value() {
    let body = json!({"next_page_token": "", "participants": "secret-value-42"});
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let err = only_error(&server).await;
    assert!(matches!(err, Error::Decode { page: 1, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "could not decode page 1 of the response: the body has a value of an unexpected type in its envelope (line 1, column 54)"
    );
    assert!(!format!("{err:?}").contains("secret-value"));
}

#[tokio::test]
async fn a_bad_instant_does_not_fail_the_page_and_is_kept_as_sent() {
    let body = json!({"participants": [{"id": "x", "join_time": "yesterday"}]});
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let rows: Vec<_> = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].join_time, None);
    assert_eq!(
        rows[0].extra.get("join_time").unwrap().get(),
        r#""yesterday""#
    );
}

#[tokio::test]
async fn no_error_and_no_debug_output_shows_the_token() {
    let server =
        answering(ResponseTemplate::new(401).set_body_json(
            json!({"code": 124, "message": format!("Invalid access token: {TOKEN}")}),
        ))
        .await;
    let err = only_error(&server).await;
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
    let client = client(&server);
    assert!(!format!("{client:?}").contains(TOKEN));
    let stream = client.webinar_participants(WEBINAR).stream();
    assert!(!format!("{stream:?}").contains(TOKEN));
    let builder = Client::builder()
        .bearer_token(TOKEN)
        .server_to_server_oauth("acc", "cid", "s3cr3t-value");
    let shown = format!("{builder:?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains("s3cr3t-value"),
        "{shown}"
    );
}

#[test]
fn build_refuses_bad_urls_and_credentials_with_clear_errors() {
    let refused = |builder: zoom_participants::ClientBuilder| match builder.build() {
        Err(Error::Config(message)) => message,
        other => panic!("expected a configuration error, got {other:?}"),
    };
    let token = || Client::builder().bearer_token(TOKEN);
    assert!(refused(token().base_url("http://api.zoom.us/v2")).contains("plain http"));
    assert!(refused(token().base_url("http://10.0.0.8/v2")).contains("plain http"));
    assert!(refused(token().base_url("not a url")).contains("base_url is not a URL"));
    assert!(refused(token().base_url("ftp://example.com")).contains("scheme"));
    assert!(refused(token().token_url("http://zoom.us/oauth/token")).contains("token_url"));
    assert!(refused(token().base_url("https://user:pw@api.zoom.us/v2")).contains("credentials"));
    assert!(refused(Client::builder()).contains("no credentials"));
    assert!(refused(token().server_to_server_oauth("a", "b", "c")).contains("both"));
    assert!(refused(Client::builder().bearer_token("")).contains("empty"));
    assert!(refused(Client::builder().bearer_token("tok\r\nX-Evil: 1")).contains("header"));
    assert!(
        refused(Client::builder().server_to_server_oauth("a", "b", "")).contains("client secret")
    );
    for ok in [
        "http://127.0.0.1:9/v2",
        "http://127.8.9.10/v2",
        "http://[::1]:80/v2",
        "http://localhost:1/v2",
        "https://api.zoom.us/v2",
    ] {
        assert!(
            token().base_url(ok).build().is_ok(),
            "{ok} should be accepted"
        );
    }
}

#[test]
fn client_is_clone_send_sync_and_the_stream_is_send_unpin_static() {
    fn clone_send_sync<T: Clone + Send + Sync + 'static>() {}
    fn stream<
        T: futures::Stream<Item = zoom_participants::Result<zoom_participants::Participant>>
            + Send
            + Unpin
            + 'static,
    >() {
    }
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    clone_send_sync::<Client>();
    stream::<zoom_participants::ParticipantStream>();
    error::<Error>();
}
