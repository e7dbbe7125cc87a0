//! Server-to-Server OAuth: fetched on first use, cached, refreshed before expiry and after
//! 401/124, one refresh however many streams, and never a secret in an error.

use std::time::Duration;

use futures::TryStreamExt;
use futures::future::join_all;
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, Error, Participant, RateLimit};

const WEBINAR: &str = "95204914252";
const SECRET: &str = "s2s-client-secret-7f1c";

async fn fake(expires_in: u64) -> FakeZoom {
    FakeZoom::builder()
        .webinar(WEBINAR, 12)
        .oauth_credentials("account-1", "client-1", SECRET)
        .oauth_expires_in(expires_in)
        .start()
        .await
        .unwrap()
}

fn client(zoom: &FakeZoom, secret: &str) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .token_url(zoom.token_url())
        .server_to_server_oauth("account-1", "client-1", secret)
        .rate_limit(RateLimit::unlimited())
        .build()
        .unwrap()
}

async fn all(client: &Client) -> zoom_participants::Result<Vec<Participant>> {
    client
        .webinar_participants(WEBINAR)
        .page_size(5)
        .stream()
        .try_collect()
        .await
}

#[tokio::test]
async fn the_token_is_fetched_on_first_use_and_cached_across_streams_and_clones() {
    let zoom = fake(3600).await;
    let client = client(&zoom, SECRET);
    assert_eq!(zoom.token_requests(), 0, "nothing before the first poll");
    assert_eq!(
        all(&client).await.unwrap(),
        zoom.expected_participants(WEBINAR, false)
    );
    assert_eq!(zoom.token_requests(), 1);
    assert_eq!(all(&client.clone()).await.unwrap().len(), 12);
    assert_eq!(zoom.token_requests(), 1);
    assert_eq!(zoom.request_count(), 6);
}

#[tokio::test]
async fn the_token_is_refreshed_before_it_expires() {
    let zoom = fake(2).await;
    let client = client(&zoom, SECRET);
    all(&client).await.unwrap();
    assert_eq!(zoom.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    all(&client).await.unwrap();
    assert_eq!(zoom.token_requests(), 2, "refreshed ahead of expiry");
    assert_eq!(zoom.request_count(), 6, "no request was refused");
}

#[tokio::test]
async fn a_401_124_refreshes_once_and_the_page_succeeds() {
    let zoom = fake(3600).await;
    let client = client(&zoom, SECRET);
    all(&client).await.unwrap();
    zoom.revoke_oauth_tokens();
    assert_eq!(
        all(&client).await.unwrap(),
        zoom.expected_participants(WEBINAR, false)
    );
    assert_eq!(zoom.token_requests(), 2);
    assert_eq!(
        zoom.request_count(),
        3 + 1 + 3,
        "one refused request, then the pages"
    );
}

#[tokio::test]
async fn thirty_two_concurrent_streams_cause_one_fetch_and_one_refresh() {
    let zoom = fake(3600).await;
    let client = client(&zoom, SECRET);
    let results = join_all((0..32).map(|_| all(&client))).await;
    assert!(results.iter().all(|r| r.as_ref().unwrap().len() == 12));
    assert_eq!(zoom.token_requests(), 1);

    zoom.revoke_oauth_tokens();
    let results = join_all((0..32).map(|_| all(&client))).await;
    assert!(results.iter().all(|r| r.as_ref().unwrap().len() == 12));
    assert_eq!(zoom.token_requests(), 2);
}

#[tokio::test]
async fn a_rejected_secret_is_a_clear_error_without_the_secret() {
    let zoom = fake(3600).await;
    let wrong = "wrong-secret-value-123";
    let client = client(&zoom, wrong);
    let err = all(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::OAuth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Server-to-Server OAuth failed (HTTP 401): invalid_client: Invalid client_id or client_secret"
    );
    for text in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!text.contains(wrong) && !text.contains(SECRET), "{text}");
    }
    assert_eq!(zoom.request_count(), 0, "no API call without a token");
    assert_eq!(zoom.token_requests(), 1, "a refused secret is not retried");
}

#[tokio::test]
async fn a_token_endpoint_that_fails_transiently_is_retried() {
    use wiremock::matchers::{body_string, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=account_credentials&account_id=acc%201"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"access_token": "tok-after-503", "token_type": "bearer", "expires_in": 3600}),
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tok-after-503"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"participants": [{"id": "only"}], "next_page_token": ""}),
        ))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .token_url(format!("{}/oauth/token", server.uri()))
        .server_to_server_oauth("acc 1", "cid", "secret-xyz")
        .retry_policy(
            zoom_participants::RetryPolicy::default().initial_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let got: Vec<Participant> = client
        .webinar_participants("w")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|p| p.id.as_deref()).collect::<Vec<_>>(),
        [Some("only")]
    );
    let requests = server.received_requests().await.unwrap();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["POST", "POST", "GET"]);
    let basic = requests[1]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    use base64::Engine;
    assert_eq!(
        basic,
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("cid:secret-xyz")
        )
    );
}

/// A token endpoint that answers 307 elsewhere: the redirect is reported as such (not as a
/// refusal of the credentials), never followed, never retried; the CLI exits 1, not 3.
#[tokio::test]
async fn a_redirecting_token_endpoint_is_named_as_a_redirect_never_followed() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .token_url(format!("{}/oauth/token", server.uri()))
        .server_to_server_oauth("acct", "cid", SECRET)
        .build()
        .unwrap();
    let err = client
        .webinar_participants("w")
        .stream()
        .try_collect::<Vec<Participant>>()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Server-to-Server OAuth failed (HTTP 307): the token endpoint answered a redirect (307), which is never followed; check the token URL"
    );
    assert_eq!(err.http_status(), Some(307));
    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/oauth/token"], "not followed, not retried");

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_zoom-participants"))
        .env_clear()
        .env("ZOOM_ACCOUNT_ID", "acct")
        .env("ZOOM_CLIENT_ID", "cid")
        .env("ZOOM_CLIENT_SECRET", SECRET)
        .args(["--webinar", WEBINAR, "--rate-limit", "off"])
        .args(["--base-url", &format!("{}/v2", server.uri())])
        .args(["--token-url", &format!("{}/oauth/token", server.uri())])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "error: Server-to-Server OAuth failed (HTTP 307): the token endpoint answered a redirect (307), which is never followed; check the token URL\n"
    );
    assert!(out.stdout.is_empty());
}

/// A token endpoint that keeps failing with 500 is reported as a failure of the endpoint,
/// not as a refusal of the credentials.
#[tokio::test]
async fn a_token_endpoint_that_keeps_failing_is_not_called_a_refusal() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .token_url(format!("{}/oauth/token", server.uri()))
        .server_to_server_oauth("acc", "cid", "secret-xyz")
        .retry_policy(
            zoom_participants::RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let err = client
        .webinar_participants("w")
        .stream()
        .try_collect::<Vec<Participant>>()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Server-to-Server OAuth failed (HTTP 500): the token endpoint failed (a server error, not a refusal)"
    );
    assert!(!err.to_string().contains("refused the credentials"));
}
