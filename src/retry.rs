//! When to try a request again, and how long to wait first.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::HeaderMap;

use crate::error::RateLimitKind;

/// How transient failures are retried: 429 per-second limits, 5xx answers, connection
/// errors, bodies cut short, and timeouts.
///
/// Waits grow exponentially with full jitter (a random wait between zero and the
/// exponential ceiling), never shorter than what Zoom asked for in `Retry-After` or
/// `X-RateLimit-Reset`. A wait longer than [`max_wait`](RetryPolicy::max_wait), a daily
/// limit, or a wait that would take the request past
/// [`max_elapsed`](RetryPolicy::max_elapsed) is not slept on: the error is returned at once.
///
/// Defaults: 4 attempts, 500 ms initial backoff, 8 s backoff ceiling, 60 s longest single
/// wait, 120 s in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_wait: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_wait: Duration::from_secs(60),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries: every failure is returned at once.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all per request, the first one included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling of the first retry; it doubles with each further one.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The largest backoff ceiling.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest single wait the policy accepts, including one Zoom asks for; a longer
    /// one is an error at once.
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The most time one request may take with all its retries and waits.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// How long to wait before attempt `attempt + 1`, or `None` to give up. `asked` is the
    /// least wait the server asked for; `elapsed` how long the request has taken so far.
    pub(crate) fn wait_before_retry(
        &self,
        attempt: u32,
        asked: Option<Duration>,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exponent = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let jittered = ceiling.mul_f64(fastrand::f64());
        let wait = asked.map_or(jittered, |asked| asked.max(jittered));
        let within = wait <= self.max_wait && elapsed.saturating_add(wait) <= self.max_elapsed;
        within.then_some(wait)
    }
}

/// What a 429 answer says about waiting.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RateLimitHint {
    pub kind: RateLimitKind,
    /// When Zoom said the limit resets.
    pub retry_at: Option<DateTime<Utc>>,
    /// How long Zoom said to wait from now.
    pub wait: Option<Duration>,
}

impl RateLimitHint {
    pub(crate) fn from_headers(headers: &HeaderMap) -> RateLimitHint {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let kind = match header("x-ratelimit-type").map(str::to_ascii_lowercase) {
            Some(t) if t.contains("daily") => RateLimitKind::Daily,
            Some(t) if t.contains("qps") || t.contains("second") => RateLimitKind::PerSecond,
            _ => RateLimitKind::Unknown,
        };
        let now = Utc::now();
        let retry_after = header("retry-after").and_then(|v| parse_retry_after(v, now));
        let reset = header("x-ratelimit-reset").and_then(|v| parse_unix_time(v, now));
        let (wait, retry_at) = match (retry_after, reset) {
            (Some(a), Some(b)) => (Some(a.0.max(b.0)), Some(a.1.max(b.1))),
            (Some(a), None) | (None, Some(a)) => (Some(a.0), Some(a.1)),
            (None, None) => (None, None),
        };
        RateLimitHint {
            kind,
            retry_at,
            wait,
        }
    }
}

/// `Retry-After` in any of its three forms: delay in seconds, HTTP-date, or RFC 3339.
/// Returns the wait from `now` and the instant it ends.
pub(crate) fn parse_retry_after(
    value: &str,
    now: DateTime<Utc>,
) -> Option<(Duration, DateTime<Utc>)> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        // A wait beyond what the clock can hold is "too long", never "no wait".
        let wait = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
        return Some((wait, later(now, wait)));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .or_else(|_| DateTime::parse_from_rfc3339(value))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%a, %d %b %Y %H:%M:%S GMT"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
                .map(|t| t.and_utc())
        })?;
    Some(((at - now).to_std().unwrap_or(Duration::ZERO), at))
}

/// `now + wait`, saturating at the end of time.
fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `X-RateLimit-Reset`: a Unix time in seconds (or milliseconds, when it is that large).
fn parse_unix_time(value: &str, now: DateTime<Utc>) -> Option<(Duration, DateTime<Utc>)> {
    let number: i64 = value.trim().parse().ok()?;
    let at = if number > 100_000_000_000 {
        DateTime::from_timestamp_millis(number)
    } else {
        DateTime::from_timestamp(number, 0)
    }
    .unwrap_or(DateTime::<Utc>::MAX_UTC);
    Some(((at - now).to_std().unwrap_or(Duration::ZERO), at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn retry_after_is_read_in_all_three_forms() {
        let (wait, _) = parse_retry_after("2", now()).unwrap();
        assert_eq!(wait, Duration::from_secs(2));
        let (wait, at) = parse_retry_after("Fri, 27 Nov 2026 10:00:30 GMT", now()).unwrap();
        assert_eq!(wait, Duration::from_secs(30));
        assert_eq!(at.to_rfc3339(), "2026-11-27T10:00:30+00:00");
        let (wait, _) = parse_retry_after("2026-11-28T00:00:00Z", now()).unwrap();
        assert_eq!(wait, Duration::from_secs(14 * 3600));
        let (wait, _) = parse_retry_after("2026-11-27T11:00:00", now()).unwrap();
        assert_eq!(wait, Duration::from_secs(3600));
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-3", now()), None);
        let (wait, at) = parse_retry_after("99999999999999999999", now()).unwrap();
        assert_eq!(
            (wait, at),
            (Duration::MAX, DateTime::<Utc>::MAX_UTC),
            "too long, never none"
        );
        let (wait, _) = parse_unix_time("9223372036854775807", now()).unwrap();
        assert!(wait > Duration::from_secs(1 << 40));
        let (wait, _) = parse_retry_after("2026-11-27T09:00:00Z", now()).unwrap();
        assert_eq!(wait, Duration::ZERO, "a past date means no wait");
    }

    #[test]
    fn reset_header_is_a_unix_time() {
        let (wait, _) = parse_unix_time("1795773605", now()).unwrap();
        assert_eq!(wait, Duration::from_secs(5));
        let (wait, _) = parse_unix_time("1795773605000", now()).unwrap();
        assert_eq!(wait, Duration::from_secs(5));
    }

    #[test]
    fn waits_never_undercut_the_server_and_give_up_past_the_limits() {
        let policy = RetryPolicy::default();
        for attempt in 1..4 {
            let wait = policy
                .wait_before_retry(attempt, Some(Duration::from_secs(1)), Duration::ZERO)
                .unwrap();
            assert!(wait >= Duration::from_secs(1));
            let backoff = policy
                .wait_before_retry(attempt, None, Duration::ZERO)
                .unwrap();
            assert!(backoff <= Duration::from_millis(500 << (attempt - 1)));
        }
        assert_eq!(policy.wait_before_retry(4, None, Duration::ZERO), None);
        assert_eq!(
            policy.wait_before_retry(1, Some(Duration::from_secs(61)), Duration::ZERO),
            None
        );
        assert_eq!(
            policy.wait_before_retry(1, Some(Duration::MAX), Duration::from_secs(5)),
            None
        );
        assert_eq!(
            policy.wait_before_retry(1, Some(Duration::from_secs(30)), Duration::from_secs(100)),
            None
        );
    }
}
