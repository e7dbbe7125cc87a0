//! Configuring and starting a [`FakeZoom`]: what it serves and how.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};

use super::{
    Catalog, FakeMeeting, FakeWebinar, FakeZoom, FakeZoomBuilder, Rows, Shared, list, live, past,
    tokens,
};

impl FakeZoom {
    /// Starts configuring a fake Zoom.
    pub fn builder() -> FakeZoomBuilder {
        FakeZoomBuilder {
            webinars: HashMap::new(),
            meetings: HashMap::new(),
            seed: 42,
            access_token: "fake-zoom-access-token".into(),
            oauth: None,
            oauth_expires_in: 3600,
            page_token_ttl: Duration::from_secs(15 * 60),
            latency: Duration::ZERO,
            gzip: true,
            cache_pages: false,
            listed: Vec::new(),
            listed_meetings: Vec::new(),
            list_rate_limit: None,
            live: HashMap::new(),
        }
    }
}

impl FakeZoomBuilder {
    /// Keeps every rendered page in memory and serves it again from there (default off):
    /// for benchmarks that measure the client, not the fake's generator.
    pub fn cache_pages(mut self, cache: bool) -> Self {
        self.cache_pages = cache;
        self
    }

    /// Serves a webinar of `participants` generated rows under `id` (its raw ID or UUID),
    /// on the Dashboard (`/v2/metrics/webinars/{id}/participants`) and in the Report API
    /// (`/v2/report/webinars/{id}/participants`).
    pub fn webinar(mut self, id: impl Into<String>, participants: u64) -> Self {
        self.webinars.insert(id.into(), participants);
        self
    }

    /// Serves a meeting of `participants` generated rows under `id` (its raw ID or UUID), on
    /// the Dashboard (`/v2/metrics/meetings/{id}/participants` with `type` `past` or `live`;
    /// `pastOne` answers 404/3001, as Zoom does for a meeting of several people) and in the
    /// Report API (`/v2/report/meetings/{id}/participants`). Replaces a meeting of the same
    /// ID, one-person or not.
    pub fn meeting(mut self, id: impl Into<String>, participants: u64) -> Self {
        self.meetings.insert(id.into(), Rows::regular(participants));
        self
    }

    /// Serves a one-person meeting under `id`: one row, the host's, and only on the
    /// Dashboard with `type=pastOne` (Zoom's "past meetings attended by one user"). With
    /// `type=past` or `live`, and in the Report API, it is 404/3001, as on Zoom.
    pub fn one_person_meeting(mut self, id: impl Into<String>) -> Self {
        self.meetings.insert(id.into(), Rows::one_person(1));
        self
    }

    /// Lists `webinar` in the Dashboard webinar list (`GET /v2/metrics/webinars`) and serves
    /// `webinar.participants` generated rows under its UUID, so that
    /// `GET /v2/metrics/webinars/{uuid}/participants` works (double-encoding rule included).
    /// The webinar's number serves its latest listed instance, unless [`webinar`](Self::webinar)
    /// gave the number rows of its own. A second webinar with the same UUID replaces the first.
    pub fn listed_webinar(mut self, webinar: FakeWebinar) -> Self {
        self.webinars
            .insert(webinar.uuid.clone(), webinar.participants);
        self.listed.retain(|w| w.uuid != webinar.uuid);
        self.listed.push(webinar);
        self
    }

    /// Lists `meeting` in the Dashboard meeting list (`GET /v2/metrics/meetings`; a
    /// one-person meeting only with `type=pastOne`) and serves its `participants` rows
    /// under its UUID, as [`meeting`](Self::meeting) or, when `meeting.one_person`, as a
    /// one-person meeting of that many rows (the host rejoining). The meeting's number serves
    /// its latest listed instance, unless [`meeting`](Self::meeting) gave the number rows of
    /// its own. A second meeting with the same UUID replaces the first.
    pub fn listed_meeting(mut self, meeting: FakeMeeting) -> Self {
        let rows = if meeting.one_person {
            Rows::one_person(meeting.participants)
        } else {
            Rows::regular(meeting.participants)
        };
        self.meetings.insert(meeting.uuid.clone(), rows);
        self.listed_meetings.retain(|m| m.uuid != meeting.uuid);
        self.listed_meetings.push(meeting);
        self
    }

    /// Lists a ready-made quarter, 2026-01-01 to 2026-03-31, of webinars (see
    /// [`FakeWebinar::demo_period`]) and of meetings (see [`FakeMeeting::demo_period`]):
    /// recurring series (one `id`, several UUIDs), UUIDs that start with `/` or contain
    /// `//`, instances exactly on month boundaries, one-person meetings, and for each list
    /// one instance just before and one just after the quarter.
    pub fn demo_period(self) -> Self {
        let with_webinars = FakeWebinar::demo_period()
            .into_iter()
            .fold(self, Self::listed_webinar);
        FakeMeeting::demo_period()
            .into_iter()
            .fold(with_webinars, Self::listed_meeting)
    }

    /// Makes the Dashboard lists (webinars and meetings together: Zoom counts their
    /// *Resource-intensive* calls in one budget) refuse more than `requests` requests in any
    /// sliding 60-second window, with a 429 whose `Retry-After` says in how many seconds the
    /// window frees a slot (default: no limit). Refused requests do not take a slot.
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

    /// A delay before every participants page (of all four participants endpoints).
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
        let catalog = Catalog {
            webinars: std::mem::take(&mut self.webinars),
            meetings: std::mem::take(&mut self.meetings),
            listed: std::mem::take(&mut self.listed),
            listed_meetings: std::mem::take(&mut self.listed_meetings),
            seed: self.seed,
        };
        let live = live::sessions(std::mem::take(&mut self.live));
        let shared = Arc::new(Shared {
            config: self,
            catalog: Mutex::new(catalog),
            list_requests: Mutex::default(),
            list_window: Mutex::default(),
            started: Instant::now(),
            faults: Mutex::default(),
            targeted: Mutex::default(),
            requests: Mutex::default(),
            issued: Mutex::default(),
            token_requests: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            page_cache,
            live: Mutex::new(live),
        });
        let app = Router::new()
            .route("/oauth/token", post(tokens::issue_token))
            .route("/v2/metrics/webinars", get(list::webinars))
            .route("/v2/metrics/meetings", get(list::meetings))
            .route(
                "/v2/past_webinars/{id}/instances",
                get(past::webinar_instances),
            )
            .route(
                "/v2/past_meetings/{id}/instances",
                get(past::meeting_instances),
            )
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
