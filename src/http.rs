//! The request layer: one GET of one page, the only place that sends API requests (OAuth
//! token requests are sent by `auth`).
//!
//! It adds the bearer token, waits for the client-side rate limit, retries what is
//! transient, caps the body, maps non-2xx answers to [`Error`] and decodes the JSON.

use std::time::Duration;

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{Auth, Secret};
use crate::body::read_capped;
use crate::error::{Error, RateLimitKind, Result};
use crate::rate_limit::{Label, Limiter};
use crate::redact::Redactor;
use crate::retry::{RateLimitHint, RetryPolicy};

/// How much of an error body is read: enough for any message Zoom writes.
pub(crate) const ERROR_BODY_CAP: usize = 64 * 1024;

/// The most characters of a server's message an error keeps.
const MESSAGE_CAP: usize = 300;

/// The account's request budget as this client spends it.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    /// Requests this client may send in all (`None`: no cap).
    pub max: Option<u64>,
    pub sent: AtomicU64,
    /// The last `X-RateLimit-Remaining` Zoom sent (`u64::MAX`: none yet).
    pub remaining: AtomicU64,
}

impl Budget {
    pub(crate) fn new(max: Option<u64>) -> Self {
        Budget {
            max,
            sent: AtomicU64::new(0),
            remaining: AtomicU64::new(u64::MAX),
        }
    }

    /// Takes one request from the budget, or says it is spent.
    fn spend(&self) -> Result<()> {
        let Some(max) = self.max else {
            self.sent.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        self.sent
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |sent| {
                (sent < max).then_some(sent + 1)
            })
            .map(|_| ())
            .map_err(|_| Error::BudgetSpent { limit: max })
    }

    fn note_remaining(&self, headers: &reqwest::header::HeaderMap) {
        if let Some(remaining) = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            self.remaining.store(remaining, Ordering::Relaxed);
            tracing::debug!(remaining, "Zoom's X-RateLimit-Remaining");
        }
    }
}

/// The shared state of a [`Client`](crate::Client): one connection pool, one token cache,
/// one rate limiter.
#[derive(Debug)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub base_url: String,
    pub auth: Auth,
    pub limiter: Limiter,
    pub budget: Budget,
    /// Every secret the client holds, blanked out of any text a server sends back.
    pub redactor: Redactor,
    pub retry: RetryPolicy,
    pub timeout: Duration,
    pub max_body_bytes: usize,
}

/// Zoom's error body: `{"code": 124, "message": "Invalid access token."}`.
#[derive(Deserialize)]
struct ZoomError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// One failed attempt, with what the retry decision needs.
struct Failure {
    error: Error,
    /// The wait the server asked for, from a 429's headers.
    asked: Option<Duration>,
    /// Set for a 429 that may be retried after waiting.
    rate_limit: Option<RateLimitHint>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            asked: None,
            rate_limit: None,
        }
    }
}

impl Transport {
    /// `base_url` + `path` (already encoded) as a URL.
    pub(crate) fn url(&self, path: &str) -> Result<Url> {
        Url::parse(&format!("{}{path}", self.base_url))
            .map_err(|e| Error::InvalidRequest(format!("cannot build the request URL: {e}")))
    }

    /// GETs one page's body, retrying what the policy allows, under the rate limit of
    /// `label`. `page` is the page's number in its stream, for tracing.
    pub(crate) async fn get_page(&self, url: Url, page: u64, label: Label) -> Result<Bytes> {
        let span = tracing::debug_span!("zoom.page", path = url.path(), page);
        self.get_with_retries(url, label).instrument(span).await
    }

    async fn get_with_retries(&self, url: Url, label: Label) -> Result<Bytes> {
        let started = Instant::now();
        let mut refreshed_token = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // A token endpoint that is down is as transient as Zoom being down: the same
            // policy decides whether to try again.
            let (failure, token) = match self.auth.token(&self.http, self.timeout).await {
                Err(error) => (Failure::from(error), None),
                Ok(token) => {
                    self.limiter.acquire(label).await;
                    // Counted once the slot is ours: a budget error is final, not retried.
                    self.budget.spend()?;
                    let sent = Instant::now();
                    match self.get_once(url.clone(), &token).await {
                        Ok(body) => {
                            self.limiter.succeeded(label);
                            tracing::debug!(
                                attempt,
                                bytes = body.len(),
                                latency_ms = sent.elapsed().as_millis() as u64,
                                "page received"
                            );
                            return Ok(body);
                        }
                        Err(failure) => (failure, Some(token)),
                    }
                }
            };
            let error = failure.error;
            if failure
                .rate_limit
                .as_ref()
                .is_some_and(|hint| hint.kind != RateLimitKind::Daily)
            {
                self.limiter.throttled(label, failure.asked);
            }
            tracing::debug!(attempt, status = error.http_status(), error = %error, "attempt failed");
            if let Some(token) = &token
                && self.auth.is_oauth()
                && !refreshed_token
                && error.http_status() == Some(401)
                && error.zoom_code().is_none_or(|code| code == 124)
            {
                // The cached token died early (revoked, or a clock off): one fresh token.
                refreshed_token = true;
                self.auth.reject(token).await;
                attempt -= 1;
                continue;
            }
            let retryable = failure.rate_limit.is_some() || error.is_transient();
            let wait = retryable
                .then(|| {
                    self.retry
                        .wait_before_retry(attempt, failure.asked, started.elapsed())
                })
                .flatten();
            match wait {
                Some(wait) => {
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                }
                None => return Err(give_up(error, failure.rate_limit)),
            }
        }
    }

    async fn get_once(&self, url: Url, token: &Secret) -> Result<Bytes, Failure> {
        let response = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| Error::from_reqwest(e, self.timeout))?;
        let status = response.status();
        self.budget.note_remaining(response.headers());
        if status.is_success() {
            return Ok(read_capped(response, self.max_body_bytes, self.timeout).await?);
        }
        let hint = RateLimitHint::from_headers(response.headers());
        let body = read_capped(response, ERROR_BODY_CAP, self.timeout)
            .await
            .unwrap_or_default();
        let error = api_error(status, &body, &self.redactor.with(token));
        let failure = match status {
            StatusCode::TOO_MANY_REQUESTS if hint.kind == RateLimitKind::Daily => {
                Failure::from(rate_limited(error, &hint))
            }
            StatusCode::TOO_MANY_REQUESTS => Failure {
                asked: hint.wait,
                rate_limit: Some(hint),
                error,
            },
            // A 5xx may say when to come back too (503 with Retry-After): never sooner.
            // For other answers the wait is moot: they are not retried.
            _ => Failure {
                asked: hint.wait,
                rate_limit: None,
                error,
            },
        };
        Err(failure)
    }
}

/// The error to return once retrying is over: a 429 becomes [`Error::RateLimited`].
fn give_up(error: Error, hint: Option<RateLimitHint>) -> Error {
    match hint {
        Some(hint) => rate_limited(error, &hint),
        None => error,
    }
}

fn rate_limited(error: Error, hint: &RateLimitHint) -> Error {
    let (code, message) = match error {
        Error::Api { code, message, .. } => (code, message),
        other => (None, other.to_string()),
    };
    Error::RateLimited {
        kind: hint.kind,
        code,
        message,
        retry_at: hint.retry_at,
    }
}

/// Maps a non-2xx answer to an error with Zoom's code and message, whatever the body is.
/// The message is redacted whole, then cut: a secret straddling the cut is never half shown.
fn api_error(status: StatusCode, body: &[u8], redactor: &Redactor) -> Error {
    let parsed: Option<ZoomError> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(ZoomError { code, message }) => (code, message.unwrap_or_default()),
        None => (None, String::from_utf8_lossy(body).into_owned()),
    };
    let message = redactor.clean(message.trim(), MESSAGE_CAP);
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        message
    };
    Error::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

/// Whether a URL may be used: https, or http to a loopback host only.
pub(crate) fn check_url(name: &str, url: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| Error::Config(format!("{name} is not a URL: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(format!("{name} must not carry credentials")));
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(Error::Config(format!("{name} {url:?} has no host"))),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::Config(format!(
                "{name} {url:?} uses plain http to a host that is not loopback; use https"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "{name} {url:?} has scheme {other:?}; use https"
            )));
        }
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "{name} {url:?} must not carry a query or fragment"
        )));
    }
    Ok(parsed)
}
