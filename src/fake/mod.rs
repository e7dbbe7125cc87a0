//! A fake Zoom on 127.0.0.1, for demos, tests and benchmarks (feature `fake`).
//!
//! It serves generated webinars and meetings the way Zoom's Dashboard and Report APIs do,
//! and is meant to be read as documentation of that behaviour:
//!
//! - `GET /v2/metrics/webinars/{id}/participants`: `page_size` (default 30, capped at 300),
//!   opaque `next_page_token`s that expire (15 minutes by default) with Zoom's 400/300,
//!   `include_fields=registrant_id`, `type` `live` (default) or `past`, 404/3001 for an
//!   unknown webinar, and the path rule: a UUID that starts with `/` or contains `//` must
//!   arrive double-encoded;
//! - `GET /v2/metrics/meetings/{id}/participants`: the same for meetings, each row with
//!   `in_room_participants` too; `type` is `live` (default), `past` or `pastOne`. A
//!   one-person meeting ([`FakeZoomBuilder::one_person_meeting`]) is served only with
//!   `type=pastOne`, any other meeting only without it (else 404/3001 "Meeting does not
//!   exist: {id}."); `include_fields=registrant_id` is ignored with `type=live`, as Zoom
//!   documents;
//! - `GET /v2/report/webinars/{id}/participants` and `GET /v2/report/meetings/{id}/participants`:
//!   the Report API's rows (`name`, `user_email`, `duration` in seconds, `failover`, …; see
//!   [`ReportKind`]) for the same webinars and meetings, row for row the Dashboard's (same
//!   people, same join and leave times); no `type`; 404/3001 "{Webinar|Meeting} {id} not
//!   found or has expired." for an unknown ID and, for meetings, a one-person one;
//! - `GET /v2/metrics/webinars` and `GET /v2/metrics/meetings`: the Dashboard lists of the
//!   instances given to [`FakeZoomBuilder::listed_webinar`] and
//!   [`FakeZoomBuilder::listed_meeting`] (or the ready-made [`FakeZoomBuilder::demo_period`]),
//!   with every property of Zoom's list schemas: required `from`/`to` covering at most one
//!   calendar month (`to <= from + 1 month`, else 400/300 "The date range is invalid."),
//!   instances listed by the UTC date of their start, `type=past` for those that have ended
//!   (`type=pastOne` for one-person meetings), `include_fields=tracking_fields` for
//!   meetings, the same page sizes and expiring tokens as the participants, and an optional
//!   per-minute limit shared by both lists ([`FakeZoomBuilder::list_rate_limit_per_minute`])
//!   answered with a *Resource-intensive* 429 and `Retry-After`;
//! - a meeting or webinar number that was not given rows of its own serves its latest
//!   listed instance, as Zoom's numbers do;
//! - page tokens bound to the endpoint and query that issued them: another endpoint, another
//!   ID, `type`, `include_fields` or list window refuses them with 400/300 "The next page
//!   token is invalid or expired.";
//! - scripted live sessions ([`FakeZoomBuilder::live_session`]): `type=live` lists of
//!   webinars or meetings that change from one walk to the next and end with 404/3001, as
//!   Zoom's do when the session is over (what `ParticipantsRequest::follow` is tested on);
//! - bearer tokens checked, with Zoom's 401/124 for a wrong or expired one;
//! - `POST /oauth/token`: Server-to-Server OAuth (`grant_type=account_credentials`);
//! - gzip of participants pages when the client asks for it;
//! - switches for latency and scripted [`Fault`]s (both for the four participants
//!   endpoints only, whichever comes next);
//! - what is served can change while it runs ([`FakeZoom::set_webinar`],
//!   [`FakeZoom::set_meeting`], [`FakeZoom::set_seed`]), so a test can change an instance
//!   between two runs.
//!
//! Requests are recorded: requests to the four participants endpoints in
//! [`FakeZoom::requests`], requests to both Dashboard lists in [`FakeZoom::list_requests`]
//! (the lists share one rate limit; a [`RecordedRequest::path`] tells them apart).
//!
//! The code is split by concern: `builder` (configuration), `participants` (pages of the
//! four participants endpoints, path rule, faults), `list` (both lists and their rate
//! limit), `webinars` and `meetings` (listed instances and the demo quarters), `report` (Report
//! API rows), `expected` (what a test should receive), `tokens` (page tokens and OAuth),
//! `data` (generated rows).
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

mod builder;
mod data;
mod expected;
mod instances;
mod list;
mod live;
mod meetings;
mod participants;
mod past;
mod report;
mod tokens;
mod webinars;

pub use meetings::FakeMeeting;
pub use report::ReportKind;
pub use webinars::FakeWebinar;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::model::Participant;

/// Zoom's largest page.
const MAX_PAGE_SIZE: u64 = 300;
/// Zoom's page size when none is asked for.
const DEFAULT_PAGE_SIZE: u64 = 30;

/// A failure the fake serves instead of the next participants page (of any of the four
/// participants endpoints).
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
    /// An HTTP error status with a Zoom JSON body of this `code` and `message` (Zoom's
    /// 400/3000 "Cannot access webinar info", say).
    Zoom {
        /// The HTTP status.
        status: u16,
        /// Zoom's `code`.
        code: i64,
        /// Zoom's `message`.
        message: String,
    },
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
    meetings: HashMap<String, Rows>,
    seed: u64,
    access_token: String,
    oauth: Option<(String, String, String)>,
    oauth_expires_in: u64,
    page_token_ttl: Duration,
    latency: Duration,
    gzip: bool,
    cache_pages: bool,
    listed: Vec<FakeWebinar>,
    listed_meetings: Vec<FakeMeeting>,
    list_rate_limit: Option<u32>,
    /// Scripted live sessions by ID (see [`FakeZoomBuilder::live_session`]).
    live: HashMap<String, Vec<Vec<Participant>>>,
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
    /// The configuration that never changes; what is served and the seed live in `catalog`.
    config: FakeZoomBuilder,
    catalog: Mutex<Catalog>,
    list_requests: Mutex<Vec<RecordedRequest>>,
    /// When the lists (both: one budget) accepted their requests of the last minute, oldest
    /// first.
    list_window: Mutex<VecDeque<Instant>>,
    started: Instant,
    faults: Mutex<VecDeque<Fault>>,
    /// Faults for the n-th request of one instance (`Some(id)`) or of the lists (`None`):
    /// how many of its requests are still to be served before the fault.
    targeted: Mutex<Vec<(Option<String>, u64, Fault)>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// OAuth tokens issued, with when they expire.
    issued: Mutex<HashMap<String, Instant>>,
    token_requests: AtomicU64,
    bytes_sent: AtomicU64,
    /// Rendered pages by (endpoint, ID, start, end, registrant IDs, seed), when caching is
    /// on.
    page_cache: Option<Mutex<HashMap<PageKey, Arc<Vec<u8>>>>>,
    /// Scripted live sessions by ID, with how many walks each has served.
    live: Mutex<HashMap<String, live::LiveSession>>,
}

/// (endpoint, ID, start, end, registrant IDs, seed).
type PageKey = (participants::Endpoint, String, u64, u64, bool, u64);

/// The rows of one webinar or meeting instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rows {
    /// How many rows.
    count: u64,
    /// A one-person meeting (Zoom's `pastOne`): the host alone, `count` connections.
    one_person: bool,
}

impl Rows {
    fn regular(count: u64) -> Rows {
        Rows {
            count,
            one_person: false,
        }
    }

    fn one_person(count: u64) -> Rows {
        Rows {
            count,
            one_person: true,
        }
    }
}

/// What is served, changeable while the fake runs.
#[derive(Debug)]
struct Catalog {
    /// Participant rows per webinar ID or UUID.
    webinars: HashMap<String, u64>,
    /// Participant rows per meeting ID or UUID.
    meetings: HashMap<String, Rows>,
    /// The Dashboard webinar list.
    listed: Vec<FakeWebinar>,
    /// The Dashboard meeting list.
    listed_meetings: Vec<FakeMeeting>,
    seed: u64,
}

impl Catalog {
    /// The rows of a webinar ID or UUID; a number without rows of its own resolves to its
    /// latest listed instance.
    fn webinar(&self, id: &str) -> Option<Rows> {
        let rows = |uuid: &str| self.webinars.get(uuid).copied().map(Rows::regular);
        rows(id).or_else(|| {
            let latest = self
                .listed
                .iter()
                .filter(|w| w.id.to_string() == id)
                .max_by(|a, b| (a.start_time, &a.uuid).cmp(&(b.start_time, &b.uuid)))?;
            rows(&latest.uuid)
        })
    }

    /// The rows of a meeting ID or UUID, one-person or not; a number without rows of its own
    /// resolves to its latest listed instance.
    fn meeting(&self, id: &str) -> Option<Rows> {
        self.meetings.get(id).copied().or_else(|| {
            let latest = self
                .listed_meetings
                .iter()
                .filter(|m| m.id.to_string() == id)
                .max_by(|a, b| (a.start_time, &a.uuid).cmp(&(b.start_time, &b.uuid)))?;
            self.meetings.get(&latest.uuid).copied()
        })
    }
}

/// Now by tokio's clock: what requests are stamped with and what the list's per-minute
/// window counts in, so that a test under paused time sees the time its client sees.
fn arrival() -> Instant {
    tokio::time::Instant::now().into_std()
}

use crate::lock::lock;

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

    /// Every request to the Dashboard lists, webinars (`/v2/metrics/webinars`) and meetings
    /// (`/v2/metrics/meetings`) alike, received so far, in order: the two share one rate
    /// limit; [`RecordedRequest::path`] tells them apart.
    pub fn list_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.list_requests).clone()
    }

    /// Serves `fault` instead of the next participants page (faults queue up in order).
    pub fn push_fault(&self, fault: Fault) {
        lock(&self.shared.faults).push_back(fault);
    }

    /// Serves `fault` instead of the `nth` participants request for webinar or meeting `id`
    /// from now on (1: its next one), whatever other instances are requested meanwhile.
    /// `id` is the ID or UUID as the client gives it.
    pub fn push_fault_for(&self, id: impl Into<String>, nth: u64, fault: Fault) {
        lock(&self.shared.targeted).push((Some(id.into()), nth.max(1), fault));
    }

    /// Serves `fault` instead of the `nth` request of either list (webinars or meetings)
    /// from now on (1: the next). [`Fault::Status`], [`Fault::Zoom`] and
    /// [`Fault::RateLimited`] apply to the lists.
    pub fn push_list_fault(&self, nth: u64, fault: Fault) {
        lock(&self.shared.targeted).push((None, nth.max(1), fault));
    }

    /// Every request to the four participants endpoints (Dashboard and Report, webinars and
    /// meetings) received so far, in order; [`RecordedRequest::path`] tells them apart.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests the four participants endpoints received.
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

    /// Body bytes sent for participants pages of the four endpoints (after gzip).
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::SeqCst)
    }
}

/// The answer to a fault that is an error status (`None` for faults of the body).
fn error_fault(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::Status(status) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(zoom_error(
                status,
                status.as_u16().into(),
                "Internal server error, try again.",
            ))
        }
        Fault::Zoom {
            status,
            code,
            message,
        } => Some(zoom_error(
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            *code,
            message,
        )),
        Fault::RateLimited {
            daily,
            retry_after,
            reset,
        } => Some(participants::rate_limited(
            *daily,
            retry_after.as_deref(),
            reset.as_deref(),
        )),
        _ => None,
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
    /// Counts a request of instance `id` (`None`: a list) against the targeted faults, and
    /// takes the one whose turn it is.
    fn targeted_fault(&self, id: Option<&str>) -> Option<Fault> {
        let mut targeted = lock(&self.targeted);
        let mut due = None;
        for (target, left, fault) in targeted.iter_mut() {
            if target.as_deref() == id {
                *left -= 1;
                if *left == 0 && due.is_none() {
                    due = Some(fault.clone());
                }
            }
        }
        targeted.retain(|(_, left, _)| *left > 0);
        due
    }

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
