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
/// (give or take one at a window's edge). A quarter of them may go back to back; the rest
/// are spread evenly over the period (see [`burst`](RateLimit::burst)), so that a server
/// that allows less than N meets one request too many, not a burst of them. Zoom counts its limits per account, shared by
/// every app on it; the participants endpoint is label *Heavy*: 10 requests a second on Pro
/// accounts (1 on Free, 40 on Business and up). The webinar list is *Resource-intensive*:
/// 10 a minute on Pro, 20 on Business and up.
///
/// The limit adapts: a per-second 429 lowers the client's rate at once to a little under
/// what went through in the last period (what the server evidently allows; half the rate
/// when nothing went through), spaces requests evenly from then on, and successes raise
/// it slowly back toward the configured figure (one more request a period for every four
/// periods' worth of successes), so that streams sharing an account with other apps
/// converge under what is left instead of retrying into more 429s.
///
/// Per-minute labels (Resource-intensive) adapt on evidence only: a 429 holds every
/// request of the label until its `Retry-After` is over, then the configured pace holds
/// again; the rate is cut (to three quarters) only when a request sent after such a wait is
/// refused again within the period, and it climbs back one request a period for every
/// period without a 429.
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
    /// (default: a quarter of the period's allowance, at least one; one after a 429). A
    /// burst as large as the allowance turns the spacing off: the whole period's
    /// allowance may go back to back.
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
    /// The past-webinar instance list: per second, above Heavy on every plan.
    Light,
    /// The past-meeting instance list: per second, above Heavy on every plan.
    Medium,
    /// The participants endpoints: per second.
    Heavy,
    /// The webinar list: per minute.
    ResourceIntensive,
}

impl Label {
    /// How a bucket of this label adapts to Zoom's 429s.
    fn adapt(self) -> Adapt {
        match self {
            Label::Light | Label::Medium | Label::Heavy => Adapt::EveryThrottle,
            Label::ResourceIntensive => Adapt::OnEvidence,
        }
    }
}

/// How a bucket answers a 429 that is not a daily limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adapt {
    /// Per-second labels: every 429 (one a period) cuts the rate to what went through, and
    /// successes raise it slowly back. A second holds few requests, so what went through
    /// in the last one is a fair measure of what the account has left.
    EveryThrottle,
    /// Per-minute labels: a 429 is waited out (its `Retry-After`, for every request of the
    /// bucket), then the configured pace holds again. One 429 says that the account's
    /// minute was spent (other apps share it), not that our pace is too fast: the rate is
    /// cut only when a request sent after such a wait is refused again within the period,
    /// and it climbs back one request a period for every period without a 429.
    OnEvidence,
}

/// An instant no wait reaches (about thirty years ahead), for periods beyond the clock.
fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(30 * 365 * 24 * 3600)
}

/// One bucket per rate: the per-second labels share the configured per-second rate, the
/// per-minute one has its own. Zoom's Light and Medium limits are above its Heavy limit on
/// every plan (Free 4, 2 and 1 a second; Pro 30, 20 and 10; Business 80, 60 and 40), and
/// the crate's Light and Medium calls are one unpaged request per webinar or meeting
/// number: counting them with the Heavy calls keeps every label under Zoom's limit and
/// costs next to nothing.
#[derive(Debug)]
pub(crate) struct Limiter {
    heavy: Bucket,
    list: Bucket,
}

impl Limiter {
    pub(crate) fn new(heavy: RateLimit, list: RateLimit) -> Self {
        Limiter {
            heavy: Bucket::new(heavy, Label::Heavy.adapt()),
            list: Bucket::new(list, Label::ResourceIntensive.adapt()),
        }
    }

    fn bucket(&self, label: Label) -> &Bucket {
        match label {
            Label::Light | Label::Medium | Label::Heavy => &self.heavy,
            Label::ResourceIntensive => &self.list,
        }
    }

    /// Waits until a request may go out. A slot booked before the rate was cut is booked
    /// again at the new rate: requests waiting for their turn when a 429 arrives would
    /// otherwise go out at the old rate and meet 429s too.
    pub(crate) async fn acquire(&self, label: Label) {
        let bucket = self.bucket(label);
        while let Some((at, cuts)) = bucket.reserve() {
            tokio::time::sleep_until(at).await;
            if crate::lock::lock(&bucket.state).cuts == cuts {
                return;
            }
        }
    }

    /// Zoom answered a 429 that is not a daily limit, asking for a wait of `wait` (its
    /// `Retry-After`, when it said): lower the rate, or (per-minute labels) hold every
    /// request of the label until the wait is over.
    pub(crate) fn throttled(&self, label: Label, wait: Option<Duration>) {
        let bucket = self.bucket(label);
        match bucket.adapt {
            Adapt::EveryThrottle => bucket.throttled(),
            Adapt::OnEvidence => bucket.refused(wait),
        }
    }

    /// A request went through: raise the rate a little toward the configured one.
    pub(crate) fn succeeded(&self, label: Label) {
        self.bucket(label).succeeded();
    }

    /// The current rate of a bucket as a fraction of its configured one.
    #[cfg(test)]
    fn share(&self, label: Label) -> f64 {
        crate::lock::lock(&self.bucket(label).state).share
    }
}

/// A sliding-window log (no window of `period` holds more than the allowance) with
/// optional even spacing (a burst smaller than the allowance), scaled by an adaptive share.
#[derive(Debug)]
struct Bucket {
    limit: RateLimit,
    adapt: Adapt,
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
    /// When the most recent requests went through, oldest first (at most one period's
    /// allowance): what the server evidently accepts.
    succeeded: VecDeque<Instant>,
    /// Successes since the rate last changed.
    since_change: u64,
    /// How many times the booked slots were given up (a cut, a pause).
    cuts: u64,
    /// No request goes out before this instant: the end of a 429's `Retry-After`
    /// (per-minute labels).
    paused_until: Option<Instant>,
    /// When the last 429 came (per-minute labels), and when the rate last changed.
    last_refusal: Option<Instant>,
    last_change: Option<Instant>,
}

impl Bucket {
    fn new(limit: RateLimit, adapt: Adapt) -> Self {
        Bucket {
            limit,
            adapt,
            state: Mutex::new(BucketState {
                sent: VecDeque::new(),
                next_spaced: None,
                share: 1.0,
                last_throttle: None,
                succeeded: VecDeque::new(),
                since_change: 0,
                cuts: 0,
                paused_until: None,
                last_refusal: None,
                last_change: None,
            }),
        }
    }

    /// Books the next slot; `Some((when, cuts so far))` if it is in the future.
    fn reserve(&self) -> Option<(Instant, u64)> {
        let requests = self.limit.requests?;
        let period = self.limit.period;
        let now = Instant::now();
        let mut state = crate::lock::lock(&self.state);
        let allowance = allowance(requests, state.share);
        let mut slot = state.paused_until.map_or(now, |until| until.max(now));
        if state.sent.len() >= allowance {
            let oldest = state.sent[state.sent.len() - allowance];
            slot = slot.max(oldest.checked_add(period).unwrap_or(far_future(now)));
        }
        if let Some(last) = state.sent.back() {
            slot = slot.max(*last);
        }
        // Spacing: as configured; else a quarter of the allowance back to back, and once
        // the server has refused a request, one at a time.
        let burst = self
            .limit
            .burst
            .unwrap_or(if state.last_throttle.is_some() {
                1
            } else {
                (requests / 4).max(1)
            });
        if burst < requests {
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
        (slot > now).then_some((slot, state.cuts))
    }

    fn throttled(&self) {
        let Some(requests) = self.limit.requests else {
            return;
        };
        let now = Instant::now();
        let period = self.limit.period;
        let mut state = crate::lock::lock(&self.state);
        // The 429s of requests sent before the last cut say nothing new.
        if state
            .last_throttle
            .is_some_and(|at| now.duration_since(at) < period)
        {
            return;
        }
        state.last_throttle = Some(now);
        let allowance = allowance(requests, state.share);
        // What went through in the last period is what the server allows us now (other
        // apps of the account take the rest): go a tenth under it, so that the edges of
        // the server's window never meet one request too many. Nothing went through:
        // halve.
        let through = state
            .succeeded
            .iter()
            .filter(|at| now.duration_since(**at) < period)
            .count();
        let target = if through > 0 {
            (through.min(allowance) as f64 * 0.9).floor()
        } else {
            (allowance / 2) as f64
        };
        state.share = (target / f64::from(requests)).clamp(1.0 / f64::from(requests), 1.0);
        state.since_change = 0;
        // Slots booked ahead at the old rate are given up; their holders book again.
        state.cuts += 1;
        state.sent.retain(|at| *at <= now);
        state.next_spaced = None;
        tracing::debug!(
            share = state.share,
            through,
            "rate limited: lowering the client's rate"
        );
    }

    /// A 429 of a per-minute label: every request waits until `wait` is over; the rate
    /// is cut only on evidence that our own pace is refused (see [`Adapt::OnEvidence`]).
    fn refused(&self, wait: Option<Duration>) {
        let Some(requests) = self.limit.requests else {
            return;
        };
        let now = Instant::now();
        let period = self.limit.period;
        let mut state = crate::lock::lock(&self.state);
        // A request sent after the last 429 was waited out, refused within the period:
        // our pace, not only the rest of the account, meets the limit.
        let again = state.last_refusal.is_some_and(|at| {
            now.duration_since(at) < period && state.paused_until.is_none_or(|until| now >= until)
        });
        let cut_lately = state
            .last_throttle
            .is_some_and(|at| now.duration_since(at) < period);
        if again && !cut_lately {
            let allowance = allowance(requests, state.share);
            let target = ((allowance as f64 * 0.75).floor() as usize)
                .min(allowance.saturating_sub(1))
                .max(1);
            state.share = target as f64 / f64::from(requests);
            state.last_throttle = Some(now);
            state.last_change = Some(now);
            tracing::debug!(
                share = state.share,
                "rate limited again after waiting: lowering the client's per-minute rate"
            );
        }
        state.last_refusal = Some(now);
        let until = wait.and_then(|wait| now.checked_add(wait));
        if let Some(until) = until
            && state.paused_until.is_none_or(|at| at < until)
        {
            state.paused_until = Some(until);
        }
        if until.is_some() || again {
            // Slots booked ahead of the wait (or at the old rate) are given up; their
            // holders book again. The pace itself (the next spaced slot) carries on.
            state.cuts += 1;
            state.sent.retain(|at| *at <= now);
        }
    }

    fn succeeded(&self) {
        let Some(requests) = self.limit.requests else {
            return;
        };
        let now = Instant::now();
        let mut state = crate::lock::lock(&self.state);
        state.succeeded.push_back(now);
        while state.succeeded.len() > requests as usize {
            state.succeeded.pop_front();
        }
        if self.adapt == Adapt::OnEvidence {
            // One more request a period for every period without a 429; at the configured
            // rate again, the spacing is the configured one again too.
            let period = self.limit.period;
            let quiet = |at: Option<Instant>| at.is_none_or(|at| now.duration_since(at) >= period);
            if state.share < 1.0 && quiet(state.last_change) && quiet(state.last_refusal) {
                let allowance = allowance(requests, state.share) as f64;
                state.share = ((allowance + 1.0) / f64::from(requests)).min(1.0);
                state.last_change = Some(now);
                if state.share >= 1.0 {
                    state.last_throttle = None;
                }
            }
            return;
        }
        if state.share < 1.0 {
            // One more request a period for every four periods' worth of successes at the
            // current rate: slow enough that a rate just under the server's stays there
            // for a while before it is tried again.
            state.since_change += 1;
            let allowance = allowance(requests, state.share) as f64;
            if state.since_change as f64 >= 4.0 * allowance {
                state.share = ((allowance + 1.0) / f64::from(requests)).min(1.0);
                state.since_change = 0;
            }
        }
    }
}

/// How many requests a period holds at `share` of `requests`, at least one. (A share is
/// set from a whole number of requests: the rounding of the division is undone.)
fn allowance(requests: u32, share: f64) -> usize {
    ((f64::from(requests) * share + 1e-9).floor() as usize).max(1)
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
        let limiter = Limiter::new(
            RateLimit::per_second(3.0).burst(3),
            RateLimit::per_minute(2).burst(2),
        );
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
    async fn light_and_medium_calls_count_with_the_heavy_ones() {
        let limiter = Limiter::new(
            RateLimit::per_second(3.0).burst(3),
            RateLimit::per_minute(2).burst(2),
        );
        assert_eq!(times(&limiter, Label::Light, 2).await, vec![0, 0]);
        assert_eq!(times(&limiter, Label::Medium, 1).await, vec![0]);
        // The second's allowance is spent: the next Heavy call waits for the next second.
        assert_eq!(times(&limiter, Label::Heavy, 1).await, vec![1000]);
        // The per-minute bucket is untouched.
        assert_eq!(
            times(&limiter, Label::ResourceIntensive, 2).await,
            vec![0, 0]
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
    async fn by_default_a_quarter_goes_back_to_back_and_the_rest_evenly() {
        let limiter = Limiter::new(RateLimit::per_second(8.0), RateLimit::per_minute(10));
        assert_eq!(
            times(&limiter, Label::Heavy, 6).await,
            vec![0, 0, 125, 250, 375, 500]
        );
        assert_eq!(
            times(&limiter, Label::ResourceIntensive, 4).await,
            vec![0, 0, 6000, 12000]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_cuts_the_rate_under_what_went_through_and_successes_raise_it_slowly() {
        let limiter = Limiter::new(RateLimit::per_second(40.0), RateLimit::unlimited());
        for _ in 0..20 {
            limiter.acquire(Label::Heavy).await;
            limiter.succeeded(Label::Heavy);
        }
        limiter.throttled(Label::Heavy, None);
        limiter.throttled(Label::Heavy, None); // the same burst: no second cut
        // 20 went through: 18 a second from now on, one at a time.
        assert_eq!(limiter.share(Label::Heavy), 18.0 / 40.0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let spaced = times(&limiter, Label::Heavy, 3).await;
        assert_eq!(
            spaced,
            vec![0, 56, 112],
            "every 1/18 s, on the timer's millisecond ticks"
        );
        // One more a second after four seconds' worth of successes.
        for _ in 0..71 {
            limiter.succeeded(Label::Heavy);
        }
        assert_eq!(limiter.share(Label::Heavy), 18.0 / 40.0);
        limiter.succeeded(Label::Heavy);
        assert_eq!(limiter.share(Label::Heavy), 19.0 / 40.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_with_nothing_through_halves_the_rate() {
        let limiter = Limiter::new(RateLimit::per_second(8.0), RateLimit::unlimited());
        limiter.throttled(Label::Heavy, None);
        assert_eq!(limiter.share(Label::Heavy), 0.5);
        tokio::time::advance(Duration::from_secs(2)).await;
        limiter.throttled(Label::Heavy, None);
        limiter.throttled(Label::Heavy, None);
        assert_eq!(limiter.share(Label::Heavy), 0.25);
        tokio::time::advance(Duration::from_secs(2)).await;
        for _ in 0..3 {
            limiter.throttled(Label::Heavy, None);
            tokio::time::advance(Duration::from_secs(2)).await;
        }
        assert_eq!(
            limiter.share(Label::Heavy),
            1.0 / 8.0,
            "never below one a period"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_per_minute_429_is_waited_out_then_the_configured_pace_holds() {
        let limiter = Limiter::new(RateLimit::unlimited(), RateLimit::per_minute(10));
        let start = Instant::now();
        for _ in 0..2 {
            limiter.acquire(Label::ResourceIntensive).await;
        }
        limiter.succeeded(Label::ResourceIntensive);
        // The second is refused: wait 3 s, as asked.
        limiter.throttled(Label::ResourceIntensive, Some(Duration::from_secs(3)));
        assert_eq!(
            limiter.share(Label::ResourceIntensive),
            1.0,
            "one 429: no cut"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut times = Vec::new();
        for _ in 0..9 {
            limiter.acquire(Label::ResourceIntensive).await;
            limiter.succeeded(Label::ResourceIntensive);
            times.push((Instant::now() - start).as_secs());
        }
        // The pace of 10 a minute (two back to back, then every 6 s) carries on: the
        // retry takes the slot at 6 s, and no 60 s hold more than 10.
        assert_eq!(times, vec![6, 12, 18, 24, 30, 36, 42, 48, 60]);
        assert_eq!(limiter.share(Label::ResourceIntensive), 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_per_minute_429_holds_every_request_of_the_label_until_its_wait_is_over() {
        let limiter = Limiter::new(RateLimit::unlimited(), RateLimit::per_minute(10).burst(10));
        limiter.acquire(Label::ResourceIntensive).await;
        limiter.throttled(Label::ResourceIntensive, Some(Duration::from_secs(5)));
        assert_eq!(
            times(&limiter, Label::ResourceIntensive, 3).await,
            vec![5000, 5000, 5000]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_per_minute_rate_is_cut_only_when_refused_again_after_waiting_and_recovers() {
        let limiter = Limiter::new(RateLimit::unlimited(), RateLimit::per_minute(10));
        let list = Label::ResourceIntensive;
        limiter.throttled(list, Some(Duration::from_secs(3)));
        // Refused while the wait is on (sent before it was known): nothing new.
        tokio::time::advance(Duration::from_secs(1)).await;
        limiter.throttled(list, Some(Duration::from_secs(2)));
        assert_eq!(limiter.share(list), 1.0);
        // Refused again after the wait, within the minute: our pace meets the limit.
        tokio::time::advance(Duration::from_secs(10)).await;
        limiter.throttled(list, Some(Duration::from_secs(3)));
        assert_eq!(limiter.share(list), 0.7);
        // At most one cut a period.
        tokio::time::advance(Duration::from_secs(10)).await;
        limiter.throttled(list, None);
        assert_eq!(limiter.share(list), 0.7);
        // A period without a 429 brings one request a minute back, each period.
        tokio::time::advance(Duration::from_secs(59)).await;
        limiter.succeeded(list);
        assert_eq!(
            limiter.share(list),
            0.7,
            "the last 429 is under a minute old"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        limiter.succeeded(list);
        assert_eq!(limiter.share(list), 0.8);
        limiter.succeeded(list);
        assert_eq!(limiter.share(list), 0.8, "one step a period");
        for _ in 0..2 {
            tokio::time::advance(Duration::from_secs(60)).await;
            limiter.succeeded(list);
        }
        assert_eq!(limiter.share(list), 1.0);
        assert_eq!(
            times(&limiter, list, 3).await,
            vec![0, 0, 6000],
            "the configured spacing again"
        );
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
