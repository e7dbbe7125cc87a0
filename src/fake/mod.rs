//! A fake Zoom on 127.0.0.1, for demos, tests and benchmarks (feature `fake`).
//!
//! It serves generated webinars the way Zoom's Dashboard endpoint does, and is meant to be
//! read as documentation of that behaviour:
//!
//! - `GET /v2/metrics/webinars/{id}/participants`: `page_size` (default 30, capped at 300),
//!   opaque `next_page_token`s that expire (15 minutes by default) with Zoom's 400/300,
//!   `include_fields=registrant_id`, 404/3001 for an unknown webinar, and the path rule:
//!   a UUID that starts with `/` or contains `//` must arrive double-encoded;
//! - bearer tokens checked, with Zoom's 401/124 for a wrong or expired one;
//! - `POST /oauth/token`: Server-to-Server OAuth (`grant_type=account_credentials`);
//! - gzip when the client asks for it;
//! - switches for latency and scripted [`Fault`]s.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use futures::TryStreamExt;
//! use zoom_participants::{Client, fake::FakeZoom};
//!
//! let zoom = FakeZoom::builder().webinar("95204914252", 1_000).start().await?;
//! let client = Client::builder()
//!     .base_url(zoom.base_url())
//!     .bearer_token(zoom.access_token())
//!     .build()
//!     .expect("loopback URL");
//! let all: Vec<_> = client.webinar_participants("95204914252").stream().try_collect().await.expect("served");
//! assert_eq!(all, zoom.expected_participants("95204914252", false));
//! # Ok(())
//! # }
//! ```

mod data;

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use futures::StreamExt as _;
use serde_json::json;

use crate::model::Participant;

/// Zoom's largest page.
const MAX_PAGE_SIZE: u64 = 300;
/// Zoom's page size when none is asked for.
const DEFAULT_PAGE_SIZE: u64 = 30;

/// A failure the fake serves instead of the next participants page.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// An HTTP error status with a Zoom JSON body (`{"code": status, "message": …}`).
    Status(u16),
    /// A 429 with Zoom's rate-limit headers.
    RateLimited {
        /// `Daily-limit` when true, `QPS` otherwise.
        daily: bool,
        /// The `Retry-After` header as sent (seconds, HTTP-date or RFC 3339), if any.
        retry_after: Option<String>,
        /// The `X-RateLimit-Reset` header (a Unix time), if any.
        reset: Option<String>,
    },
    /// The page's headers and half its body, then the connection is cut.
    CutMidBody,
    /// A complete response whose JSON body is cut short.
    TruncatedBody,
    /// Half the body, a pause this long, then the rest.
    Stall(Duration),
    /// A body that never ends.
    EndlessBody,
}

impl Fault {
    /// A per-second 429 asking for a wait of `seconds`.
    pub fn per_second_limit(seconds: u64) -> Fault {
        Fault::RateLimited {
            daily: false,
            retry_after: Some(seconds.to_string()),
            reset: None,
        }
    }

    /// A daily-limit 429 whose `Retry-After` is the next midnight UTC.
    pub fn daily_limit() -> Fault {
        let midnight = (chrono::Utc::now() + chrono::Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        Fault::RateLimited {
            daily: true,
            retry_after: Some(midnight.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            reset: None,
        }
    }
}

/// One participants request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The raw path, percent-encoding intact.
    pub path: String,
    /// The query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// When it arrived.
    pub at: Instant,
}

impl RecordedRequest {
    /// The value of a query key, if the request had it.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Configures a [`FakeZoom`].
#[derive(Debug, Clone)]
#[must_use]
pub struct FakeZoomBuilder {
    webinars: HashMap<String, u64>,
    seed: u64,
    access_token: String,
    oauth: Option<(String, String, String)>,
    oauth_expires_in: u64,
    page_token_ttl: Duration,
    latency: Duration,
    gzip: bool,
    cache_pages: bool,
}

impl FakeZoomBuilder {
    /// Keeps every rendered page in memory and serves it again from there (default off):
    /// for benchmarks that measure the client, not the fake's generator.
    pub fn cache_pages(mut self, cache: bool) -> Self {
        self.cache_pages = cache;
        self
    }

    /// Serves a webinar of `participants` generated rows under `id` (its raw ID or UUID).
    pub fn webinar(mut self, id: impl Into<String>, participants: u64) -> Self {
        self.webinars.insert(id.into(), participants);
        self
    }

    /// The seed of the generated participants (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The fixed access token the fake accepts (default `fake-zoom-access-token`).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = token.into();
        self
    }

    /// Accepts Server-to-Server OAuth with these credentials at `/oauth/token`.
    pub fn oauth_credentials(
        mut self,
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.oauth = Some((account_id.into(), client_id.into(), client_secret.into()));
        self
    }

    /// The `expires_in` of issued OAuth tokens, in seconds (default 3600).
    pub fn oauth_expires_in(mut self, seconds: u64) -> Self {
        self.oauth_expires_in = seconds;
        self
    }

    /// How long a `next_page_token` lives (default 15 minutes, as Zoom's).
    pub fn page_token_ttl(mut self, ttl: Duration) -> Self {
        self.page_token_ttl = ttl;
        self
    }

    /// A delay before every participants page.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Whether to gzip bodies for clients that accept it (default true).
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<FakeZoom> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let page_cache = self.cache_pages.then(Mutex::default);
        let shared = Arc::new(Shared {
            config: self,
            started: Instant::now(),
            faults: Mutex::default(),
            requests: Mutex::default(),
            issued: Mutex::default(),
            token_requests: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            page_cache,
        });
        let app = Router::new()
            .route("/oauth/token", post(issue_token))
            .fallback(participants)
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                tracing::warn!(%err, "fake Zoom stopped");
            }
        });
        Ok(FakeZoom {
            addr,
            shared,
            stop: Some(stop),
            task,
        })
    }
}

/// A running fake Zoom; stops when dropped.
#[derive(Debug)]
pub struct FakeZoom {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    config: FakeZoomBuilder,
    started: Instant,
    faults: Mutex<VecDeque<Fault>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// OAuth tokens issued, with when they expire.
    issued: Mutex<HashMap<String, Instant>>,
    token_requests: AtomicU64,
    bytes_sent: AtomicU64,
    /// Rendered pages by (webinar, start, end, registrant IDs), when caching is on.
    page_cache: Option<Mutex<HashMap<PageKey, Arc<Vec<u8>>>>>,
}

type PageKey = (String, u64, u64, bool);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for FakeZoom {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

impl FakeZoom {
    /// Starts configuring a fake Zoom.
    pub fn builder() -> FakeZoomBuilder {
        FakeZoomBuilder {
            webinars: HashMap::new(),
            seed: 42,
            access_token: "fake-zoom-access-token".into(),
            oauth: None,
            oauth_expires_in: 3600,
            page_token_ttl: Duration::from_secs(15 * 60),
            latency: Duration::ZERO,
            gzip: true,
            cache_pages: false,
        }
    }

    /// The API base to give [`ClientBuilder::base_url`](crate::ClientBuilder::base_url).
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The OAuth endpoint to give [`ClientBuilder::token_url`](crate::ClientBuilder::token_url).
    pub fn token_url(&self) -> String {
        format!("http://{}/oauth/token", self.addr)
    }

    /// The fixed access token the fake accepts.
    pub fn access_token(&self) -> &str {
        &self.shared.config.access_token
    }

    /// Exactly what a complete stream of the webinar yields, in order.
    pub fn expected_participants(&self, id: &str, with_registrant_id: bool) -> Vec<Participant> {
        let count = self.shared.config.webinars.get(id).copied().unwrap_or(0);
        (0..count)
            .map(|i| data::participant(self.shared.config.seed, i, with_registrant_id))
            .collect()
    }

    /// Serves `fault` instead of the next participants page (faults queue up in order).
    pub fn push_fault(&self, fault: Fault) {
        lock(&self.shared.faults).push_back(fault);
    }

    /// Every participants request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many participants requests were received.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// How many OAuth token requests were received.
    pub fn token_requests(&self) -> u64 {
        self.shared.token_requests.load(Ordering::SeqCst)
    }

    /// Revokes every OAuth token issued so far: they get 401/124 from now on.
    pub fn revoke_oauth_tokens(&self) {
        lock(&self.shared.issued).clear();
    }

    /// Body bytes sent for participants pages (after gzip).
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::SeqCst)
    }
}

fn zoom_error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "code": code, "message": message }).to_string(),
    )
        .into_response()
}

/// A page token: which webinar, where the next page starts, when it was issued. Opaque
/// to clients, like Zoom's.
fn encode_page_token(webinar: &str, offset: u64, issued_ms: u128) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{webinar}\n{offset}\n{issued_ms}"))
}

fn decode_page_token(token: &str) -> Option<(String, u64, u128)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.rsplitn(3, '\n');
    let issued = parts.next()?.parse().ok()?;
    let offset = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_owned(), offset, issued))
}

/// The webinar ID from the raw path segment, by Zoom's rule: decoded once, and once more
/// when the result is itself an encoded UUID that starts with `/` or contains `//`.
fn webinar_id(segment: &str) -> Option<String> {
    let decode = |s: &str| percent_decode(s);
    let once = decode(segment)?;
    if once.starts_with('/') || once.contains("//") {
        return None; // such a UUID had to be encoded twice
    }
    if once.contains('%') {
        let twice = percent_decode(&once)?;
        if twice.starts_with('/') || twice.contains("//") {
            return Some(twice);
        }
    }
    Some(once)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn participants(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let request = RecordedRequest {
        path: uri.path().to_owned(),
        query,
        at: Instant::now(),
    };
    lock(&shared.requests).push(request.clone());
    let config = &shared.config;

    let segment = uri
        .path()
        .strip_prefix("/v2/metrics/webinars/")
        .and_then(|rest| rest.strip_suffix("/participants"))
        .filter(|segment| !segment.contains('/'));
    let Some(segment) = segment else {
        return zoom_error(StatusCode::NOT_FOUND, 404, "Not found.");
    };
    if !shared.authorized(&headers) {
        return zoom_error(StatusCode::UNAUTHORIZED, 124, "Invalid access token.");
    }
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    let fault = lock(&shared.faults).pop_front();
    if let Some(Fault::Status(status)) = &fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return zoom_error(
            status,
            status.as_u16().into(),
            "Internal server error, try again.",
        );
    }
    if let Some(Fault::RateLimited {
        daily,
        retry_after,
        reset,
    }) = &fault
    {
        return rate_limited(*daily, retry_after.as_deref(), reset.as_deref());
    }

    let not_found = "This webinar's detail info is not available or ID is not valid.";
    let Some(id) = webinar_id(segment) else {
        return zoom_error(StatusCode::NOT_FOUND, 3001, not_found);
    };
    let Some(&total) = config.webinars.get(&id) else {
        return zoom_error(StatusCode::NOT_FOUND, 3001, not_found);
    };
    if let Some(kind) = request
        .query_value("type")
        .filter(|t| !matches!(*t, "live" | "past"))
    {
        return zoom_error(
            StatusCode::BAD_REQUEST,
            300,
            &format!("Invalid field: type {kind}."),
        );
    }
    let page_size = match request.query_value("page_size").map(str::parse::<u64>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size >= 1 => size.min(MAX_PAGE_SIZE),
        Some(_) => return zoom_error(StatusCode::BAD_REQUEST, 300, "Invalid field: page_size."),
    };
    let offset = match request
        .query_value("next_page_token")
        .filter(|t| !t.is_empty())
    {
        None => 0,
        Some(token) => match shared.live_token(token, &id) {
            Some(offset) => offset,
            None => {
                return zoom_error(
                    StatusCode::BAD_REQUEST,
                    300,
                    "The next page token is invalid or expired.",
                );
            }
        },
    };
    let with_registrant_id = request.query_value("include_fields") == Some("registrant_id");
    let end = (offset + page_size).min(total);
    let items = shared.rendered_items(&id, offset..end, with_registrant_id);
    let next = if end < total {
        encode_page_token(&id, end, shared.started.elapsed().as_millis())
    } else {
        String::new()
    };
    // The envelope around the rendered participants; the token is base64, safe in JSON.
    let mut body = format!(
        r#"{{"page_count":{},"page_size":{page_size},"total_records":{total},"next_page_token":"{next}","participants":"#,
        total.div_ceil(page_size)
    )
    .into_bytes();
    body.extend_from_slice(&items);
    body.push(b'}');
    shared.page_response(body, &headers, fault)
}

fn rate_limited(daily: bool, retry_after: Option<&str>, reset: Option<&str>) -> Response {
    let message = if daily {
        "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another call."
    } else {
        "You have reached the maximum per-second rate limit for this API. Try again later."
    };
    let mut response = zoom_error(StatusCode::TOO_MANY_REQUESTS, 429, message);
    let headers = response.headers_mut();
    let kind = if daily { "Daily-limit" } else { "QPS" };
    headers.insert("x-ratelimit-type", HeaderValue::from_static(kind));
    headers.insert("x-ratelimit-category", HeaderValue::from_static("Heavy"));
    for (name, value) in [("retry-after", retry_after), ("x-ratelimit-reset", reset)] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    response
}

impl Shared {
    /// The JSON array of participants `range`, rendered now or taken from the page cache.
    fn rendered_items(
        &self,
        id: &str,
        range: std::ops::Range<u64>,
        with_registrant_id: bool,
    ) -> Arc<Vec<u8>> {
        let key = (id.to_owned(), range.start, range.end, with_registrant_id);
        if let Some(hit) = self
            .page_cache
            .as_ref()
            .and_then(|c| lock(c).get(&key).cloned())
        {
            return hit;
        }
        let items: Vec<Participant> = range
            .map(|i| data::participant(self.config.seed, i, with_registrant_id))
            .collect();
        let rendered = Arc::new(serde_json::to_vec(&items).unwrap_or_else(|_| b"[]".to_vec()));
        if let Some(cache) = &self.page_cache {
            lock(cache).insert(key, rendered.clone());
        }
        rendered
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        if token == self.config.access_token {
            return true;
        }
        lock(&self.issued)
            .get(token)
            .is_some_and(|expires| Instant::now() < *expires)
    }

    /// The offset a page token points at, if it is this webinar's and still alive.
    fn live_token(&self, token: &str, webinar: &str) -> Option<u64> {
        let (id, offset, issued_ms) = decode_page_token(token)?;
        let age = self.started.elapsed().as_millis().checked_sub(issued_ms)?;
        let alive = age < self.config.page_token_ttl.as_millis();
        (id == webinar && alive).then_some(offset)
    }

    fn page_response(&self, body: Vec<u8>, request: &HeaderMap, fault: Option<Fault>) -> Response {
        let json = [(header::CONTENT_TYPE, "application/json")];
        let half = body.len() / 2;
        match fault {
            Some(Fault::TruncatedBody) => {
                self.count(half);
                return (json, body[..half].to_vec()).into_response();
            }
            Some(Fault::CutMidBody) => {
                let length = body.len();
                let first = Bytes::copy_from_slice(&body[..half]);
                let chunks = futures::stream::iter([
                    Ok(first),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut",
                    )),
                ]);
                self.count(half);
                return (
                    json,
                    [(header::CONTENT_LENGTH, length)],
                    Body::from_stream(chunks),
                )
                    .into_response();
            }
            Some(Fault::Stall(pause)) => {
                let body = Bytes::from(body);
                let (first, rest) = (body.slice(..half), body.slice(half..));
                self.count(body.len());
                let chunks = async_stream::stream! {
                    yield Ok::<_, std::io::Error>(first);
                    tokio::time::sleep(pause).await;
                    yield Ok(rest);
                };
                return (json, Body::from_stream(chunks)).into_response();
            }
            Some(Fault::EndlessBody) => {
                let chunk =
                    Bytes::from_static(b"{\"id\":\"endless\",\"user_name\":\"again and again\"},");
                let head = futures::stream::once(async {
                    Ok::<_, std::io::Error>(Bytes::from_static(b"{\"participants\":["))
                });
                let chunks = head.chain(futures::stream::repeat_with(move || Ok(chunk.clone())));
                return (json, Body::from_stream(chunks)).into_response();
            }
            _ => {}
        }
        let accepts_gzip = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip"));
        if self.config.gzip && accepts_gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if encoder.write_all(&body).is_ok()
                && let Ok(zipped) = encoder.finish()
            {
                self.count(zipped.len());
                return (json, [(header::CONTENT_ENCODING, "gzip")], zipped).into_response();
            }
        }
        self.count(body.len());
        (json, body).into_response()
    }

    fn count(&self, bytes: usize) {
        self.bytes_sent.fetch_add(bytes as u64, Ordering::SeqCst);
    }
}

/// `POST /oauth/token`: Server-to-Server OAuth, `grant_type=account_credentials`.
async fn issue_token(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.token_requests.fetch_add(1, Ordering::SeqCst);
    let oauth_error = |status: StatusCode, error: &str, reason: &str| {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "reason": reason, "error": error }).to_string(),
        )
            .into_response()
    };
    let Some((account_id, client_id, client_secret)) = &shared.config.oauth else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "OAuth is not enabled on this fake.",
        );
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    if basic.as_deref() != Some(&format!("{client_id}:{client_secret}")) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client_id or client_secret",
        );
    }
    let mut form: HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    if let Some(query) = uri.query() {
        form.extend(url::form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    if form.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant type",
        );
    }
    if form.get("account_id") != Some(account_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid account_id",
        );
    }
    let number = shared.token_requests.load(Ordering::SeqCst);
    let token = format!("fake-s2s-{number}-{:016x}", fastrand::u64(..));
    let lifetime = Duration::from_secs(shared.config.oauth_expires_in);
    lock(&shared.issued).insert(token.clone(), Instant::now() + lifetime);
    (
        [(header::CONTENT_TYPE, "application/json")],
        json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": shared.config.oauth_expires_in,
            "scope": "dashboard_webinars:read:admin",
        })
        .to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_refuse_garbage() {
        let token = encode_page_token("a\nb", 600, 12345);
        assert_eq!(decode_page_token(&token), Some(("a\nb".into(), 600, 12345)));
        assert_eq!(decode_page_token("not a token"), None);
    }

    #[test]
    fn path_segments_are_decoded_by_zooms_rule() {
        assert_eq!(webinar_id("95204914252").as_deref(), Some("95204914252"));
        assert_eq!(webinar_id("abc%2Bdef%3D%3D").as_deref(), Some("abc+def=="));
        assert_eq!(
            webinar_id("%252FajXp112QmuoKj4854875%253D%253D").as_deref(),
            Some("/ajXp112QmuoKj4854875==")
        );
        assert_eq!(
            webinar_id("%2FajXp112QmuoKj4854875%3D%3D"),
            None,
            "needed double encoding"
        );
        assert_eq!(webinar_id("ab%2F%2Fcd"), None);
        assert_eq!(webinar_id("bad%zz"), None);
    }

    #[test]
    fn generated_rows_are_deterministic_and_varied() {
        let a: Vec<_> = (0..200).map(|i| data::participant(7, i, false)).collect();
        let b: Vec<_> = (0..200).map(|i| data::participant(7, i, false)).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|p| p.registrant_id.is_none()));
        assert!(data::participant(7, 1, true).registrant_id.is_some());
        let has = |f: &dyn Fn(&Participant) -> bool| a.iter().any(f);
        assert!(has(&|p| p.user_name.as_deref() == Some("")), "HIPAA blanks");
        assert!(has(&|p| matches!(p.status, Some(crate::Status::Other(_)))));
        assert!(has(&|p| matches!(p.role, Some(crate::Role::Other(_)))));
        assert!(has(&|p| !p.extra.is_empty()), "unknown fields");
        assert!(
            has(&|p| p.extra.get("x_ratio").map(|raw| raw.get()) == Some("1.50")),
            "number texts a Value would change"
        );
        assert!(has(&|p| p.camera.is_none()), "missing fields");
        assert_eq!(a[3].user_id, a[0].user_id, "row 3 is a rejoin of row 0");
        assert_ne!(a[3].join_time, a[0].join_time);
    }
}
