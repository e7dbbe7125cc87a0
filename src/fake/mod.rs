//! A fake Zoom on 127.0.0.1, for demos, tests and benchmarks (feature `fake`).
//!
//! It serves generated webinars the way Zoom's Dashboard endpoint does, and is meant to be
//! read as documentation of that behaviour:
//!
//! - `GET /v2/metrics/webinars/{id}/participants`: `page_size` (default 30, capped at 300),
//!   opaque `next_page_token`s that expire (15 minutes by default) with Zoom's 400/300,
//!   `include_fields=registrant_id`, 404/3001 for an unknown webinar, and the path rule:
//!   a UUID that starts with `/` or contains `//` must arrive double-encoded;
//! - `GET /v2/metrics/webinars`: the Dashboard webinar list of the instances given to
//!   [`FakeZoomBuilder::listed_webinar`] (or the ready-made [`FakeZoomBuilder::demo_period`]),
//!   with every property of Zoom's list schema: required `from`/`to` covering at most one
//!   calendar month (`to <= from + 1 month`, else 400/300 "The date range is invalid."),
//!   instances listed by the UTC date of their start, `type=past` for those that have ended,
//!   the same page sizes and expiring tokens as the participants, and an optional
//!   per-minute limit ([`FakeZoomBuilder::list_rate_limit_per_minute`]) answered with a
//!   *Resource-intensive* 429 and `Retry-After`;
//! - scripted live sessions ([`FakeZoomBuilder::live_session`]): `type=live` lists of
//!   webinars or meetings that change from one walk to the next and end with 404/3001, as
//!   Zoom's do when the session is over (what `ParticipantsRequest::follow` is tested on);
//! - bearer tokens checked, with Zoom's 401/124 for a wrong or expired one;
//! - `POST /oauth/token`: Server-to-Server OAuth (`grant_type=account_credentials`);
//! - gzip of participants pages when the client asks for it;
//! - switches for latency and scripted [`Fault`]s (both for participants requests only);
//! - what is served can change while it runs ([`FakeZoom::set_webinar`],
//!   [`FakeZoom::set_seed`]), so a test can change a webinar between two runs.
//!
//! Requests are recorded: participants requests in [`FakeZoom::requests`], webinar-list
//! requests in [`FakeZoom::list_requests`].
//!
//! The code is split by concern: `participants` (pages, path rule, faults), `list` (the
//! webinar list and its rate limit), `tokens` (page tokens and OAuth), `data` (generated
//! rows).
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
mod list;
mod live;
mod participants;
mod tokens;

pub use list::FakeWebinar;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
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

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The raw path, percent-encoding intact.
    pub path: String,
    /// The query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// When it arrived, by tokio's clock (the same as the system's, unless a test paused
    /// tokio's time: then the paused clock, which is what the client's waits follow too).
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
    listed: Vec<FakeWebinar>,
    list_rate_limit: Option<u32>,
    live: HashMap<String, Vec<Vec<Participant>>>,
}

impl FakeZoomBuilder {
    /// Serves a scripted live session under `id` (a webinar or meeting ID or UUID) for
    /// `type=live`: the n-th walk of the live list sees `snapshots[n]`, page after page;
    /// after the last one the session is over and the live list answers 404/3001, as
    /// Zoom's does once a session has ended. See the `live` module's notes.
    pub fn live_session(mut self, id: impl Into<String>, snapshots: Vec<Vec<Participant>>) -> Self {
        self.live.insert(id.into(), snapshots);
        self
    }

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

    /// Lists `webinar` in the Dashboard webinar list (`GET /v2/metrics/webinars`) and serves
    /// `webinar.participants` generated rows under its UUID, so that
    /// `GET /v2/metrics/webinars/{uuid}/participants` works (double-encoding rule included).
    /// A second webinar with the same UUID replaces the first.
    pub fn listed_webinar(mut self, webinar: FakeWebinar) -> Self {
        self.webinars
            .insert(webinar.uuid.clone(), webinar.participants);
        self.listed.retain(|w| w.uuid != webinar.uuid);
        self.listed.push(webinar);
        self
    }

    /// Lists a ready-made quarter, 2026-01-01 to 2026-03-31 (see [`FakeWebinar::demo_period`]):
    /// recurring webinars (one `id`, several UUIDs), UUIDs that start with `/` or contain
    /// `//`, instances exactly on month boundaries, and one instance just before and one just
    /// after the quarter.
    pub fn demo_period(self) -> Self {
        FakeWebinar::demo_period()
            .into_iter()
            .fold(self, Self::listed_webinar)
    }

    /// Makes the webinar list refuse more than `requests` requests in any sliding 60-second
    /// window, as Zoom's *Resource-intensive* label does, with a 429 whose `Retry-After`
    /// says in how many seconds the window frees a slot (default: no limit). Refused
    /// requests do not take a slot.
    pub fn list_rate_limit_per_minute(mut self, requests: u32) -> Self {
        self.list_rate_limit = Some(requests);
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
    pub async fn start(mut self) -> std::io::Result<FakeZoom> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let page_cache = self.cache_pages.then(Mutex::default);
        // What may change at runtime moves to the catalog, so nothing reads a stale copy.
        let live = std::mem::take(&mut self.live)
            .into_iter()
            .map(|(id, snapshots)| {
                let session = live::LiveSession {
                    snapshots,
                    walks: 0,
                };
                (id, session)
            })
            .collect();
        let catalog = Catalog {
            webinars: std::mem::take(&mut self.webinars),
            listed: std::mem::take(&mut self.listed),
            seed: self.seed,
        };
        let shared = Arc::new(Shared {
            config: self,
            catalog: Mutex::new(catalog),
            list_requests: Mutex::default(),
            list_window: Mutex::default(),
            started: Instant::now(),
            faults: Mutex::default(),
            requests: Mutex::default(),
            issued: Mutex::default(),
            token_requests: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            page_cache,
            live: Mutex::new(live),
        });
        let app = Router::new()
            .route("/oauth/token", post(tokens::issue_token))
            .route("/v2/metrics/webinars", get(list::list))
            .fallback(live::live_or_participants)
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
    /// The configuration that never changes; the webinars and the seed live in `catalog`.
    config: FakeZoomBuilder,
    catalog: Mutex<Catalog>,
    list_requests: Mutex<Vec<RecordedRequest>>,
    /// When the webinar list accepted its requests of the last minute, oldest first.
    list_window: Mutex<VecDeque<Instant>>,
    started: Instant,
    faults: Mutex<VecDeque<Fault>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// OAuth tokens issued, with when they expire.
    issued: Mutex<HashMap<String, Instant>>,
    token_requests: AtomicU64,
    bytes_sent: AtomicU64,
    /// Rendered pages by (webinar, start, end, registrant IDs), when caching is on.
    page_cache: Option<Mutex<HashMap<PageKey, Arc<Vec<u8>>>>>,
    /// Scripted live sessions by ID.
    live: Mutex<HashMap<String, live::LiveSession>>,
}

/// (webinar, start, end, registrant IDs, seed).
type PageKey = (String, u64, u64, bool, u64);

/// What is served, changeable while the fake runs.
#[derive(Debug)]
struct Catalog {
    /// Participant rows per webinar ID or UUID.
    webinars: HashMap<String, u64>,
    /// The Dashboard webinar list.
    listed: Vec<FakeWebinar>,
    seed: u64,
}

/// Now by tokio's clock: what requests are stamped with and what the list's per-minute
/// window counts in, so that a test under paused time sees the time its client sees.
fn arrival() -> Instant {
    tokio::time::Instant::now().into_std()
}

use crate::http::lock;

/// A request as it arrived: its raw path, its decoded query pairs, when.
pub(super) fn record(uri: &Uri) -> RecordedRequest {
    let query = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    RecordedRequest {
        path: uri.path().to_owned(),
        query,
        at: arrival(),
    }
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
            listed: Vec::new(),
            list_rate_limit: None,
            live: HashMap::new(),
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
        let (count, seed) = {
            let catalog = lock(&self.shared.catalog);
            (catalog.webinars.get(id).copied().unwrap_or(0), catalog.seed)
        };
        (0..count)
            .map(|i| data::participant(seed, i, with_registrant_id))
            .collect()
    }

    /// Exactly the webinar objects a complete `type=past` listing of `from..=to` yields, in
    /// the order the fake serves them (by `start_time`, then `uuid`), however the period is
    /// split into windows.
    pub fn expected_webinars(&self, from: NaiveDate, to: NaiveDate) -> Vec<serde_json::Value> {
        let catalog = lock(&self.shared.catalog);
        list::listing(&catalog.listed, list::ListType::Past, from, to, Utc::now())
            .into_iter()
            .map(list::webinar_json)
            .collect()
    }

    /// Serves `participants` rows under `id` from now on (a new webinar, or a changed one);
    /// a listed webinar with this UUID shows the new count in the list too.
    pub fn set_webinar(&self, id: impl Into<String>, participants: u64) {
        let id = id.into();
        let mut catalog = lock(&self.shared.catalog);
        for webinar in catalog.listed.iter_mut().filter(|w| w.uuid == id) {
            webinar.participants = participants;
        }
        catalog.webinars.insert(id, participants);
    }

    /// Generates every participant from `seed` from now on: the same webinars, other rows.
    pub fn set_seed(&self, seed: u64) {
        lock(&self.shared.catalog).seed = seed;
    }

    /// Every webinar-list request received so far, in order.
    pub fn list_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.list_requests).clone()
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

impl Shared {
    /// Whether the request carries the fixed token or a live OAuth token.
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
}
