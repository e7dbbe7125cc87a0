//! `Client` and its builder.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::{Auth, Secret, ServerToServer, is_header_safe};
use crate::endpoint::{
    MEETING_PARTICIPANTS, REPORT_MEETING_PARTICIPANTS, REPORT_WEBINAR_PARTICIPANTS,
    WEBINAR_PARTICIPANTS,
};
use crate::error::{Error, Result};
use crate::http::{Budget, Transport, check_url};
use crate::model::ReportParticipant;
use crate::rate_limit::{Limiter, RateLimit};
use crate::redact::Redactor;
use crate::request::ParticipantsRequest;
use crate::retry::RetryPolicy;

/// Zoom's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.zoom.us/v2";
/// Zoom's OAuth token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://zoom.us/oauth/token";

/// A Zoom Dashboard API client.
///
/// Cheap to clone: clones share one connection pool, one token cache and one rate limiter,
/// so every stream of an application counts against the same limit.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.transport.auth {
            Auth::Fixed(_) => "bearer token",
            Auth::OAuth(_) => "server-to-server OAuth",
        };
        f.debug_struct("Client")
            .field("base_url", &self.transport.base_url)
            .field("auth", &auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The participants of one webinar; `id` is the webinar ID or UUID as Zoom gives it,
    /// unencoded.
    pub fn webinar_participants(&self, id: impl Into<String>) -> ParticipantsRequest {
        ParticipantsRequest::one(self.clone(), &WEBINAR_PARTICIPANTS, id.into())
    }

    /// The participants of one meeting, from the Dashboard
    /// (`GET /metrics/meetings/{meetingId}/participants`; Business plans and up, scope
    /// `dashboard_meetings:read:admin`); `id` is the meeting ID or UUID, unencoded. Set
    /// the list with [`meeting_type`](ParticipantsRequest::meeting_type): `pastOne` reads
    /// meetings that ended with a single participant.
    pub fn meeting_participants(&self, id: impl Into<String>) -> ParticipantsRequest {
        ParticipantsRequest::one(self.clone(), &MEETING_PARTICIPANTS, id.into())
    }

    /// The participants of one ended webinar from the Report API
    /// (`GET /report/webinars/{webinarId}/participants`; Pro plans and up, no Dashboard
    /// needed, scope `report:read:admin`), as [`ReportParticipant`] rows. Takes no type.
    pub fn report_webinar_participants(
        &self,
        id: impl Into<String>,
    ) -> ParticipantsRequest<ReportParticipant> {
        ParticipantsRequest::one(self.clone(), &REPORT_WEBINAR_PARTICIPANTS, id.into())
    }

    /// The participants of one ended meeting from the Report API
    /// (`GET /report/meetings/{meetingId}/participants`; Pro plans and up, scope
    /// `report:read:admin`): only meetings with two or more participants (for one-person
    /// meetings use the Dashboard with `MeetingType::PastOne`).
    pub fn report_meeting_participants(
        &self,
        id: impl Into<String>,
    ) -> ParticipantsRequest<ReportParticipant> {
        ParticipantsRequest::one(self.clone(), &REPORT_MEETING_PARTICIPANTS, id.into())
    }

    /// How many requests this client (all its clones and streams) has sent to Zoom, retries
    /// included; token requests are not counted.
    pub fn requests_sent(&self) -> u64 {
        self.transport
            .budget
            .sent
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The last `X-RateLimit-Remaining` Zoom sent (what is left of the account's daily
    /// budget), if it sent one.
    pub fn rate_limit_remaining(&self) -> Option<u64> {
        let remaining = self
            .transport
            .budget
            .remaining
            .load(std::sync::atomic::Ordering::Relaxed);
        (remaining != u64::MAX).then_some(remaining)
    }
}

/// Configures a [`Client`]. Needs credentials: a bearer token or Server-to-Server OAuth.
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<String>,
    token_url: Option<String>,
    bearer_token: Option<Secret>,
    oauth: Option<(String, String, Secret)>,
    retry: Option<RetryPolicy>,
    rate_limit: Option<RateLimit>,
    list_rate_limit: Option<RateLimit>,
    max_requests: Option<u64>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_body_bytes: Option<usize>,
}

impl ClientBuilder {
    /// The API base, default `https://api.zoom.us/v2`. Plain `http://` is accepted only
    /// for a loopback host (127.0.0.0/8, `::1`, `localhost`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// A fixed access token, sent as `Authorization: Bearer …`.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(Secret::new(token));
        self
    }

    /// Server-to-Server OAuth (`grant_type=account_credentials`): the client fetches,
    /// caches and refreshes its own access token.
    pub fn server_to_server_oauth(
        mut self,
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.oauth = Some((
            account_id.into(),
            client_id.into(),
            Secret::new(client_secret),
        ));
        self
    }

    /// The OAuth token endpoint, default `https://zoom.us/oauth/token`; same URL rules as
    /// [`base_url`](ClientBuilder::base_url).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// How transient failures are retried; see [`RetryPolicy`] for the defaults.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The client-side limit of participants requests (Zoom's *Heavy* label), shared by
    /// every stream of the client; default 10 a second (a Pro account; use 40 on Business
    /// and up). The past-instances lists (*Light* and *Medium*, whose limits are higher on
    /// every plan) count against it too.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// The client-side limit of the Dashboard's webinar and meeting list requests (Zoom's
    /// *Resource-intensive* label); default 10 a minute (a Pro account; 20 on Business and
    /// up).
    pub fn list_rate_limit(mut self, limit: RateLimit) -> Self {
        self.list_rate_limit = Some(limit);
        self
    }

    /// A request budget: the most requests the client may send in all, retries included
    /// (they all count against the account's daily budget). Once spent, every stream ends
    /// with [`Error::BudgetSpent`] (`is_rate_limited() == true`), resumable like any
    /// interruption.
    pub fn max_requests(mut self, requests: u64) -> Self {
        self.max_requests = Some(requests);
        self
    }

    /// The most one request may take, connection, headers and body; default 30 s. A
    /// request over it fails as a timeout and is retried.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The most establishing a connection may take; default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The largest page body read, default 32 MiB (a full page of 300 participants is
    /// well under 1 MiB); a larger one is an error while it is being read.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client> {
        let base = check_url(
            "base_url",
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
        )?;
        let token_url = check_url(
            "token_url",
            self.token_url.as_deref().unwrap_or(DEFAULT_TOKEN_URL),
        )?;
        let (redactor, auth) = match (self.bearer_token, self.oauth) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "both a bearer token and OAuth credentials were given; choose one".into(),
                ));
            }
            (None, None) => {
                return Err(Error::Config(
                    "no credentials: give a bearer token or Server-to-Server OAuth credentials"
                        .into(),
                ));
            }
            (Some(token), None) if token.expose().trim().is_empty() => {
                return Err(Error::Config("the bearer token is empty".into()));
            }
            (Some(token), None) if !is_header_safe(token.expose()) => {
                return Err(Error::Config(
                    "the bearer token holds characters an HTTP header cannot carry".into(),
                ));
            }
            (Some(token), None) => (Redactor::for_token(&token), Auth::Fixed(token)),
            (None, Some((account_id, client_id, secret))) => {
                let missing = [
                    ("account ID", account_id.trim().is_empty()),
                    ("client ID", client_id.trim().is_empty()),
                    ("client secret", secret.expose().is_empty()),
                ]
                .into_iter()
                .find(|(_, empty)| *empty);
                if let Some((what, _)) = missing {
                    return Err(Error::Config(format!("the OAuth {what} is empty")));
                }
                (
                    Redactor::for_oauth(&client_id, &secret),
                    Auth::OAuth(Box::new(ServerToServer::new(
                        account_id, client_id, secret, token_url,
                    ))),
                )
            }
        };
        let rate_limit = self.rate_limit.unwrap_or_default();
        let list_rate_limit = self.list_rate_limit.unwrap_or(RateLimit::per_minute(10));
        if !rate_limit.is_valid() || !list_rate_limit.is_valid() {
            return Err(Error::Config("a rate limit must be above zero".into()));
        }
        let timeout = self.timeout.unwrap_or(Duration::from_secs(30));
        if timeout.is_zero() {
            return Err(Error::Config("the timeout must be above zero".into()));
        }
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
            // A redirect would carry the bearer token to wherever it points: never follow.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("zoom-participants/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            transport: Arc::new(Transport {
                http,
                base_url: base.as_str().trim_end_matches('/').to_owned(),
                auth,
                limiter: Limiter::new(rate_limit, list_rate_limit),
                budget: Budget::new(self.max_requests),
                redactor,
                retry: self.retry.unwrap_or_default(),
                timeout,
                max_body_bytes: self.max_body_bytes.unwrap_or(32 * 1024 * 1024),
            }),
        })
    }
}
