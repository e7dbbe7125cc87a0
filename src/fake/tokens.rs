//! Opaque, expiring tokens: the `next_page_token`s of every paginated endpoint and the
//! Server-to-Server OAuth access tokens issued at `/oauth/token`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::{Shared, lock};

/// What a page token continues: the endpoint that issued it and the query it answered
/// (the ID in the path, `type`, `include_fields`, the list's dates), everything but
/// `page_size` and the token itself. A token is only accepted with the same scope, so one
/// endpoint refuses another's tokens, as Zoom does. JSON, so no two scopes run together.
pub(super) fn page_scope(endpoint: &str, parts: &[&str]) -> String {
    serde_json::to_string(&(endpoint, parts)).unwrap_or_default()
}

/// A page token: its scope (see [`page_scope`]), where the next page starts, when it was
/// issued. Opaque to clients, like Zoom's.
pub(super) fn encode_page_token(scope: &str, offset: u64, issued_ms: u128) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{scope}\n{offset}\n{issued_ms}"))
}

pub(super) fn decode_page_token(token: &str) -> Option<(String, u64, u128)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.rsplitn(3, '\n');
    let issued = parts.next()?.parse().ok()?;
    let offset = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_owned(), offset, issued))
}

/// Zoom's 400/300 for a page token that is garbage, expired, or another query's.
pub(super) fn invalid_token() -> Response {
    super::zoom_error(
        StatusCode::BAD_REQUEST,
        300,
        "The next page token is invalid or expired.",
    )
}

impl Shared {
    /// The offset a page token points at, if it was issued for `scope` and is still alive.
    pub(super) fn live_token(&self, token: &str, scope: &str) -> Option<u64> {
        let (issued_for, offset, issued_ms) = decode_page_token(token)?;
        let age = self.started.elapsed().as_millis().checked_sub(issued_ms)?;
        let alive = age < self.config.page_token_ttl.as_millis();
        (issued_for == scope && alive).then_some(offset)
    }

    /// The offset where a request's page starts: 0 without a token, the token's offset
    /// when it is alive and was issued for `scope`; `None` for a token to refuse with
    /// [`invalid_token`].
    pub(super) fn page_offset(&self, token: Option<&str>, scope: &str) -> Option<u64> {
        match token.filter(|t| !t.is_empty()) {
            None => Some(0),
            Some(token) => self.live_token(token, scope),
        }
    }

    /// The token for the page that starts at `offset`, issued now.
    pub(super) fn next_token(&self, scope: &str, offset: u64) -> String {
        encode_page_token(scope, offset, self.started.elapsed().as_millis())
    }
}

/// `POST /oauth/token`: Server-to-Server OAuth, `grant_type=account_credentials`.
pub(super) async fn issue_token(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.token_requests.fetch_add(1, Ordering::SeqCst);
    let oauth_error = |status: StatusCode, error: &str, reason: &str| {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "reason": reason, "error": error }).to_string(),
        )
            .into_response()
    };
    let Some((account_id, client_id, client_secret)) = &shared.config.oauth else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "OAuth is not enabled on this fake.",
        );
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    if basic.as_deref() != Some(&format!("{client_id}:{client_secret}")) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client_id or client_secret",
        );
    }
    let mut form: HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    if let Some(query) = uri.query() {
        form.extend(url::form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    if form.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant type",
        );
    }
    if form.get("account_id") != Some(account_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid account_id",
        );
    }
    let number = shared.token_requests.load(Ordering::SeqCst);
    let token = format!("fake-s2s-{number}-{:016x}", fastrand::u64(..));
    let lifetime = Duration::from_secs(shared.config.oauth_expires_in);
    // A lifetime beyond what the clock can hold (`expires_in` up to u64::MAX) means a
    // token that does not expire, not a panic in the handler.
    let now = Instant::now();
    let expires = now
        .checked_add(lifetime)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
    lock(&shared.issued).insert(token.clone(), expires);
    (
        [(header::CONTENT_TYPE, "application/json")],
        json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": shared.config.oauth_expires_in,
            "scope": "dashboard_webinars:read:admin",
        })
        .to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_refuse_garbage() {
        let token = encode_page_token("a\nb", 600, 12345);
        assert_eq!(decode_page_token(&token), Some(("a\nb".into(), 600, 12345)));
        assert_eq!(decode_page_token("not a token"), None);
    }

    #[test]
    fn scopes_of_different_endpoints_or_queries_differ() {
        let a = page_scope("metrics/webinars/participants", &["123", "past"]);
        let b = page_scope("metrics/meetings/participants", &["123", "past"]);
        let c = page_scope("metrics/webinars/participants", &["123\",\"past"]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        let token = encode_page_token(&a, 30, 1);
        assert_eq!(decode_page_token(&token), Some((a, 30, 1)));
    }
}
