//! The four participants endpoints, `GET /v2/metrics/{webinars|meetings}/{id}/participants`
//! (Dashboard) and `GET /v2/report/{webinars|meetings}/{id}/participants` (Report API):
//! pages of generated rows, Zoom's path rule, tokens bound to their endpoint and query, and
//! the scripted faults.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use super::report::{self, ReportKind};
use super::tokens::{invalid_token, page_scope};
use super::{
    DEFAULT_PAGE_SIZE, Fault, MAX_PAGE_SIZE, Rows, Shared, data, error_fault, lock, record,
    zoom_error,
};
use crate::model::Participant;

/// The webinar or meeting ID from the raw path segment, by Zoom's rule: decoded once, and once more
/// when the result is itself an encoded UUID that starts with `/` or contains `//`.
pub(super) fn webinar_id(segment: &str) -> Option<String> {
    let decode = |s: &str| percent_decode(s);
    let once = decode(segment)?;
    if once.starts_with('/') || once.contains("//") {
        return None; // such a UUID had to be encoded twice
    }
    if once.contains('%') {
        let twice = percent_decode(&once)?;
        if twice.starts_with('/') || twice.contains("//") {
            return Some(twice);
        }
    }
    Some(once)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The four participants endpoints the fake serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Endpoint {
    /// `GET /v2/metrics/webinars/{webinarId}/participants`.
    DashboardWebinar,
    /// `GET /v2/metrics/meetings/{meetingId}/participants`.
    DashboardMeeting,
    /// `GET /v2/report/webinars/{webinarId}/participants`.
    ReportWebinar,
    /// `GET /v2/report/meetings/{meetingId}/participants`.
    ReportMeeting,
}

impl Endpoint {
    /// Each endpoint with its path before the ID.
    const PREFIXES: [(Endpoint, &'static str); 4] = [
        (Endpoint::DashboardWebinar, "/v2/metrics/webinars/"),
        (Endpoint::DashboardMeeting, "/v2/metrics/meetings/"),
        (Endpoint::ReportWebinar, "/v2/report/webinars/"),
        (Endpoint::ReportMeeting, "/v2/report/meetings/"),
    ];

    /// The endpoint of a raw path, with the raw ID segment.
    fn of_path(path: &str) -> Option<(Endpoint, &str)> {
        Self::PREFIXES.iter().find_map(|(endpoint, prefix)| {
            let segment = path.strip_prefix(prefix)?.strip_suffix("/participants")?;
            (!segment.contains('/')).then_some((*endpoint, segment))
        })
    }

    /// The name page tokens are bound to.
    fn name(self) -> &'static str {
        match self {
            Endpoint::DashboardWebinar => "metrics/webinars/participants",
            Endpoint::DashboardMeeting => "metrics/meetings/participants",
            Endpoint::ReportWebinar => "report/webinars/participants",
            Endpoint::ReportMeeting => "report/meetings/participants",
        }
    }

    /// Zoom's 404/3001 for an ID this endpoint does not serve.
    fn not_found(self, id: &str) -> Response {
        let message = match self {
            Endpoint::DashboardWebinar => {
                "This webinar's detail info is not available or ID is not valid.".to_owned()
            }
            Endpoint::DashboardMeeting => format!("Meeting does not exist: {id}."),
            Endpoint::ReportWebinar => format!("Webinar {id} not found or has expired."),
            Endpoint::ReportMeeting => format!("Meeting {id} not found or has expired."),
        };
        zoom_error(StatusCode::NOT_FOUND, 3001, &message)
    }

    /// The `type`s this endpoint accepts (none: `type` is not one of its parameters).
    fn types(self) -> &'static [&'static str] {
        match self {
            Endpoint::DashboardWebinar => &["live", "past"],
            Endpoint::DashboardMeeting => &["live", "past", "pastOne"],
            Endpoint::ReportWebinar | Endpoint::ReportMeeting => &[],
        }
    }

    /// Rows `range` of an instance, as the JSON array served.
    fn render(
        self,
        rows: Rows,
        seed: u64,
        range: std::ops::Range<u64>,
        with_registrant_id: bool,
    ) -> Vec<u8> {
        let dashboard: Vec<Participant> = match self {
            Endpoint::DashboardWebinar => range
                .map(|i| data::participant(seed, i, with_registrant_id))
                .collect(),
            Endpoint::DashboardMeeting => range
                .map(|i| data::meeting_participant(seed, i, with_registrant_id, rows.one_person))
                .collect(),
            Endpoint::ReportWebinar | Endpoint::ReportMeeting => {
                let kind = if self == Endpoint::ReportWebinar {
                    ReportKind::Webinar
                } else {
                    ReportKind::Meeting
                };
                let texts: Vec<String> = range
                    .map(|i| report::report_text(kind, seed, i, with_registrant_id))
                    .collect();
                return format!("[{}]", texts.join(",")).into_bytes();
            }
        };
        serde_json::to_vec(&dashboard).unwrap_or_else(|_| b"[]".to_vec())
    }
}

/// The four participants endpoints: `/v2/{metrics|report}/{webinars|meetings}/{id}/participants`.
pub(super) async fn participants(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = record(&uri);
    lock(&shared.requests).push(request.clone());
    let config = &shared.config;

    let Some((endpoint, segment)) = Endpoint::of_path(uri.path()) else {
        return zoom_error(StatusCode::NOT_FOUND, 404, "Not found.");
    };
    if !shared.authorized(&headers) {
        return zoom_error(StatusCode::UNAUTHORIZED, 124, "Invalid access token.");
    }
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    let id = webinar_id(segment);
    let targeted = id.as_deref().and_then(|id| shared.targeted_fault(Some(id)));
    let fault = lock(&shared.faults).pop_front().or(targeted);
    if let Some(response) = fault.as_ref().and_then(error_fault) {
        return response;
    }
    let Some(id) = id else {
        return endpoint.not_found(segment);
    };
    let (rows, seed) = {
        let catalog = lock(&shared.catalog);
        let rows = match endpoint {
            Endpoint::DashboardWebinar | Endpoint::ReportWebinar => catalog.webinar(&id),
            Endpoint::DashboardMeeting => catalog.meeting(&id),
            // Zoom's report has meetings of two people or more only.
            Endpoint::ReportMeeting => catalog.meeting(&id).filter(|r| !r.one_person),
        };
        (rows, catalog.seed)
    };
    let Some(rows) = rows else {
        return endpoint.not_found(&id);
    };
    // The Report API has no `type`: whatever is sent is ignored.
    let kind = match request.query_value("type") {
        _ if endpoint.types().is_empty() => "",
        None => "live",
        Some(kind) if endpoint.types().contains(&kind) => kind,
        Some(kind) => {
            return zoom_error(
                StatusCode::BAD_REQUEST,
                300,
                &format!("Invalid field: type {kind}."),
            );
        }
    };
    // A one-person meeting is only `pastOne`; `pastOne` is only one-person meetings.
    if endpoint == Endpoint::DashboardMeeting && rows.one_person != (kind == "pastOne") {
        return endpoint.not_found(&id);
    }
    let page_size = match request.query_value("page_size").map(str::parse::<u64>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size >= 1 => size.min(MAX_PAGE_SIZE),
        Some(_) => return zoom_error(StatusCode::BAD_REQUEST, 300, "Invalid field: page_size."),
    };
    // Registrant IDs are not served for live meetings (Zoom's documentation).
    let with_registrant_id = request.query_value("include_fields") == Some("registrant_id")
        && !(endpoint == Endpoint::DashboardMeeting && kind == "live");
    let registrant = if with_registrant_id {
        "registrant_id"
    } else {
        ""
    };
    let scope = page_scope(endpoint.name(), &[&id, kind, registrant]);
    let Some(offset) = shared.page_offset(request.query_value("next_page_token"), &scope) else {
        return invalid_token();
    };
    let total = rows.count;
    let end = offset.saturating_add(page_size).min(total);
    let items = shared.rendered_items(endpoint, &id, rows, offset..end, with_registrant_id, seed);
    let next = if end < total {
        shared.next_token(&scope, end)
    } else {
        String::new()
    };
    // The envelope around the rendered participants; the token is base64, safe in JSON.
    let mut body = format!(
        r#"{{"page_count":{},"page_size":{page_size},"total_records":{total},"next_page_token":"{next}","participants":"#,
        total.div_ceil(page_size)
    )
    .into_bytes();
    body.extend_from_slice(&items);
    body.push(b'}');
    shared.page_response(body, &headers, fault)
}

pub(super) fn rate_limited(
    daily: bool,
    retry_after: Option<&str>,
    reset: Option<&str>,
) -> Response {
    let message = if daily {
        "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another call."
    } else {
        "You have reached the maximum per-second rate limit for this API. Try again later."
    };
    let mut response = zoom_error(StatusCode::TOO_MANY_REQUESTS, 429, message);
    let headers = response.headers_mut();
    let kind = if daily { "Daily-limit" } else { "QPS" };
    headers.insert("x-ratelimit-type", HeaderValue::from_static(kind));
    headers.insert("x-ratelimit-category", HeaderValue::from_static("Heavy"));
    for (name, value) in [("retry-after", retry_after), ("x-ratelimit-reset", reset)] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    response
}

impl Shared {
    /// The JSON array of an instance's rows `range`, rendered now or taken from the page
    /// cache.
    fn rendered_items(
        &self,
        endpoint: Endpoint,
        id: &str,
        rows: Rows,
        range: std::ops::Range<u64>,
        with_registrant_id: bool,
        seed: u64,
    ) -> Arc<Vec<u8>> {
        let key = (
            endpoint,
            id.to_owned(),
            range.start,
            range.end,
            with_registrant_id,
            seed,
        );
        if let Some(hit) = self
            .page_cache
            .as_ref()
            .and_then(|c| lock(c).get(&key).cloned())
        {
            return hit;
        }
        let rendered = Arc::new(endpoint.render(rows, seed, range, with_registrant_id));
        if let Some(cache) = &self.page_cache {
            lock(cache).insert(key, rendered.clone());
        }
        rendered
    }

    fn page_response(&self, body: Vec<u8>, request: &HeaderMap, fault: Option<Fault>) -> Response {
        let json = [(header::CONTENT_TYPE, "application/json")];
        let half = body.len() / 2;
        match fault {
            Some(Fault::TruncatedBody) => {
                self.count(half);
                return (json, body[..half].to_vec()).into_response();
            }
            Some(Fault::CutMidBody) => {
                let length = body.len();
                let first = Bytes::copy_from_slice(&body[..half]);
                let chunks = futures::stream::iter([
                    Ok(first),
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut",
                    )),
                ]);
                self.count(half);
                return (
                    json,
                    [(header::CONTENT_LENGTH, length)],
                    Body::from_stream(chunks),
                )
                    .into_response();
            }
            Some(Fault::Stall(pause)) => {
                let body = Bytes::from(body);
                let (first, rest) = (body.slice(..half), body.slice(half..));
                self.count(body.len());
                let chunks = async_stream::stream! {
                    yield Ok::<_, std::io::Error>(first);
                    tokio::time::sleep(pause).await;
                    yield Ok(rest);
                };
                return (json, Body::from_stream(chunks)).into_response();
            }
            Some(Fault::EndlessBody) => {
                let chunk =
                    Bytes::from_static(b"{\"id\":\"endless\",\"user_name\":\"again and again\"},");
                let head = futures::stream::once(async {
                    Ok::<_, std::io::Error>(Bytes::from_static(b"{\"participants\":["))
                });
                let chunks = head.chain(futures::stream::repeat_with(move || Ok(chunk.clone())));
                return (json, Body::from_stream(chunks)).into_response();
            }
            _ => {}
        }
        let accepts_gzip = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("gzip"));
        if self.config.gzip && accepts_gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if encoder.write_all(&body).is_ok()
                && let Ok(zipped) = encoder.finish()
            {
                self.count(zipped.len());
                return (json, [(header::CONTENT_ENCODING, "gzip")], zipped).into_response();
            }
        }
        self.count(body.len());
        (json, body).into_response()
    }

    fn count(&self, bytes: usize) {
        self.bytes_sent.fetch_add(bytes as u64, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_decoded_by_zooms_rule() {
        assert_eq!(webinar_id("95204914252").as_deref(), Some("95204914252"));
        assert_eq!(webinar_id("abc%2Bdef%3D%3D").as_deref(), Some("abc+def=="));
        assert_eq!(
            webinar_id("%252FajXp112QmuoKj4854875%253D%253D").as_deref(),
            Some("/ajXp112QmuoKj4854875==")
        );
        assert_eq!(
            webinar_id("%2FajXp112QmuoKj4854875%3D%3D"),
            None,
            "needed double encoding"
        );
        assert_eq!(webinar_id("ab%2F%2Fcd"), None);
        assert_eq!(webinar_id("bad%zz"), None);
    }

    #[test]
    fn generated_rows_are_deterministic_and_varied() {
        let a: Vec<_> = (0..200).map(|i| data::participant(7, i, false)).collect();
        let b: Vec<_> = (0..200).map(|i| data::participant(7, i, false)).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|p| p.registrant_id.is_none()));
        assert!(data::participant(7, 1, true).registrant_id.is_some());
        let has = |f: &dyn Fn(&Participant) -> bool| a.iter().any(f);
        assert!(has(&|p| p.user_name.as_deref() == Some("")), "HIPAA blanks");
        assert!(has(&|p| matches!(p.status, Some(crate::Status::Other(_)))));
        assert!(has(&|p| matches!(p.role, Some(crate::Role::Other(_)))));
        assert!(has(&|p| !p.extra.is_empty()), "unknown fields");
        assert!(has(&|p| p.camera.is_none()), "missing fields");
        assert_eq!(a[3].user_id, a[0].user_id, "row 3 is a rejoin of row 0");
        assert_ne!(a[3].join_time, a[0].join_time);
    }

    #[test]
    fn rows_far_past_what_a_clock_holds_are_late_not_a_panic() {
        for index in [u64::MAX, u64::MAX - 3, i64::MAX as u64 + 1] {
            let p = data::participant(1, index, true);
            assert!(p.join_time.is_some() && p.join_time <= p.leave_time);
            for one_person in [false, true] {
                // The latest instant is beyond RFC 3339's four-digit years: the model keeps
                // its text as an unknown value, and the row still has its join time.
                let m = data::meeting_participant(1, index, true, one_person);
                let text = serde_json::to_string(&m).unwrap_or_default();
                assert!(text.contains(r#""join_time":"#), "{index} {one_person}");
            }
            for kind in [ReportKind::Webinar, ReportKind::Meeting] {
                let text = report::report_text(kind, 1, index, true);
                assert_eq!(text.matches(r#""join_time":"#).count(), 1, "{text}");
                assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
            }
        }
    }
}
