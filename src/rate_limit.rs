//! The client-side rate limits shared by every stream of one client: one bucket per Zoom
//! rate-limit label, each adapting to the 429s the account actually gets.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How many requests one [`Client`](crate::Client) may send in a period, across all its
/// streams and retries.
///
/// "N a second" means what Zoom counts: no one-second window holds more than N requests
/// (give or take one at a window's edge). Zoom counts its limits per account, shared by
/// every app on it; the participants endpoint is label *Heavy*: 10 requests a second on Pro
/// accounts (1 on Free, 40 on Business and up). The webinar list is *Resource-intensive*:
/// 10 a minute on Pro, 20 on Business and up.
///
/// The limit adapts: a per-second 429 halves the client's rate at once, and each success
/// raises it slowly back toward the configured figure, so that streams sharing an account
/// with other apps converge under what is left instead of retrying into more 429s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per period; `None` for no limit.
    requests: Option<u32>,
    period: Duration,
    burst: Option<u32>,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::per_second(10.0)
    }
}

impl RateLimit {
    /// At most `requests` in any one-second window. A fraction means one request per so
    /// many seconds (`0.5`: one every two seconds); a value that is not above zero is
    /// refused by [`ClientBuilder::build`](crate::ClientBuilder::build).
    pub fn per_second(requests: f64) -> Self {
        if !(requests.is_finite() && requests > 0.0) {
            return RateLimit {
                requests: if requests == f64::INFINITY {
                    None
                } else {
                    Some(0)
                },
                period: Duration::from_secs(1),
                burst: None,
            };
        }
        let count = requests.round().clamp(1.0, 1e6);
        // A rate so low that its period does not fit a Duration is as good as none.
        let period = Duration::try_from_secs_f64(count / requests).unwrap_or(Duration::MAX);
        RateLimit {
            requests: Some(count as u32),
            period,
            burst: None,
        }
    }

    /// At most `requests` in any sixty-second window (the Resource-intensive label).
    pub fn per_minute(requests: u32) -> Self {
        RateLimit {
            requests: Some(requests),
            period: Duration::from_secs(60),
            burst: None,
        }
    }

    /// Spreads requests out: at most `requests` back to back, the rest evenly spaced
    /// (default: the whole period's allowance may go back to back).
    pub fn burst(mut self, requests: u32) -> Self {
        self.burst = Some(requests.max(1));
        self
    }

    /// No client-side limit (for a fake server or a proxy that enforces its own).
    pub fn unlimited() -> Self {
        RateLimit {
            requests: None,
            period: Duration::from_secs(1),
            burst: None,
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        self.requests != Some(0) && !self.period.is_zero()
    }
}

/// Which of Zoom's rate-limit labels a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    /// The participants endpoint: per second.
    Heavy,
    /// The webinar list: per minute.
    ResourceIntensive,
}

/// An instant no wait reaches (about thirty years ahead), for periods beyond the clock.
fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(30 * 365 * 24 * 3600)
}

/// One bucket per label.
#[derive(Debug)]
pub(crate) struct Limiter {
    heavy: Bucket,
    list: Bucket,
}

impl Limiter {
    pub(crate) fn new(heavy: RateLimit, list: RateLimit) -> Self {
        Limiter {
            heavy: Bucket::new(heavy),
            list: Bucket::new(list),
        }
    }

    fn bucket(&self, label: Label) -> &Bucket {
        match label {
            Label::Heavy => &self.heavy,
            Label::ResourceIntensive => &self.list,
        }
    }

    /// Waits until a request may go out.
    pub(crate) async fn acquire(&self, label: Label) {
        if let Some(at) = self.bucket(label).reserve() {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Zoom answered a per-second 429: lower the rate.
    pub(crate) fn throttled(&self, label: Label) {
        self.bucket(label).throttled();
    }

    /// A request went through: raise the rate a little toward the configured one.
    pub(crate) fn succeeded(&self, label: Label) {
        self.bucket(label).succeeded();
    }

    /// The current rate of a bucket as a fraction of its configured one.
    #[cfg(test)]
    fn share(&self, label: Label) -> f64 {
        crate::http::lock(&self.bucket(label).state).share
    }
}

/// A sliding-window log (no window of `period` holds more than the allowance) with
/// optional even spacing (a burst smaller than the allowance), scaled by an adaptive share.
#[derive(Debug)]
struct Bucket {
    limit: RateLimit,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    /// When the most recent grants were (or will be) sent, oldest first.
    sent: VecDeque<Instant>,
    /// The next slot of the even spacing, when a burst is set.
    next_spaced: Option<Instant>,
    /// The share of the configured rate in use, in (0, 1].
    share: f64,
    last_throttle: Option<Instant>,
}

impl Bucket {
    fn new(limit: RateLimit) -> Self {
        Bucket {
            limit,
            state: Mutex::new(BucketState {
                sent: VecDeque::new(),
                next_spaced: None,
                share: 1.0,
                last_throttle: None,
            }),
        }
    }

    /// Books the next slot; `Some(when)` if it is in the future.
    fn reserve(&self) -> Option<Instant> {
        let requests = self.limit.requests?;
        let period = self.limit.period;
        let now = Instant::now();
        let mut state = crate::http::lock(&self.state);
        let allowance = ((f64::from(requests) * state.share).floor() as usize).max(1);
        let mut slot = now;
        if state.sent.len() >= allowance {
            let oldest = state.sent[state.sent.len() - allowance];
            slot = slot.max(oldest.checked_add(period).unwrap_or(far_future(now)));
        }
        if let Some(last) = state.sent.back() {
            slot = slot.max(*last);
        }
        if let Some(burst) = self.limit.burst {
            let interval = period.div_f64(f64::from(requests) * state.share);
            let slack = interval.saturating_mul(burst.saturating_sub(1));
            let next = state.next_spaced.unwrap_or(now).max(now);
            slot = slot.max(next.checked_sub(slack).unwrap_or(now));
            state.next_spaced = Some(next.max(slot) + interval);
        }
        state.sent.push_back(slot);
        while state.sent.len() > requests as usize {
            state.sent.pop_front();
        }
        (slot > now).then_some(slot)
    }

    fn throttled(&self) {
        let Some(requests) = self.limit.requests else {
            return;
        };
        let now = Instant::now();
        let mut state = crate::http::lock(&self.state);
        // The 429s of requests sent before the last cut say nothing new.
        if state
            .last_throttle
            .is_some_and(|at| now.duration_since(at) < self.limit.period)
        {
            return;
        }
        state.last_throttle = Some(now);
        state.share = (state.share * 0.5).max(1.0 / f64::from(requests));
        tracing::debug!(
            share = state.share,
            "rate limited: lowering the client's rate"
        );
    }

    fn succeeded(&self) {
        let Some(requests) = self.limit.requests else {
            return;
        };
        let mut state = crate::http::lock(&self.state);
        if state.share < 1.0 {
            // One more request per period for every eight that went through.
            state.share = (state.share + 1.0 / (8.0 * f64::from(requests))).min(1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn times(limiter: &Limiter, label: Label, n: usize) -> Vec<u128> {
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..n {
            limiter.acquire(label).await;
            times.push((Instant::now() - start).as_millis());
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_allowance() {
        let limiter = Limiter::new(RateLimit::per_second(3.0), RateLimit::per_minute(2));
        assert_eq!(
            times(&limiter, Label::Heavy, 7).await,
            vec![0, 0, 0, 1000, 1000, 1000, 2000]
        );
        assert_eq!(
            times(&limiter, Label::ResourceIntensive, 3).await,
            vec![0, 0, 60_000]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_spreads_the_rest_evenly() {
        let limiter = Limiter::new(RateLimit::per_second(10.0).burst(3), RateLimit::unlimited());
        assert_eq!(
            times(&limiter, Label::Heavy, 6).await,
            vec![0, 0, 0, 100, 200, 300]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_halves_the_rate_and_successes_bring_it_back() {
        let limiter = Limiter::new(RateLimit::per_second(8.0), RateLimit::unlimited());
        limiter.throttled(Label::Heavy);
        limiter.throttled(Label::Heavy); // the same burst: no second cut
        assert_eq!(limiter.share(Label::Heavy), 0.5);
        assert_eq!(
            times(&limiter, Label::Heavy, 6).await,
            vec![0, 0, 0, 0, 1000, 1000]
        );
        for _ in 0..32 {
            limiter.succeeded(Label::Heavy);
        }
        assert_eq!(limiter.share(Label::Heavy), 1.0);
    }

    #[test]
    fn fractions_and_nonsense_are_handled() {
        let half = RateLimit::per_second(0.5);
        assert_eq!(
            (half.requests, half.period),
            (Some(1), Duration::from_secs(2))
        );
        assert!(!RateLimit::per_second(0.0).is_valid());
        assert!(!RateLimit::per_second(f64::NAN).is_valid());
        assert!(RateLimit::per_second(f64::INFINITY).is_valid());
        assert_eq!(RateLimit::per_second(1e-300).period, Duration::MAX);
    }
}
