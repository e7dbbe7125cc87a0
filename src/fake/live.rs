//! Scripted live sessions: `type=live` lists that change from one walk to the next, and
//! end the way Zoom's do.
//!
//! A live session is a list of snapshots ([`FakeZoomBuilder::live_session`]). Each walk of
//! the live list (a request without `next_page_token`) is served the next snapshot, page
//! after page, with page tokens bound to that walk (so a walk sees one snapshot however
//! slowly it pages). Once every snapshot has been served, the session is over: the live
//! list answers 404 with Zoom's code 3001, as Zoom does for a webinar or meeting that is
//! not in progress. Both `/v2/metrics/webinars/{id}/participants` and
//! `/v2/metrics/meetings/{id}/participants` serve a script; any other request goes on to
//! the generated webinars.
//!
//! [`FakeZoomBuilder::live_session`]: super::FakeZoomBuilder::live_session

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::participants::webinar_id;
use super::tokens::{decode_page_token, encode_page_token, invalid_token};
use super::{
    DEFAULT_PAGE_SIZE, FakeZoomBuilder, MAX_PAGE_SIZE, Shared, data, lock, record, zoom_error,
};
use crate::model::Participant;

/// Snapshots of the ready-made live session.
const DEMO_SNAPSHOTS: u64 = 12;
/// People who come to it.
const DEMO_PEOPLE: u64 = 48;

impl FakeZoomBuilder {
    /// Serves a scripted live session under `id` (a webinar or meeting ID or UUID) for
    /// `type=live`: the n-th walk of the live list sees `snapshots[n]`, page after page;
    /// after the last one the session is over and the live list answers 404/3001, as
    /// Zoom's does once a session has ended.
    pub fn live_session(mut self, id: impl Into<String>, snapshots: Vec<Vec<Participant>>) -> Self {
        self.live.insert(id.into(), snapshots);
        self
    }

    /// A ready-made live session under `id` (for `--demo --follow`): 48 generated people
    /// (the host throughout) coming in fours and staying 3 to 6 snapshots, over 12
    /// snapshots; then the session is over.
    pub fn demo_live_session(self, id: impl Into<String>) -> Self {
        let seed = self.seed;
        let snapshots = (0..DEMO_SNAPSHOTS)
            .map(|n| {
                (0..DEMO_PEOPLE)
                    .filter(|&i| {
                        let from = i / 4;
                        let until = if i == 0 {
                            DEMO_SNAPSHOTS
                        } else {
                            from + 3 + i % 4
                        };
                        (from..until).contains(&n)
                    })
                    .map(|i| Participant {
                        leave_time: None,
                        ..data::participant(seed, i, false)
                    })
                    .collect()
            })
            .collect();
        self.live_session(id, snapshots)
    }
}

/// One scripted session: its snapshots, and how many walks have begun.
#[derive(Debug, Clone, Default)]
pub(super) struct LiveSession {
    pub snapshots: Vec<Vec<Participant>>,
    pub walks: usize,
}

/// The scripted sessions as served, none walked yet.
pub(super) fn sessions(
    scripts: HashMap<String, Vec<Vec<Participant>>>,
) -> HashMap<String, LiveSession> {
    scripts
        .into_iter()
        .map(|(id, snapshots)| {
            (
                id,
                LiveSession {
                    snapshots,
                    walks: 0,
                },
            )
        })
        .collect()
}

/// The router's fallback: a scripted live list if the request is for one, else the
/// generated webinars.
pub(super) async fn live_or_participants(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match scripted(&shared, &uri, &headers) {
        Some(response) => response,
        None => super::participants::participants(State(shared), uri, headers).await,
    }
}

/// `(kind, raw segment)` of `/v2/metrics/{webinars|meetings}/{segment}/participants`.
fn live_path(path: &str) -> Option<(&'static str, &str)> {
    let rest = path.strip_prefix("/v2/metrics/")?;
    let (kind, rest) = if let Some(rest) = rest.strip_prefix("webinars/") {
        ("webinar", rest)
    } else {
        ("meeting", rest.strip_prefix("meetings/")?)
    };
    let segment = rest.strip_suffix("/participants")?;
    (!segment.contains('/')).then_some((kind, segment))
}

fn scripted(shared: &Shared, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let request = record(uri);
    if request.query_value("type") != Some("live") {
        return None;
    }
    let (kind, segment) = live_path(uri.path())?;
    let id = webinar_id(segment)?;
    if !lock(&shared.live).contains_key(&id) {
        return None;
    }
    lock(&shared.requests).push(request.clone());
    if !shared.authorized(headers) {
        return Some(zoom_error(
            StatusCode::UNAUTHORIZED,
            124,
            "Invalid access token.",
        ));
    }
    let page_size = match request.query_value("page_size").map(str::parse::<u64>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if size >= 1 => size.min(MAX_PAGE_SIZE),
        Some(_) => {
            return Some(zoom_error(
                StatusCode::BAD_REQUEST,
                300,
                "Invalid field: page_size.",
            ));
        }
    };
    let mut sessions = lock(&shared.live);
    let session = sessions.get_mut(&id)?;
    let token = request
        .query_value("next_page_token")
        .filter(|t| !t.is_empty());
    let (walk, offset) = match token {
        None => {
            session.walks += 1;
            (session.walks - 1, 0)
        }
        Some(token) => match decode_page_token(token)
            .and_then(|(key, offset, _)| Some((walk_of(&key, &id)?, offset)))
        {
            Some(at) => at,
            None => return Some(invalid_token()),
        },
    };
    let Some(snapshot) = session.snapshots.get(walk) else {
        let message = if kind == "webinar" {
            "This webinar's detail info is not available or ID is not valid.".to_owned()
        } else {
            format!("Meeting does not exist: {id}.")
        };
        return Some(zoom_error(StatusCode::NOT_FOUND, 3001, &message));
    };
    let total = snapshot.len() as u64;
    let end = (offset + page_size).min(total);
    let rows = snapshot
        .get(offset as usize..end as usize)
        .unwrap_or_default();
    let next = if end < total {
        encode_page_token(&format!("{id}\u{1}live{walk}"), end, 0)
    } else {
        String::new()
    };
    let body = serde_json::json!({
        "page_count": total.div_ceil(page_size),
        "page_size": page_size,
        "total_records": total,
        "next_page_token": next,
        "participants": rows,
    });
    Some(
        (
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
    )
}

/// The walk a live page token belongs to, if it is one of `id`'s.
fn walk_of(key: &str, id: &str) -> Option<usize> {
    let (token_id, walk) = key.split_once('\u{1}')?;
    if token_id != id {
        return None;
    }
    walk.strip_prefix("live")?.parse().ok()
}
