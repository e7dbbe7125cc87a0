//! `GET /v2/metrics/webinars` and `GET /v2/metrics/meetings`: the Dashboard webinar and
//! meeting lists, one instance per row.
//!
//! Zoom's rules as the fake applies them (to both lists alike unless said):
//! - `from` and `to` (`yyyy-mm-dd`) are required; a missing or malformed one is 400/300;
//! - a request covers at most one calendar month: `to` may be at most one month after
//!   `from` (2026-01-01 → 2026-02-01, 2026-01-31 → 2026-02-28), and not before it; anything
//!   else is 400/300 "The date range is invalid.";
//! - a webinar is listed when the UTC date of its `start_time` is within `[from, to]`;
//!   `type=past` (the fake's reading) lists those that have ended, `type=live` (Zoom's
//!   default) those in progress now; for meetings, `type=pastOne` lists the one-person
//!   meetings that have ended, and `type=past` the others;
//! - meetings only: `include_fields=tracking_fields` adds `tracking_fields` to each object
//!   (other values are ignored); Zoom's "last 6 months" is not applied, so that a fixed
//!   demo quarter stays listable;
//! - rows come by `start_time`, then `uuid`; `page_size` defaults to 30 and is capped at
//!   300; `next_page_token`s are opaque, tied to the query and expire like the
//!   participants tokens;
//! - with [`list_rate_limit_per_minute`](super::FakeZoomBuilder::list_rate_limit_per_minute),
//!   a sliding 60-second window that both lists share (Zoom counts their
//!   *Resource-intensive* calls together), answered with a *Resource-intensive* 429.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde_json::{Value, json};

use super::instances::{Listed, end_time};
use super::meetings::meeting_json;
use super::tokens::{invalid_token, page_scope};
use super::webinars::webinar_json;
use super::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Shared, lock, record, zoom_error};

/// Which instances a listing asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListType {
    /// Ended before now (for meetings: those of two people or more).
    Past,
    /// Meetings only: one-person meetings that ended before now.
    PastOne,
    /// Started, not yet ended.
    Live,
}

impl ListType {
    fn as_str(self) -> &'static str {
        match self {
            ListType::Past => "past",
            ListType::PastOne => "pastOne",
            ListType::Live => "live",
        }
    }
}

/// The instances of `listed` that a listing of `from..=to` yields at `now`, in the order
/// served: by `start_time`, then `uuid`.
pub(super) fn listing<T: Listed>(
    listed: &[T],
    kind: ListType,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<&T> {
    let mut found: Vec<&T> = listed
        .iter()
        .filter(|i| (from..=to).contains(&i.start_time().date_naive()))
        .filter(|i| match kind {
            ListType::Past => end_time(*i) <= now && !i.one_person(),
            ListType::PastOne => end_time(*i) <= now && i.one_person(),
            ListType::Live => i.start_time() <= now && now < end_time(*i),
        })
        .collect();
    found.sort_by(|a, b| (a.start_time(), a.uuid()).cmp(&(b.start_time(), b.uuid())));
    found
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

/// The two Dashboard lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// `GET /v2/metrics/webinars`.
    Webinars,
    /// `GET /v2/metrics/meetings`.
    Meetings,
}

/// `GET /v2/metrics/webinars`.
pub(super) async fn webinars(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&shared, &uri, &headers, Endpoint::Webinars)
}

/// `GET /v2/metrics/meetings`.
pub(super) async fn meetings(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&shared, &uri, &headers, Endpoint::Meetings)
}

/// One page of either list.
fn serve(shared: &Shared, uri: &Uri, headers: &HeaderMap, endpoint: Endpoint) -> Response {
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

    let meetings = endpoint == Endpoint::Meetings;
    let kind = match request.query_value("type") {
        None | Some("live") => ListType::Live,
        Some("past") => ListType::Past,
        Some("pastOne") if meetings => ListType::PastOne,
        Some(other) => {
            let allowed = if meetings {
                "past, pastOne, live"
            } else {
                "past, live"
            };
            return invalid_field("type", &format!("{other:?} is not one of {allowed}."));
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
    let tracking_fields =
        meetings && request.query_value("include_fields") == Some("tracking_fields");
    // A token only continues the listing it came from.
    let (name, array) = match endpoint {
        Endpoint::Webinars => ("metrics/webinars", "webinars"),
        Endpoint::Meetings => ("metrics/meetings", "meetings"),
    };
    let (from_text, to_text) = (from.to_string(), to.to_string());
    let tracking = if tracking_fields {
        "tracking_fields"
    } else {
        ""
    };
    let scope = page_scope(name, &[kind.as_str(), &from_text, &to_text, tracking]);
    let Some(offset) = shared.page_offset(request.query_value("next_page_token"), &scope) else {
        return invalid_token();
    };

    let (rows, total) = {
        let catalog = lock(&shared.catalog);
        let now = Utc::now();
        match endpoint {
            Endpoint::Webinars => page(
                listing(&catalog.listed, kind, from, to, now),
                offset,
                page_size,
                webinar_json,
            ),
            Endpoint::Meetings => page(
                listing(&catalog.listed_meetings, kind, from, to, now),
                offset,
                page_size,
                |m| meeting_json(m, tracking_fields),
            ),
        }
    };
    let end = offset.saturating_add(page_size).min(total);
    let next = if end < total {
        shared.next_token(&scope, end)
    } else {
        String::new()
    };
    let mut body = json!({
        "from": from_text,
        "to": to_text,
        "page_count": total.div_ceil(page_size),
        "page_size": page_size,
        "total_records": total,
        "next_page_token": next,
    });
    if let Some(fields) = body.as_object_mut() {
        fields.insert(array.into(), Value::Array(rows));
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The objects of one page of a listing, and how many the listing has.
fn page<T>(
    found: Vec<&T>,
    offset: u64,
    page_size: u64,
    object: impl Fn(&T) -> Value,
) -> (Vec<Value>, u64) {
    let total = found.len() as u64;
    let rows = found
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(page_size).unwrap_or(usize::MAX))
        .map(object)
        .collect();
    (rows, total)
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

/// The sliding window of the lists' rate limit.
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
    use crate::fake::instances::duration;
    use crate::fake::webinars::FakeWebinar;

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
