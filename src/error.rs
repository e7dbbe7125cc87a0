//! The crate's one error type.
//!
//! Every variant's `Display` names the cause a user can act on (HTTP status, Zoom code and
//! message, which page) and none ever holds an access token or a client secret: tokens are
//! only ever kept in [`crate::auth::Secret`], which is not reachable from here.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which kind of rate limit Zoom reported (from `X-RateLimit-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitKind {
    /// A per-second (`QPS`) limit: gone in a moment.
    PerSecond,
    /// The daily limit: resets at the time given in `Retry-After`, hours away.
    Daily,
    /// A 429 without a recognised `X-RateLimit-Type`.
    Unknown,
}

/// Everything that can go wrong while building a client or streaming participants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was configured wrongly (bad URL, missing or conflicting credentials).
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The request cannot be sent as asked (page size out of range, an unusable webinar ID).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// Zoom answered with a non-success HTTP status.
    #[error("Zoom answered HTTP {status}{}: {message}", code_suffix(*code))]
    Api {
        /// The HTTP status.
        status: u16,
        /// Zoom's own error `code`, when the body carried one.
        code: Option<i64>,
        /// Zoom's `message` (or the start of a non-JSON body).
        message: String,
    },

    /// Zoom refused the request for its rate limit, and waiting is not an option (a daily
    /// limit, a wait longer than the retry policy allows, or retries ran out).
    #[error(
        "rate limited by Zoom ({}){}: {message}{}",
        kind_name(*kind),
        code_suffix(*code),
        reset_suffix(*retry_at)
    )]
    RateLimited {
        /// Which limit was hit.
        kind: RateLimitKind,
        /// Zoom's own error `code`, when the body carried one.
        code: Option<i64>,
        /// Zoom's `message`.
        message: String,
        /// When Zoom said the limit resets, if it said.
        retry_at: Option<DateTime<Utc>>,
    },

    /// The client's request budget
    /// ([`ClientBuilder::max_requests`](crate::ClientBuilder::max_requests)) is spent: no
    /// request was sent. Resumable like any interruption.
    #[error("the request budget of {limit} requests is spent; no further request was sent")]
    BudgetSpent {
        /// The budget.
        limit: u64,
    },

    /// A request (connect, headers or body) took longer than the configured timeout.
    #[error("request to Zoom timed out after {0:?}")]
    Timeout(Duration),

    /// The connection failed or broke off (refused, reset, cut mid-body).
    #[error("connection to Zoom failed: {message}")]
    Connection {
        /// What the HTTP stack said, with its causes.
        message: String,
    },

    /// A response body was larger than the configured cap; reading stopped there.
    #[error("response body exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },

    /// A success response whose body was not the JSON expected.
    #[error("could not decode page {page} of the response: {message}")]
    Decode {
        /// Which page (1-based, counted from where this stream started).
        page: u64,
        /// What was wrong and where (line, column); never the offending value.
        message: String,
    },

    /// A [`Checkpoint`](crate::Checkpoint) that cannot resume this request: it belongs to
    /// another one, or is of a format this version does not read.
    #[error("cannot resume: {0}")]
    Checkpoint(String),

    /// Resuming re-walked the pages already done and found one that is not what it was:
    /// the list changed (as a live webinar's does), so continuing would repeat or skip rows.
    #[error(
        "the list changed since the checkpoint was taken (found at page {page}): resuming would repeat or skip rows; start over"
    )]
    ListChanged {
        /// The page (1-based) at which the difference was found: the pages done are checked
        /// together, after the last of them; the page in progress, by itself.
        page: u64,
    },

    /// A bug or a dying runtime: a task of the stream panicked or stopped early. The stream
    /// ends with this error rather than as if the list were complete.
    #[error("internal error: {0}")]
    Internal(String),

    /// Zoom handed back a `next_page_token` that this stream had already used: continuing
    /// would loop for ever.
    #[error(
        "Zoom repeated a next_page_token already used by this stream; stopping instead of looping"
    )]
    RepeatedPageToken,

    /// Server-to-Server OAuth failed to give an access token.
    #[error("Server-to-Server OAuth failed{}: {}{reason}", status_suffix(*status), oauth_error_prefix(error.as_deref()))]
    OAuth {
        /// The token endpoint's HTTP status, if it answered.
        status: Option<u16>,
        /// The OAuth `error` field (`invalid_client`, …).
        error: Option<String>,
        /// The OAuth `reason` or a description of what went wrong.
        reason: String,
    },

    /// A webhook delivery was refused by [`webhook::Verifier`](crate::webhook::Verifier);
    /// [`Refusal::http_status`](crate::webhook::Refusal::http_status) says what to answer.
    #[error("webhook delivery refused: {0}")]
    Webhook(crate::webhook::Refusal),

    /// An error of one webinar in a fan-out over many; the others go on.
    #[error("webinar {webinar_id}: {source}")]
    Webinar {
        /// The webinar ID as the caller gave it.
        webinar_id: String,
        /// What went wrong for that webinar.
        #[source]
        source: Box<Error>,
    },

    /// An error of one meeting in a fan-out over many; the others go on.
    #[error("meeting {meeting_id}: {source}")]
    Meeting {
        /// The meeting ID as the caller gave it.
        meeting_id: String,
        /// What went wrong for that meeting.
        #[source]
        source: Box<Error>,
    },
}

fn code_suffix(code: Option<i64>) -> String {
    code.map(|c| format!(" (code {c})")).unwrap_or_default()
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

fn oauth_error_prefix(error: Option<&str>) -> String {
    error.map(|e| format!("{e}: ")).unwrap_or_default()
}

fn kind_name(kind: RateLimitKind) -> &'static str {
    match kind {
        RateLimitKind::PerSecond => "per-second limit",
        RateLimitKind::Daily => "daily limit",
        RateLimitKind::Unknown => "limit",
    }
}

fn reset_suffix(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| format!("; it resets at {}", t.to_rfc3339()))
        .unwrap_or_default()
}

impl Error {
    /// The HTTP status Zoom answered with, when the error came from an HTTP answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::OAuth { status, .. } => *status,
            Error::Webinar { source, .. } | Error::Meeting { source, .. } => source.http_status(),
            _ => None,
        }
    }

    /// Zoom's own error `code` (`124`, `300`, `3001`, …), when the body carried one.
    pub fn zoom_code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } | Error::RateLimited { code, .. } => *code,
            Error::Webinar { source, .. } | Error::Meeting { source, .. } => source.zoom_code(),
            _ => None,
        }
    }

    /// Whether Zoom refused the call for its rate limit.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::BudgetSpent { .. } => true,
            Error::Api { status, .. } => *status == 429,
            Error::Webinar { source, .. } | Error::Meeting { source, .. } => {
                source.is_rate_limited()
            }
            _ => false,
        }
    }

    /// The webinar an error belongs to, for errors of a fan-out over many webinars.
    pub fn webinar_id(&self) -> Option<&str> {
        match self {
            Error::Webinar { webinar_id, .. } => Some(webinar_id),
            _ => None,
        }
    }

    /// The meeting an error belongs to, for errors of a fan-out over meetings.
    pub fn meeting_id(&self) -> Option<&str> {
        match self {
            Error::Meeting { meeting_id, .. } => Some(meeting_id),
            _ => None,
        }
    }

    /// Whether trying the same request again may succeed (5xx, connection trouble,
    /// timeouts). Rate limits are judged by the retry policy, not here.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Error::Api { status, .. } => *status >= 500,
            Error::Timeout(_) | Error::Connection { .. } => true,
            Error::OAuth { status, .. } => status.is_none_or(|s| s >= 500),
            _ => false,
        }
    }

    /// Zoom's "The next page token is invalid or expired." (400, code 300).
    pub(crate) fn is_expired_page_token(&self) -> bool {
        self.http_status() == Some(400) && self.zoom_code() == Some(300)
    }

    /// A panic caught in a task of the stream, as an error.
    pub(crate) fn internal(panic: Box<dyn std::any::Any + Send>) -> Error {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        Error::Internal(format!("a page fetch panicked: {what}"))
    }

    pub(crate) fn from_reqwest(err: reqwest::Error, timeout: Duration) -> Error {
        if err.is_timeout() {
            return Error::Timeout(timeout);
        }
        // reqwest's own message is terse ("error sending request"); the cause says why.
        // Neither ever holds a header value, so no token can leak through here.
        let err = err.without_url();
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Connection { message }
    }

    /// This error as one of instance `id` of a fan-out: `instance` is `"meeting"` or
    /// `"webinar"`.
    pub(crate) fn for_instance(self, instance: &str, id: &str) -> Error {
        let source = Box::new(self);
        match instance {
            "meeting" => Error::Meeting {
                meeting_id: id.to_owned(),
                source,
            },
            _ => Error::Webinar {
                webinar_id: id.to_owned(),
                source,
            },
        }
    }
}
