//! The fault suite: each transient failure is retried, each final one is not, and the
//! participants delivered are exactly the served ones.

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use zoom_participants::fake::{FakeZoom, Fault};
use zoom_participants::{Client, Error, Participant, RateLimit, RateLimitKind, RetryPolicy};

const WEBINAR: &str = "95204914252";

async fn fake(participants: u64) -> FakeZoom {
    FakeZoom::builder()
        .webinar(WEBINAR, participants)
        .start()
        .await
        .unwrap()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(40))
}

fn client(zoom: &FakeZoom, policy: RetryPolicy) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .retry_policy(policy)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

async fn all(client: &Client, page_size: u32) -> zoom_participants::Result<Vec<Participant>> {
    client
        .webinar_participants(WEBINAR)
        .page_size(page_size)
        .stream()
        .try_collect()
        .await
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_no_sooner_than_asked() {
    let zoom = fake(20).await;
    zoom.push_fault(Fault::per_second_limit(1));
    let started = Instant::now();
    let got = all(&client(&zoom, quick_retries()), 300).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
    assert!(
        elapsed >= Duration::from_secs(1),
        "retried after {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert_eq!(zoom.request_count(), 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let zoom = fake(3).await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    zoom.push_fault(Fault::RateLimited {
        daily: false,
        retry_after: Some(at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        reset: None,
    });
    let started = Instant::now();
    let got = all(&client(&zoom, quick_retries()), 300).await.unwrap();
    assert_eq!(got.len(), 3);
    // The HTTP-date has whole seconds: the wait is at least one second.
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(zoom.request_count(), 2);
}

#[tokio::test]
async fn a_daily_limit_fails_at_once_saying_when_it_resets() {
    let zoom = fake(20).await;
    zoom.push_fault(Fault::daily_limit());
    let started = Instant::now();
    let err = all(&client(&zoom, RetryPolicy::default()), 300)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(err.is_rate_limited());
    assert_eq!((err.http_status(), err.zoom_code()), (Some(429), Some(429)));
    assert!(matches!(
        err,
        Error::RateLimited {
            kind: RateLimitKind::Daily,
            retry_at: Some(_),
            ..
        }
    ));
    assert!(
        err.to_string().contains("daily limit") && err.to_string().contains("resets at"),
        "{err}"
    );
    assert_eq!(zoom.request_count(), 1);
}

#[tokio::test]
async fn a_wait_longer_than_the_policy_allows_is_an_error_at_once() {
    let zoom = fake(5).await;
    zoom.push_fault(Fault::per_second_limit(120));
    let started = Instant::now();
    let err = all(&client(&zoom, RetryPolicy::default()), 300)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(
        matches!(
            err,
            Error::RateLimited {
                kind: RateLimitKind::PerSecond,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(zoom.request_count(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let zoom = fake(25).await;
    for status in [500, 502, 503] {
        zoom.push_fault(Fault::Status(status));
    }
    let got = all(&client(&zoom, quick_retries()), 10).await.unwrap();
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
    assert_eq!(
        zoom.request_count(),
        3 + 3,
        "three failures, then three pages"
    );
}

#[tokio::test]
async fn a_connection_cut_mid_body_is_retried() {
    let zoom = fake(25).await;
    zoom.push_fault(Fault::CutMidBody);
    let got = all(&client(&zoom, quick_retries()), 300).await.unwrap();
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
    assert_eq!(zoom.request_count(), 2);
}

#[tokio::test]
async fn a_stalled_body_times_out_and_is_retried() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 25)
        .gzip(false)
        .start()
        .await
        .unwrap();
    zoom.push_fault(Fault::Stall(Duration::from_secs(5)));
    let started = Instant::now();
    let got = all(&client(&zoom, quick_retries()), 300).await.unwrap();
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
    assert_eq!(zoom.request_count(), 2);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    let zoom = fake(5).await;
    zoom.push_fault(Fault::Status(400));
    let err = all(&client(&zoom, quick_retries()), 300).await.unwrap_err();
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(zoom.request_count(), 1);
}

#[tokio::test]
async fn persistent_503_gives_up_on_the_failed_page_and_a_resumed_stream_completes_exactly_once() {
    let zoom = fake(25).await;
    let policy = quick_retries().max_attempts(3);
    let client = client(&zoom, policy);
    let mut stream = client.webinar_participants(WEBINAR).page_size(10).stream();
    let mut got = Vec::new();
    for _ in 0..10 {
        got.push(stream.try_next().await.unwrap().unwrap());
    }
    for _ in 0..3 {
        zoom.push_fault(Fault::Status(503));
    }
    let err = stream.try_next().await.unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert!(stream.next().await.is_none());
    assert_eq!(zoom.request_count(), 1 + 3);
    let cursor = stream.next_page_token().unwrap().to_owned();
    assert_eq!(
        zoom.requests()[1].query_value("next_page_token"),
        Some(cursor.as_str())
    );

    let rest: Vec<Participant> = client
        .webinar_participants(WEBINAR)
        .page_size(10)
        .resume_from(cursor)
        .stream()
        .try_collect()
        .await
        .unwrap();
    got.extend(rest);
    assert_eq!(got, zoom.expected_participants(WEBINAR, false));
}

#[tokio::test]
async fn an_endless_body_ends_in_an_error_at_the_cap() {
    let zoom = fake(5).await;
    zoom.push_fault(Fault::EndlessBody);
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .max_body_bytes(1 << 20)
        .build()
        .unwrap();
    let err = all(&client, 300).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1_048_576 }),
        "{err:?}"
    );
    assert_eq!(zoom.request_count(), 1);
}

#[tokio::test]
async fn a_truncated_success_body_is_a_decode_error() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 25)
        .gzip(false)
        .start()
        .await
        .unwrap();
    zoom.push_fault(Fault::TruncatedBody);
    let err = all(&client(&zoom, quick_retries()), 300).await.unwrap_err();
    assert!(matches!(err, Error::Decode { page: 1, .. }), "{err:?}");
}

#[tokio::test]
async fn a_503_with_retry_after_waits_as_asked() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"participants": [{"id": "x"}]})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .bearer_token("t0ken-value")
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let started = Instant::now();
    let got: Vec<Participant> = client
        .webinar_participants("w")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
