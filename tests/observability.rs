//! Tracing: each page request is logged, and no token or secret ever is.

use std::io::Write;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use zoom_participants::fake::{FakeZoom, Fault};
use zoom_participants::{Client, RateLimit, RetryPolicy};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn page_requests_are_traced_without_tokens_or_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let secret = "observed-client-secret-91";
    let zoom = FakeZoom::builder()
        .webinar("w1", 7)
        .oauth_credentials("acc", "cid", secret)
        .start()
        .await
        .unwrap();
    zoom.push_fault(Fault::Status(502));
    let client = Client::builder()
        .base_url(zoom.base_url())
        .token_url(zoom.token_url())
        .server_to_server_oauth("acc", "cid", secret)
        .rate_limit(RateLimit::unlimited())
        .retry_policy(RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(5)))
        .build()
        .unwrap();
    let got: Vec<_> = client
        .webinar_participants("w1")
        .page_size(5)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 7);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("zoom.page"), "{log}");
    assert!(log.contains("page=2"), "{log}");
    assert!(log.contains("attempt failed"), "{log}");
    assert!(log.contains("retrying"), "{log}");
    assert!(log.contains("items=5"), "{log}");
    assert!(!log.contains(secret), "the client secret leaked");
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("cid:{secret}"));
    assert!(!log.contains(&basic), "the basic credentials leaked");
    assert!(!log.contains("fake-s2s-"), "an access token leaked");
}
