//! The client-side rate limit shared by every stream of one client.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How many requests per second one [`Client`](crate::Client) may send, across all its
/// streams, and how many of them may go out back to back.
///
/// Zoom counts its limits per account, shared by every app on it; the Heavy label of this
/// endpoint allows 10 requests a second on Pro accounts (1 on Free, 40 on Business and up).
/// The default, 10 a second with a burst of 10, keeps a Pro account clear of 429s when
/// nothing else uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    per_second: f64,
    burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::per_second(10.0).burst(10)
    }
}

impl RateLimit {
    /// At most `requests` a second, evenly spaced (no burst).
    pub fn per_second(requests: f64) -> Self {
        RateLimit {
            per_second: requests,
            burst: 1,
        }
    }

    /// Lets up to `requests` go out back to back when the client has been idle.
    pub fn burst(mut self, requests: u32) -> Self {
        self.burst = requests.max(1);
        self
    }

    /// No client-side limit (for a fake server or a proxy that enforces its own).
    pub fn unlimited() -> Self {
        RateLimit {
            per_second: f64::INFINITY,
            burst: 1,
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        self.per_second > 0.0 && !self.per_second.is_nan()
    }
}

/// A generic cell rate algorithm: each request takes the next slot of a schedule spaced by
/// the interval, with `burst` slots of slack. Slots are handed out in order, so waiting
/// callers are served first come, first served.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Option<Duration>,
    slack: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let interval = limit
            .per_second
            .is_finite()
            .then(|| Duration::from_secs_f64(1.0 / limit.per_second));
        Limiter {
            interval,
            slack: interval.unwrap_or_default() * (limit.burst - 1),
            next_slot: Mutex::new(None),
        }
    }

    /// Waits until a request may go out.
    pub(crate) async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let now = Instant::now();
        let start = {
            // A poisoned lock only means another caller panicked mid-update; the schedule
            // itself is always valid.
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let slot = next.map_or(now, |t| t.max(now));
            *next = Some(slot + interval);
            slot.checked_sub(self.slack).unwrap_or(now)
        };
        if start > now {
            tokio::time::sleep_until(start).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_after_the_burst() {
        let limiter = Limiter::new(RateLimit::per_second(10.0).burst(3));
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..6 {
            limiter.acquire().await;
            times.push((Instant::now() - start).as_millis());
        }
        assert_eq!(times, vec![0, 0, 0, 100, 200, 300]);
    }
}
