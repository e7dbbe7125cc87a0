//! `GET /v2/metrics/webinars/{id}/participants`: pages of generated rows, Zoom's path rule,
//! and the scripted faults.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;

use super::tokens::encode_page_token;
use super::{DEFAULT_PAGE_SIZE, Fault, MAX_PAGE_SIZE, Shared, data, lock, record, zoom_error};
use crate::model::Participant;

/// The webinar ID from the raw path segment, by Zoom's rule: decoded once, and once more
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

pub(super) async fn participants(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = record(&uri);
    lock(&shared.requests).push(request.clone());
    let config = &shared.config;

    let segment = uri
        .path()
        .strip_prefix("/v2/metrics/webinars/")
        .and_then(|rest| rest.strip_suffix("/participants"))
        .filter(|segment| !segment.contains('/'));
    let Some(segment) = segment else {
        return zoom_error(StatusCode::NOT_FOUND, 404, "Not found.");
    };
    if !shared.authorized(&headers) {
        return zoom_error(StatusCode::UNAUTHORIZED, 124, "Invalid access token.");
    }
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    let fault = lock(&shared.faults).pop_front();
    if let Some(Fault::Status(status)) = &fault {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return zoom_error(
            status,
            status.as_u16().into(),
            "Internal server error, try again.",
        );
    }
    if let Some(Fault::RateLimited {
        daily,
        retry_after,
        reset,
    }) = &fault
    {
        return rate_limited(*daily, retry_after.as_deref(), reset.as_deref());
    }

    let not_found = "This webinar's detail info is not available or ID is not valid.";
    let Some(id) = webinar_id(segment) else {
        return zoom_error(StatusCode::NOT_FOUND, 3001, not_found);
    };
    let (total, seed) = {
        let catalog = lock(&shared.catalog);
        (catalog.webinars.get(&id).copied(), catalog.seed)
    };
    let Some(total) = total else {
        return zoom_error(StatusCode::NOT_FOUND, 3001, not_found);
    };
    if let Some(kind) = request
        .query_value("type")
        .filter(|t| !matches!(*t, "live" | "past"))
    {
        return zoom_error(
            StatusCode::BAD_REQUEST,
            300,
            &format!("Invalid field: type {kind}."),
        );
    }
    let page_size = match request.query_value("page_size").map(str::parse::<u64>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size >= 1 => size.min(MAX_PAGE_SIZE),
        Some(_) => return zoom_error(StatusCode::BAD_REQUEST, 300, "Invalid field: page_size."),
    };
    let offset = match request
        .query_value("next_page_token")
        .filter(|t| !t.is_empty())
    {
        None => 0,
        Some(token) => match shared.live_token(token, &id) {
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
    let with_registrant_id = request.query_value("include_fields") == Some("registrant_id");
    let end = (offset + page_size).min(total);
    let items = shared.rendered_items(&id, offset..end, with_registrant_id, seed);
    let next = if end < total {
        encode_page_token(&id, end, shared.started.elapsed().as_millis())
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
    /// The JSON array of participants `range`, rendered now or taken from the page cache.
    fn rendered_items(
        &self,
        id: &str,
        range: std::ops::Range<u64>,
        with_registrant_id: bool,
        seed: u64,
    ) -> Arc<Vec<u8>> {
        let key = (
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
        let items: Vec<Participant> = range
            .map(|i| data::participant(seed, i, with_registrant_id))
            .collect();
        let rendered = Arc::new(serde_json::to_vec(&items).unwrap_or_else(|_| b"[]".to_vec()));
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
}
