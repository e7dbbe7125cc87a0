//! Hostile and broken servers: huge pages, huge or compressed token answers, echoed
//! secrets, control characters, absurd headers, and a budget or rate limit under pressure.
//! Every case ends in an exact result or an exact error, never a panic, a hang or a leak.
#![cfg(feature = "fake")]

mod common;

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use common::*;
use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::fake::{FakeZoom, Fault};
use zoom_participants::{Client, Error, Participant, RateLimit, RateLimitKind, RetryPolicy};

const CLIENT_ID: &str = "client-id-4d2e";
const SECRET: &str = "s2s-client-secret-9b7c1";

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

/// A client with Server-to-Server OAuth against the mock server's `/oauth/token`.
fn oauth_client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(format!("{}/v2", server.uri()))
        .token_url(format!("{}/oauth/token", server.uri()))
        .server_to_server_oauth("account-1", CLIENT_ID, SECRET)
        .rate_limit(RateLimit::unlimited())
        .retry_policy(quick_retries())
        .build()
        .unwrap()
}

fn fake_client(zoom: &FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .retry_policy(quick_retries())
        .build()
        .unwrap()
}

async fn fake(webinar: &str, participants: u64) -> FakeZoom {
    FakeZoom::builder()
        .webinar(webinar, participants)
        .start()
        .await
        .unwrap()
}

/// How many requests the mock server received at `path`.
async fn count_at(server: &MockServer, at: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == at)
        .count()
}

/// The basic credential Zoom's token endpoint gets for the test credentials.
fn basic() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"))
}

/// Display and Debug of `err`, checked for every secret form and for raw control
/// characters.
fn assert_clean(err: &Error, secrets: &[&str]) {
    for text in [err.to_string(), format!("{err:?}")] {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret:?} leaked in {text}");
        }
        assert!(
            !text.contains('\n') && !text.contains('\r') && !text.contains('\x1b'),
            "a control character in {text:?}"
        );
    }
}

// 1. A page of a million rows.

#[tokio::test]
async fn a_page_of_a_million_rows_is_a_decode_error_after_one_request() {
    let server = MockServer::start().await;
    let mut body = String::with_capacity(3_000_100);
    body.push_str(r#"{"next_page_token":"","participants":["#);
    body.push_str(&"{},".repeat(999_999));
    body.push_str("{}]}");
    assert!(body.len() > 2_900_000);
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let mut stream = client(&server).webinar_participants(WEBINAR).stream();
    let err = stream.try_next().await.unwrap_err();
    match &err {
        Error::Decode { page: 1, message } => assert_eq!(
            message,
            "holds more than 10000 rows (Zoom sends at most 300); refused"
        ),
        other => panic!("expected a decode error of page 1, got {other:?}"),
    }
    assert!(err.to_string().contains("more than 10000 rows"), "{err}");
    assert_eq!(stream.try_next().await.unwrap(), None, "an error ends it");
    assert_eq!(count_at(&server, PARTICIPANTS_PATH).await, 1);
}

// 2. Token endpoint answers: too large, a gzip bomb, an absurd lifetime.

async fn oauth_failure(answer: ResponseTemplate) -> (Error, usize, usize) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(answer)
        .mount(&server)
        .await;
    let mut stream = oauth_client(&server).webinar_participants(WEBINAR).stream();
    let err = stream.try_next().await.unwrap_err();
    assert_eq!(stream.try_next().await.unwrap(), None);
    let tokens = count_at(&server, "/oauth/token").await;
    let pages = count_at(&server, PARTICIPANTS_PATH).await;
    (err, tokens, pages)
}

fn assert_too_large(err: &Error) {
    match err {
        Error::OAuth {
            status: Some(200),
            error: None,
            reason,
        } => assert_eq!(reason, "the token endpoint's answer exceeds 64 KiB"),
        other => panic!("expected an OAuth error, got {other:?}"),
    }
    assert!(err.to_string().contains("64 KiB"), "{err}");
}

#[tokio::test]
async fn a_token_answer_of_512_kib_is_an_oauth_error() {
    let body = format!(
        r#"{{"access_token":"{}","token_type":"bearer","expires_in":3600}}"#,
        "a".repeat(512 * 1024)
    );
    let (err, tokens, pages) =
        oauth_failure(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    assert_too_large(&err);
    assert_eq!((tokens, pages), (1, 0), "not retried, no page requested");
}

#[tokio::test]
async fn a_gzip_bomb_from_the_token_endpoint_is_cut_at_64_kib() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(br#"{"access_token":""#).unwrap();
    encoder.write_all(&vec![b'a'; 16 << 20]).unwrap();
    encoder.write_all(br#""}"#).unwrap();
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 64 * 1024, "{} bytes compressed", bomb.len());
    let answer = ResponseTemplate::new(200)
        .insert_header("content-encoding", "gzip")
        .set_body_raw(bomb, "application/json");
    let (err, tokens, pages) = oauth_failure(answer).await;
    assert_too_large(&err);
    assert_eq!((tokens, pages), (1, 0));
}

#[tokio::test]
async fn a_token_lifetime_of_u64_max_works_with_and_without_read_ahead() {
    for prefetch in [0, 2] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"access_token":"s2s-access-token-1","token_type":"bearer","expires_in":18446744073709551615}"#,
                "application/json",
            ))
            .mount(&server)
            .await;
        let pages = [participants(0..3), participants(3..6), participants(6..7)];
        mount_pages(&server, &pages).await;
        let client = oauth_client(&server);
        let got: Vec<Participant> = client
            .webinar_participants(WEBINAR)
            .prefetch(prefetch)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            as_json(&got),
            normalized(participants(0..7)),
            "prefetch {prefetch}"
        );
        // Cached: a second stream takes no new token.
        let again: Vec<Participant> = client
            .webinar_participants(WEBINAR)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(again, got);
        assert_eq!(count_at(&server, "/oauth/token").await, 1);
        let requests = server.received_requests().await.unwrap();
        let bearers: Vec<_> = requests
            .iter()
            .filter(|r| r.url.path() == PARTICIPANTS_PATH)
            .map(|r| {
                r.headers
                    .get("authorization")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(bearers, vec!["Bearer s2s-access-token-1"; 6]);
    }
}

#[tokio::test]
async fn the_fake_issues_tokens_of_a_u64_max_lifetime_without_panicking() {
    for prefetch in [0, 2] {
        let zoom = FakeZoom::builder()
            .webinar(WEBINAR, 7)
            .oauth_credentials("account-1", CLIENT_ID, SECRET)
            .oauth_expires_in(u64::MAX)
            .start()
            .await
            .unwrap();
        let client = Client::builder()
            .base_url(zoom.base_url())
            .token_url(zoom.token_url())
            .server_to_server_oauth("account-1", CLIENT_ID, SECRET)
            .rate_limit(RateLimit::unlimited())
            .retry_policy(RetryPolicy::never())
            .build()
            .unwrap();
        let got: Vec<Participant> = client
            .webinar_participants(WEBINAR)
            .page_size(3)
            .prefetch(prefetch)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got, zoom.expected_participants(WEBINAR, false));
        assert_eq!((zoom.token_requests(), zoom.request_count()), (1, 3));
    }
}

// 3. Redaction and control characters.

#[tokio::test]
async fn a_bearer_token_echoed_across_the_300th_character_never_shows() {
    let server = MockServer::start().await;
    // TOKEN starts at character 290 and ends at 312: across the cut at 300.
    let message = format!("{}{TOKEN} was refused", "x".repeat(290));
    for body in [
        json!({"code": 124, "message": message}).to_string(),
        message.clone(),
    ] {
        server.reset().await;
        Mock::given(method("GET"))
            .and(path(PARTICIPANTS_PATH))
            .respond_with(ResponseTemplate::new(401).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let err = client(&server)
            .webinar_participants(WEBINAR)
            .stream()
            .try_next()
            .await
            .unwrap_err();
        assert_eq!(err.http_status(), Some(401));
        assert_clean(&err, &[TOKEN, &TOKEN[..11], &TOKEN[11..]]);
        let Error::Api { message, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(message, &format!("{}[redacted]…", "x".repeat(290)));
    }
}

#[tokio::test]
async fn an_oauth_error_holding_the_secret_never_shows_it() {
    let (err, tokens, _) = oauth_failure(ResponseTemplate::new(401).set_body_json(json!({
        "error": format!("invalid_client {SECRET}"),
        "reason": format!("client secret {SECRET} is wrong; sent Basic {}", basic()),
    })))
    .await;
    assert_eq!(tokens, 1, "a 401 is final");
    assert_clean(&err, &[SECRET, &basic()]);
    match &err {
        Error::OAuth {
            status: Some(401),
            error: Some(error),
            reason,
        } => {
            assert_eq!(error, "invalid_client [redacted]");
            assert_eq!(
                reason,
                "client secret [redacted] is wrong; sent Basic [redacted]"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_echoed_basic_header_and_control_characters_are_cleaned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "s2s-access-token-2", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    let message = format!(
        "bad request\nAuthorization: Basic {}\x1b[31m red \r\x07 {SECRET}",
        basic()
    );
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"code": 300, "message": message})),
        )
        .mount(&server)
        .await;
    let err = oauth_client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .try_next()
        .await
        .unwrap_err();
    assert_clean(&err, &[SECRET, &basic(), "s2s-access-token-2", "\u{7}"]);
    assert_eq!(
        err.to_string(),
        "Zoom answered HTTP 400 (code 300): bad request\\nAuthorization: Basic [redacted]\\u{1b}[31m red \\r\\u{7} [redacted]"
    );
    assert_eq!((err.http_status(), err.zoom_code()), (Some(400), Some(300)));
}

#[tokio::test]
async fn a_plain_text_error_body_is_one_clean_line() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_string(format!("denied\n\x1b[31mBearer {TOKEN}\x1b[0m\n")),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .webinar_participants(WEBINAR)
        .stream()
        .try_next()
        .await
        .unwrap_err();
    assert_clean(&err, &[TOKEN]);
    assert_eq!(
        err.to_string(),
        "Zoom answered HTTP 403: denied\\n\\u{1b}[31mBearer [redacted]\\u{1b}[0m"
    );
}

// 4. Decode errors never quote a value.

#[tokio::test]
async fn decode_errors_never_quote_the_offending_value() {
    let bodies = [
        // A wrong-typed token: a number, then an array holding the secret.
        r#"{"participants":[{}],"next_page_token":123456789012345}"#.to_owned(),
        r#"{"participants":[{}],"next_page_token":["tok-SECRET-123"]}"#.to_owned(),
        // Invalid JSON around the secret.
        r#"{"next_page_token":"tok-SECRET-123","participants":[}"#.to_owned(),
        r#"{"next_page_token":tok-SECRET-123,"participants":[]}"#.to_owned(),
        r#"{"next_page_token":"tok-SECRET-123""#.to_owned(),
        r#"["tok-SECRET-123"]"#.to_owned(),
        r#"{"participants":"tok-SECRET-123"}"#.to_owned(),
    ];
    for body in bodies {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(PARTICIPANTS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
            .mount(&server)
            .await;
        let mut stream = client(&server).webinar_participants(WEBINAR).stream();
        let err = stream.try_next().await.unwrap_err();
        assert!(
            matches!(err, Error::Decode { page: 1, .. }),
            "{body}: {err:?}"
        );
        assert_clean(&err, &["SECRET", "123456789012345"]);
        assert!(err.to_string().contains("line 1, column"), "{err}");
        assert_eq!(stream.try_next().await.unwrap(), None);
        assert_eq!(count_at(&server, PARTICIPANTS_PATH).await, 1, "{body}");
    }
}

#[tokio::test]
async fn a_wrong_typed_value_that_reads_like_a_cause_is_not_taken_for_one() {
    // serde's message for these quotes the value; the description must come from the
    // error's kind, not from words the server chose.
    for (body, want) in [
        (
            r#"{"participants":"too many rows"}"#,
            "the body has a value of an unexpected type in its envelope (line 1, column 31)",
        ),
        (
            r#"{"participants":"not an object"}"#,
            "the body has a value of an unexpected type in its envelope (line 1, column 31)",
        ),
        (
            r#""too many rows""#,
            "the body is not a JSON object (line 1, column 15)",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(PARTICIPANTS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let err = client(&server)
            .webinar_participants(WEBINAR)
            .stream()
            .try_next()
            .await
            .unwrap_err();
        match &err {
            Error::Decode { page: 1, message } => assert_eq!(message, want, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

// 5. A Retry-After beyond any clock.

#[tokio::test]
async fn a_retry_after_beyond_max_wait_is_rate_limited_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ratelimit-type", "QPS")
                .insert_header("retry-after", "99999999999999999999")
                .set_body_json(json!({"code": 429, "message": "Too many requests."})),
        )
        .mount(&server)
        .await;
    let mut stream = client(&server).webinar_participants(WEBINAR).stream();
    let err = stream.try_next().await.unwrap_err();
    match &err {
        Error::RateLimited {
            kind: RateLimitKind::PerSecond,
            code: Some(429),
            message,
            ..
        } => assert_eq!(message, "Too many requests."),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(err.is_rate_limited());
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(stream.try_next().await.unwrap(), None);
    assert_eq!(count_at(&server, PARTICIPANTS_PATH).await, 1);
}

// 6. Read-ahead asked for without bound.

#[tokio::test]
async fn prefetch_usize_max_is_clamped_and_exact() {
    let zoom = fake(WEBINAR, 23).await;
    let got: Vec<Participant> = fake_client(&zoom)
        .webinar_participants(WEBINAR)
        .page_size(2)
        .prefetch(usize::MAX)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
    assert_eq!(zoom.request_count(), 12);
    assert_eq!(zoom_participants::MAX_PREFETCH, 64);
}

// 7. The request budget.

#[tokio::test]
async fn a_spent_budget_stops_after_exactly_that_many_requests_and_resumes() {
    let zoom = fake(WEBINAR, 25).await;
    let expected = zoom.expected_participants(WEBINAR, false);
    let budgeted = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .max_requests(3)
        .build()
        .unwrap();
    let mut stream = budgeted.webinar_participants(WEBINAR).page_size(5).stream();
    let mut got = Vec::new();
    let err = loop {
        match stream.try_next().await {
            Ok(Some(p)) => got.push(p),
            Ok(None) => panic!("the stream ended without spending its budget"),
            Err(err) => break err,
        }
    };
    assert!(matches!(err, Error::BudgetSpent { limit: 3 }), "{err:?}");
    assert!(err.is_rate_limited());
    assert_eq!(got, expected[..15]);
    assert_eq!(zoom.request_count(), 3);
    assert_eq!(budgeted.requests_sent(), 3);
    assert_eq!(stream.try_next().await.unwrap(), None);

    let checkpoint = stream.checkpoint();
    assert_eq!(checkpoint.items_yielded(), 15);
    let rest: Vec<Participant> = fake_client(&zoom)
        .webinar_participants(WEBINAR)
        .page_size(5)
        .resume(checkpoint)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest, expected[15..]);
    let requests = zoom.requests();
    assert_eq!(requests.len(), 5, "pages 4 and 5 only");
    assert!(requests[3].query_value("next_page_token").is_some());
    assert!(requests[4].query_value("next_page_token").is_some());
}

#[tokio::test]
async fn retries_count_toward_the_budget() {
    // A 503 then the page: two requests of a budget of two, and the page arrives.
    let zoom = fake(WEBINAR, 4).await;
    zoom.push_fault(Fault::Status(503));
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .retry_policy(quick_retries())
        .max_requests(2)
        .build()
        .unwrap();
    let got: Vec<Participant> = client
        .webinar_participants(WEBINAR)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
    assert_eq!((client.requests_sent(), zoom.request_count()), (2, 2));

    // A budget of one: the 503 spends it, and the retry is not sent.
    let zoom = fake(WEBINAR, 4).await;
    zoom.push_fault(Fault::Status(503));
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .retry_policy(quick_retries())
        .max_requests(1)
        .build()
        .unwrap();
    let err = client
        .webinar_participants(WEBINAR)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BudgetSpent { limit: 1 }), "{err:?}");
    assert_eq!((client.requests_sent(), zoom.request_count()), (1, 1));
}

// 8. The client-side rate limit, and Zoom's remaining budget.

#[tokio::test]
async fn the_default_rate_limit_holds_in_every_one_second_window() {
    let zoom = fake(WEBINAR, 40).await;
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .build()
        .unwrap();
    let got: Vec<Participant> = client
        .webinar_participants(WEBINAR)
        .page_size(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
    let times: Vec<_> = zoom.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 40);
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 11, "{in_window} requests within one second");
    }
    // 40 requests at 10 a second: the last window starts 3 seconds after the first.
    assert!(times[39].duration_since(times[0]) >= Duration::from_secs(3));
}

#[tokio::test]
async fn x_ratelimit_remaining_is_reported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", "29876")
                .set_body_json(page_body(&participants(0..2), "", 2)),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    assert_eq!(client.rate_limit_remaining(), None, "nothing sent yet");
    let got: Vec<Participant> = client
        .webinar_participants(WEBINAR)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(client.rate_limit_remaining(), Some(29876));
    assert_eq!(client.clone().rate_limit_remaining(), Some(29876), "shared");
}

// 9. Adapting to an account whose real limit is below the configured one.

/// Pages `0..PAGES` of one participant each; a request beyond 5 in any one second (of the
/// runtime's clock) is answered 429 QPS with `Retry-After: 1` and takes no slot.
const PAGES: usize = 40;

#[tokio::test(start_paused = true)]
async fn the_rate_adapts_to_429s_and_every_participant_arrives_once() {
    let accepted = Arc::new(Mutex::new(VecDeque::<tokio::time::Instant>::new()));
    let refused = Arc::new(Mutex::new(0usize));
    let server = {
        let accepted = accepted.clone();
        let refused = refused.clone();
        raw_server(move |target| {
            let now = tokio::time::Instant::now();
            let mut window = accepted.lock().unwrap();
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                window.pop_front();
            }
            if window.len() >= 5 {
                *refused.lock().unwrap() += 1;
                let body = json!({"code": 429, "message": "per-second limit"}).to_string();
                return http_response(
                    429,
                    &[
                        ("content-type", "application/json"),
                        ("x-ratelimit-type", "QPS"),
                        ("retry-after", "1"),
                    ],
                    body.as_bytes(),
                );
            }
            window.push_back(now);
            let index = target
                .split("next_page_token=tok-")
                .nth(1)
                .map_or(0, |i| i.parse::<usize>().unwrap());
            let next = if index + 1 < PAGES {
                token_for(index + 1)
            } else {
                String::new()
            };
            let body = page_body(&[participant(index)], &next, PAGES).to_string();
            http_response(
                200,
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
        })
        .await
    };
    let client = Client::builder()
        .base_url(server.base_url())
        .bearer_token(TOKEN)
        .rate_limit(RateLimit::per_second(20.0))
        .build()
        .unwrap();
    let got: Vec<Participant> = client
        .webinar_participants(WEBINAR)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(as_json(&got), normalized(participants(0..PAGES)));
    let refused = *refused.lock().unwrap();
    assert_eq!(server.targets().len(), PAGES + refused);
    // A client that did not adapt would meet a 429 every sixth request (about 8 here);
    // this one halves its rate on a 429 and climbs back slowly: 3 observed (deterministic
    // under paused time), at most 4 allowed.
    assert!(refused <= 4, "{refused} requests refused");
}
