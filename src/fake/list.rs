//! `GET /v2/metrics/webinars`: the Dashboard webinar list, one instance per row.
//!
//! Zoom's rules as the fake applies them:
//! - `from` and `to` (`yyyy-mm-dd`) are required; a missing or malformed one is 400/300;
//! - a request covers at most one calendar month: `to` may be at most one month after
//!   `from` (2026-01-01 → 2026-02-01, 2026-01-31 → 2026-02-28), and not before it; anything
//!   else is 400/300 "The date range is invalid.";
//! - a webinar is listed when the UTC date of its `start_time` is within `[from, to]`;
//!   `type=past` (the fake's reading) lists those that have ended, `type=live` (Zoom's
//!   default) those in progress now;
//! - rows come by `start_time`, then `uuid`; `page_size` defaults to 30 and is capped at
//!   300; `next_page_token`s are opaque, tied to the query and expire like the
//!   participants tokens;
//! - with [`list_rate_limit_per_minute`](super::FakeZoomBuilder::list_rate_limit_per_minute),
//!   a sliding 60-second window, answered with a *Resource-intensive* 429.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Months, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::tokens::encode_page_token;
use super::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Shared, lock, record, zoom_error};

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

/// Which instances a listing asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListType {
    /// Ended before now (for meetings: with a number of participants other than one).
    Past,
    /// Meetings that ended with one participant (`type=pastOne`).
    PastOne,
    /// Started, not yet ended.
    Live,
}

/// Which Dashboard list: `GET /v2/metrics/webinars` or `GET /v2/metrics/meetings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Instances {
    Webinars,
    Meetings,
}

impl Instances {
    /// The path's last segment, which is also the name of the answer's array.
    pub(super) fn name(self) -> &'static str {
        match self {
            Instances::Webinars => "webinars",
            Instances::Meetings => "meetings",
        }
    }
}

/// The instances of `listed` that a listing of `from..=to` yields at `now`, in the order
/// served: by `start_time`, then `uuid`.
pub(super) fn listing(
    listed: &[FakeWebinar],
    kind: ListType,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<&FakeWebinar> {
    let mut found: Vec<&FakeWebinar> = listed
        .iter()
        .filter(|w| (from..=to).contains(&w.start_time.date_naive()))
        .filter(|w| match kind {
            ListType::Past => end_time(w) <= now,
            ListType::PastOne => end_time(w) <= now && w.participants == 1,
            ListType::Live => w.start_time <= now && now < end_time(w),
        })
        .collect();
    found.sort_by(|a, b| (a.start_time, &a.uuid).cmp(&(b.start_time, &b.uuid)));
    found
}

/// FNV-1a: a hash that is the same in every build, so derived fields are stable.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How long the instance ran: as given, or 30 minutes to 2 hours from its UUID.
fn duration(webinar: &FakeWebinar) -> chrono::Duration {
    webinar
        .duration
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or_else(|| {
            chrono::Duration::seconds(1_800 + (stable_hash(&webinar.uuid) % 5_400) as i64)
        })
}

fn end_time(webinar: &FakeWebinar) -> DateTime<Utc> {
    webinar.start_time + duration(webinar)
}

/// The list object of one instance, with every property of Zoom's schema.
pub(super) fn webinar_json(webinar: &FakeWebinar) -> Value {
    const HOSTS: &[(&str, &str, &str)] = &[
        ("Riya Sharma", "riya@example.com", "Marketing"),
        ("Zoë Ångström", "zoe@example.com", "Product"),
        ("李小龍", "xiaolong@example.com", ""),
    ];
    let hash = stable_hash(&webinar.uuid);
    let bit = |n: u32| hash >> n & 1 == 1;
    let (host, email, dept) = HOSTS[(webinar.id % HOSTS.len() as u64) as usize];
    let seconds = duration(webinar).num_seconds();
    let instant = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let custom_keys = if bit(8) {
        json!([{ "key": "campaign", "value": "2026-q1" }])
    } else {
        json!([])
    };
    let mut object = json!({
        "uuid": webinar.uuid,
        "id": webinar.id,
        "topic": webinar.topic,
        "host": host,
        "email": email,
        "user_type": if bit(9) { "Basic" } else { "Licensed" },
        "start_time": instant(webinar.start_time),
        "end_time": instant(end_time(webinar)),
        "duration": format!("{:02}:{:02}:{:02}", seconds / 3_600, seconds / 60 % 60, seconds % 60),
        "participants": webinar.participants,
        "has_pstn": bit(0),
        "has_voip": true,
        "has_3rd_party_audio": bit(1),
        "has_video": bit(2),
        "has_screen_share": bit(3),
        "has_recording": bit(4),
        "has_sip": bit(5),
        "dept": dept,
        "has_external_participant": bit(6),
        "custom_keys": custom_keys,
    });
    if webinar.id % 2 == 0
        && let Some(fields) = object.as_object_mut()
    {
        // A field Zoom may add later: a client must keep it.
        fields.insert("x_engagement_score".into(), json!(hash % 100));
    }
    object
}

/// The list object of one meeting instance: a webinar's properties, with
/// `in_room_participants`, and `tracking_fields` when asked for.
pub(super) fn meeting_json(meeting: &FakeWebinar, tracking_fields: bool) -> Value {
    let mut object = webinar_json(meeting);
    if let Some(fields) = object.as_object_mut() {
        fields.remove("has_external_participant");
        fields.insert(
            "in_room_participants".into(),
            json!(stable_hash(&meeting.uuid) % 3),
        );
        if tracking_fields {
            fields.insert(
                "tracking_fields".into(),
                json!([{ "field": "Team", "value": format!("team-{}", meeting.id % 7) }]),
            );
        }
    }
    object
}

/// A 400/300 naming the offending query field, the way Zoom reports validation failures.
fn invalid_field(field: &str, detail: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        json!({
            "code": 300,
            "message": format!("Invalid field: {field}."),
            "errors": [{ "field": field, "message": detail }],
        })
        .to_string(),
    )
        .into_response()
}

/// `GET /v2/metrics/webinars`.
pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    list_of(&shared, &uri, &headers, Instances::Webinars)
}

/// `GET /v2/metrics/meetings`: `type` also takes `pastOne` (meetings that ended with one
/// participant; `past` lists the others), and `include_fields=tracking_fields`.
pub(super) async fn list_meetings(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    list_of(&shared, &uri, &headers, Instances::Meetings)
}

fn list_of(shared: &Shared, uri: &Uri, headers: &HeaderMap, instances: Instances) -> Response {
    let request = record(uri);
    lock(&shared.list_requests).push(request.clone());
    if !shared.authorized(headers) {
        return zoom_error(StatusCode::UNAUTHORIZED, 124, "Invalid access token.");
    }
    if let Some(response) = shared
        .targeted_fault(None)
        .as_ref()
        .and_then(super::error_fault)
    {
        return response;
    }
    if let Some(limit) = shared.config.list_rate_limit
        && let Some(wait) = take_slot(&mut lock(&shared.list_window), limit, request.at)
    {
        return per_minute_limited(limit, wait);
    }

    let kind = match (request.query_value("type"), instances) {
        (None | Some("live"), _) => ListType::Live,
        (Some("past"), _) => ListType::Past,
        (Some("pastOne"), Instances::Meetings) => ListType::PastOne,
        (Some(other), _) => {
            return invalid_field("type", &format!("{other:?} is not a list type."));
        }
    };
    let date = |field: &str| {
        let text = request.query_value(field).unwrap_or_default();
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    };
    let (from, to) = match (date("from"), date("to")) {
        (Some(from), Some(to)) => (from, to),
        (None, _) => return invalid_field("from", "Required: a date in yyyy-mm-dd format."),
        (_, None) => return invalid_field("to", "Required: a date in yyyy-mm-dd format."),
    };
    if to < from
        || from
            .checked_add_months(Months::new(1))
            .is_none_or(|end| to > end)
    {
        return zoom_error(
            StatusCode::BAD_REQUEST,
            300,
            "The date range is invalid. The range from `from` to `to` may span at most one month.",
        );
    }
    let page_size = match request.query_value("page_size").map(str::parse::<u64>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size >= 1 => size.min(MAX_PAGE_SIZE),
        Some(_) => return invalid_field("page_size", "An integer from 1 to 300."),
    };
    // A token only continues the listing it came from.
    let scope = format!("\u{0}{}\n{kind:?}\n{from}\n{to}", instances.name());
    let offset = match request
        .query_value("next_page_token")
        .filter(|t| !t.is_empty())
    {
        None => 0,
        Some(token) => match shared.live_token(token, &scope) {
            Some(offset) => offset,
            None => {
                return zoom_error(
                    StatusCode::BAD_REQUEST,
                    300,
                    "The next page token is invalid or expired.",
                );
            }
        },
    };

    let tracking_fields = request.query_value("include_fields") == Some("tracking_fields");
    let (rows, total) = {
        let catalog = lock(&shared.catalog);
        let listed = match instances {
            Instances::Webinars => &catalog.listed,
            Instances::Meetings => &catalog.meetings,
        };
        let mut found = listing(listed, kind, from, to, Utc::now());
        if instances == Instances::Meetings && kind == ListType::Past {
            found.retain(|m| m.participants != 1);
        }
        let total = found.len() as u64;
        let rows: Vec<Value> = found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(page_size).unwrap_or(usize::MAX))
            .map(|w| match instances {
                Instances::Webinars => webinar_json(w),
                Instances::Meetings => meeting_json(w, tracking_fields),
            })
            .collect();
        (rows, total)
    };
    let end = offset.saturating_add(page_size).min(total);
    let next = if end < total {
        encode_page_token(&scope, end, shared.started.elapsed().as_millis())
    } else {
        String::new()
    };
    let body = json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "page_count": total.div_ceil(page_size),
        "page_size": page_size,
        "total_records": total,
        "next_page_token": next,
        instances.name(): rows,
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Zoom's 429 for a *Resource-intensive* call over its per-minute limit.
fn per_minute_limited(limit: u32, wait: Duration) -> Response {
    let mut response = zoom_error(
        StatusCode::TOO_MANY_REQUESTS,
        429,
        "You have reached the maximum per-minute rate limit for this API. Try again later.",
    );
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-type", HeaderValue::from_static("QPS"));
    headers.insert(
        "x-ratelimit-category",
        HeaderValue::from_static("Resource-intensive"),
    );
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(0u32));
    headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// The sliding window of the list's rate limit.
const WINDOW: Duration = Duration::from_secs(60);

/// Takes a slot in the sliding `window` (when requests were accepted, oldest first) for a
/// request arriving `now`, or says how long until one frees up.
fn take_slot(window: &mut VecDeque<Instant>, limit: u32, now: Instant) -> Option<Duration> {
    while window
        .front()
        .is_some_and(|&at| now.saturating_duration_since(at) >= WINDOW)
    {
        window.pop_front();
    }
    if window.len() < limit as usize {
        window.push_back(now);
        return None;
    }
    let oldest = window.front().copied().unwrap_or(now);
    Some((oldest + WINDOW).saturating_duration_since(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_demo_quarter_has_what_tests_need() {
        let demo = FakeWebinar::demo_period();
        let quarter = listing(
            &demo,
            ListType::Past,
            day("2026-01-01"),
            day("2026-03-31"),
            Utc::now(),
        );
        assert_eq!(quarter.len(), demo.len() - 2, "one before, one after");
        assert!(quarter.iter().any(|w| w.uuid.starts_with('/')));
        assert!(quarter.iter().any(|w| w.uuid.contains("//")));
        let recurring = quarter.iter().filter(|w| w.id == 81_234_567_890).count();
        assert_eq!(recurring, 4);
        let rows: Vec<Value> = quarter.into_iter().map(webinar_json).collect();
        assert!(rows.iter().any(|r| r.get("x_engagement_score").is_some()));
        assert!(rows.iter().any(|r| r.get("x_engagement_score").is_none()));
    }

    #[test]
    fn a_list_object_has_every_property_of_zooms_schema() {
        let demo = FakeWebinar::demo_period();
        let object = webinar_json(&demo[4]);
        for key in [
            "uuid",
            "id",
            "topic",
            "host",
            "email",
            "user_type",
            "start_time",
            "end_time",
            "duration",
            "participants",
            "has_pstn",
            "has_voip",
            "has_3rd_party_audio",
            "has_video",
            "has_screen_share",
            "has_recording",
            "has_sip",
            "dept",
            "custom_keys",
            "has_external_participant",
        ] {
            assert!(object.get(key).is_some(), "{key} missing");
        }
        assert_eq!(object["uuid"], "/mEc8Jn0RQeKk0b1mZ2x3A==");
        assert_eq!(object["start_time"], "2026-01-31T23:30:00Z");
        let seconds = duration(&demo[4]).num_seconds();
        let text = object["duration"].as_str().unwrap_or_default().to_owned();
        let parts: Vec<i64> = text.split(':').filter_map(|p| p.parse().ok()).collect();
        assert_eq!(parts.len(), 3, "hh:mm:ss, got {text}");
        assert_eq!(parts[0] * 3_600 + parts[1] * 60 + parts[2], seconds);
    }

    #[test]
    fn a_given_duration_decides_when_an_instance_is_past() {
        let start = Utc::now() - chrono::Duration::hours(1);
        let mut webinar = FakeWebinar {
            uuid: "u".into(),
            id: 1,
            topic: "t".into(),
            start_time: start,
            participants: 0,
            duration: Some(Duration::from_secs(3_600 + 600)),
        };
        let today = start.date_naive();
        let past = |w: &FakeWebinar| {
            listing(
                std::slice::from_ref(w),
                ListType::Past,
                today,
                today,
                Utc::now(),
            )
            .len()
        };
        assert_eq!(past(&webinar), 0, "ends in ten minutes");
        assert_eq!(
            webinar_json(&webinar)["end_time"],
            (start + chrono::Duration::seconds(4_200)).to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        webinar.duration = Some(Duration::from_secs(60));
        assert_eq!(past(&webinar), 1);
    }

    #[test]
    fn the_window_frees_a_slot_a_minute_after_the_oldest_request() {
        let mut window = VecDeque::new();
        let start = Instant::now();
        assert_eq!(take_slot(&mut window, 2, start), None);
        assert_eq!(
            take_slot(&mut window, 2, start + Duration::from_secs(10)),
            None
        );
        assert_eq!(
            take_slot(&mut window, 2, start + Duration::from_secs(20)),
            Some(Duration::from_secs(40))
        );
        assert_eq!(take_slot(&mut window, 2, start + WINDOW), None);
        assert_eq!(
            take_slot(&mut window, 2, start + WINDOW),
            Some(Duration::from_secs(10))
        );
    }
}
