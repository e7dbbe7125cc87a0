//! `GET /v2/past_webinars/{webinarId}/instances` and `GET /v2/past_meetings/{meetingId}/instances`:
//! the ended instances of a webinar or meeting number, from the fake's Dashboard lists.
//!
//! Zoom's rules as the fake applies them: the path takes a number (int64), anything else is
//! 400/300; a number with no listed instance is 404/3001; the answer is one page, every
//! instance of that number that has ended (one-person meetings included), by `start_time`
//! then `uuid`, each object only `uuid` and `start_time`; the query is ignored.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::instances::{Listed, end_time};
use super::{Shared, error_fault, lock, record, zoom_error};

/// Which list of instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Webinar,
    Meeting,
}

/// `GET /v2/past_webinars/{webinarId}/instances`.
pub(super) async fn webinar_instances(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&shared, &uri, &headers, Kind::Webinar)
}

/// `GET /v2/past_meetings/{meetingId}/instances`.
pub(super) async fn meeting_instances(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&shared, &uri, &headers, Kind::Meeting)
}

fn serve(shared: &Shared, uri: &Uri, headers: &HeaderMap, kind: Kind) -> Response {
    let request = record(uri);
    lock(&shared.requests).push(request);
    if !shared.authorized(headers) {
        return zoom_error(StatusCode::UNAUTHORIZED, 124, "Invalid access token.");
    }
    let segment = uri
        .path()
        .split('/')
        .rev()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let targeted = shared.targeted_fault(Some(&segment));
    let fault = lock(&shared.faults).pop_front().or(targeted);
    if let Some(response) = fault.as_ref().and_then(error_fault) {
        return response;
    }
    let (what, array) = match kind {
        Kind::Webinar => ("webinar", "webinars"),
        Kind::Meeting => ("meeting", "meetings"),
    };
    let Some(number) = segment
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| segment.parse::<u64>().ok())
        .flatten()
    else {
        return zoom_error(StatusCode::BAD_REQUEST, 300, &format!("Invalid {what} ID."));
    };
    let now = Utc::now();
    // (start, uuid, ended) of every listed instance of the number.
    let instances: Vec<(DateTime<Utc>, String, bool)> = {
        let catalog = lock(&shared.catalog);
        let row = |i: &dyn Listed| (i.start_time(), i.uuid().to_owned(), end_time(i) <= now);
        match kind {
            Kind::Webinar => catalog
                .listed
                .iter()
                .filter(|w| w.id == number)
                .map(|w| row(w))
                .collect(),
            Kind::Meeting => catalog
                .listed_meetings
                .iter()
                .filter(|m| m.id == number)
                .map(|m| row(m))
                .collect(),
        }
    };
    if instances.is_empty() {
        let message = match kind {
            Kind::Webinar => "Webinar not found.".to_owned(),
            Kind::Meeting => format!("Meeting does not exist: {number}."),
        };
        return zoom_error(StatusCode::NOT_FOUND, 3001, &message);
    }
    let mut ended: Vec<(DateTime<Utc>, String)> = instances
        .into_iter()
        .filter_map(|(start, uuid, over)| over.then_some((start, uuid)))
        .collect();
    ended.sort();
    let objects: Vec<_> = ended
        .into_iter()
        .map(|(start, uuid)| {
            json!({
                "uuid": uuid,
                "start_time": start.to_rfc3339_opts(SecondsFormat::Secs, true),
            })
        })
        .collect();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ array: objects }).to_string(),
    )
        .into_response()
}
