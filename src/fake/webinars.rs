//! Webinar instances of the Dashboard webinar list (`GET /v2/metrics/webinars`) and the
//! ready-made demo quarter of webinars.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::instances::{Listed, instance_json, stable_hash};

/// One webinar instance in the fake's Dashboard webinar list.
///
/// The list object carries every property of Zoom's schema; those not given here (host,
/// end time, duration, the `has_*` flags, department, custom keys, and an unknown field on
/// some rows) are derived from the UUID, so they are the same on every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeWebinar {
    /// The instance's UUID (may contain `/`, `+`, `=`).
    pub uuid: String,
    /// The webinar number; the instances of a recurring webinar share it.
    pub id: u64,
    /// The topic.
    pub topic: String,
    /// When the instance started.
    pub start_time: DateTime<Utc>,
    /// How many participant rows the instance has (served under its UUID).
    pub participants: u64,
    /// How long it runs; `None`: 30 minutes to 2 hours, derived from the UUID. An instance
    /// that has not ended yet is not listed with `type=past`.
    pub duration: Option<std::time::Duration>,
}

impl FakeWebinar {
    /// The quarter 2026-01-01 to 2026-03-31 that
    /// [`FakeZoomBuilder::demo_period`](super::FakeZoomBuilder::demo_period) lists, plus one
    /// instance on 2025-12-31 and one on 2026-04-01 that a listing of the quarter must not
    /// return.
    pub fn demo_period() -> Vec<FakeWebinar> {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let webinar =
            |uuid: &str, id: u64, topic: &str, start: &str, participants: u64| FakeWebinar {
                uuid: uuid.to_owned(),
                id,
                topic: topic.to_owned(),
                start_time: at(start),
                participants,
                duration: None,
            };
        let demo = "Weekly product demo";
        let close = "Month-end close";
        vec![
            webinar(
                "Yr0x8dC1T0qd1bOw3bYb5A==",
                81_234_567_890,
                demo,
                "2025-12-31T23:45:00Z",
                6,
            ),
            webinar(
                "NyA0mzT1Q2e3r4t5y6u7iA==",
                86_789_012_345,
                "New year AMA",
                "2026-01-01T00:00:00Z",
                12,
            ),
            webinar(
                "k1Zq7mVHR0a4bP+c9dE2fg==",
                81_234_567_890,
                demo,
                "2026-01-07T17:00:00Z",
                18,
            ),
            webinar(
                "Ab3dEf6hIj9kLm2nOp5qRs==",
                81_234_567_890,
                demo,
                "2026-01-14T17:00:00Z",
                25,
            ),
            webinar(
                "/mEc8Jn0RQeKk0b1mZ2x3A==",
                82_345_678_901,
                close,
                "2026-01-31T23:30:00Z",
                9,
            ),
            webinar(
                "kq3//Wz9TkuZ1pXy7Lm0bQ==",
                83_456_789_012,
                "Kick-off",
                "2026-02-01T00:00:00Z",
                40,
            ),
            webinar(
                "Tz4uV5wX6yZ7aB8cD9eF0g==",
                81_234_567_890,
                demo,
                "2026-02-04T17:00:00Z",
                21,
            ),
            webinar(
                "Pq1rS2tU3vW4xY5zA6bC7d==",
                82_345_678_901,
                close,
                "2026-02-28T23:30:00Z",
                5,
            ),
            webinar(
                "Qr+7aP2bT0yXc4e/5fGh1w==",
                84_567_890_123,
                "Quarter review",
                "2026-03-01T00:00:00Z",
                33,
            ),
            webinar(
                "Hm8nJ9kL0mN1oP2qR3sT4u==",
                81_234_567_890,
                demo,
                "2026-03-04T17:00:00Z",
                14,
            ),
            webinar(
                "//Zx9yW8vU7tS6rQ5pO4nA==",
                82_345_678_901,
                close,
                "2026-03-31T23:30:00Z",
                7,
            ),
            webinar(
                "Ap0rI1lF2oO3lS4dA5yY6z==",
                85_678_901_234,
                "Office hours",
                "2026-04-01T00:00:00Z",
                8,
            ),
        ]
    }
}

impl Listed for FakeWebinar {
    fn uuid(&self) -> &str {
        &self.uuid
    }

    fn start_time(&self) -> DateTime<Utc> {
        self.start_time
    }

    fn given_duration(&self) -> Option<std::time::Duration> {
        self.duration
    }
}

/// The list object of one webinar instance, with every property of Zoom's schema.
pub(super) fn webinar_json(webinar: &FakeWebinar) -> Value {
    let mut object = instance_json(webinar, webinar.id, &webinar.topic, webinar.participants);
    let hash = stable_hash(&webinar.uuid);
    object.insert("has_external_participant".into(), json!(hash >> 6 & 1 == 1));
    Value::Object(object)
}
