//! Access tokens: a fixed one, or Server-to-Server OAuth with a cached, refreshed token.

use std::time::Duration;

use base64::Engine;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::body::read_capped;
use crate::encode::form_component;
use crate::envelope::describe;
use crate::error::{Error, Result};
use crate::redact::Redactor;
pub(crate) use crate::secret::Secret;

/// Refresh this long before Zoom's `expires_in` runs out, so that no request goes out with
/// a token about to die on the way.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The longest token lifetime believed, in seconds.
const MAX_LIFETIME: u64 = 24 * 3600;

/// The most of a token endpoint's answer that is read.
const TOKEN_BODY_CAP: usize = 64 * 1024;

/// Where access tokens come from.
#[derive(Debug)]
pub(crate) enum Auth {
    Fixed(Secret),
    OAuth(Box<ServerToServer>),
}

#[derive(Debug)]
pub(crate) struct ServerToServer {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub token_url: reqwest::Url,
    /// Held across a fetch, so only one refresh is ever in flight.
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl ServerToServer {
    pub(crate) fn new(
        account_id: String,
        client_id: String,
        client_secret: Secret,
        token_url: reqwest::Url,
    ) -> Self {
        ServerToServer {
            account_id,
            client_id,
            client_secret,
            token_url,
            cached: Mutex::new(None),
        }
    }
}

impl Auth {
    pub(crate) fn is_oauth(&self) -> bool {
        matches!(self, Auth::OAuth(_))
    }

    /// A token to send now: the cached one, or a fresh one when it is about to expire.
    pub(crate) async fn token(&self, http: &reqwest::Client, timeout: Duration) -> Result<Secret> {
        let oauth = match self {
            Auth::Fixed(token) => return Ok(token.clone()),
            Auth::OAuth(oauth) => oauth,
        };
        let mut cached = oauth.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let fresh = oauth.fetch(http, timeout).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets `rejected` (Zoom answered 401/124 to it), unless another caller has already
    /// replaced it: 32 streams that see the same rejection cause one refresh, not 32.
    pub(crate) async fn reject(&self, rejected: &Secret) {
        if let Auth::OAuth(oauth) = self {
            let mut cached = oauth.cached.lock().await;
            if cached.as_ref().is_some_and(|c| &c.token == rejected) {
                *cached = None;
            }
        }
    }
}

impl ServerToServer {
    async fn fetch(&self, http: &reqwest::Client, timeout: Duration) -> Result<Cached> {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.client_id,
            self.client_secret.expose()
        ));
        let mut authorization = reqwest::header::HeaderValue::try_from(format!("Basic {basic}"))
            .map_err(|_| {
                oauth_error(
                    None,
                    None,
                    "the client ID holds characters a header cannot carry",
                )
            })?;
        authorization.set_sensitive(true);
        let body = format!(
            "grant_type=account_credentials&account_id={}",
            form_component(&self.account_id)
        );
        let started = Instant::now();
        let response = http
            .post(self.token_url.clone())
            .header(reqwest::header::AUTHORIZATION, authorization)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .timeout(timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| connection_error(e, timeout))?;
        let status = response.status();
        // A token answer is a few hundred bytes: a bigger one (or a gzip bomb) is refused
        // while it is read.
        let bytes = read_capped(response, TOKEN_BODY_CAP, timeout)
            .await
            .map_err(|e| match e {
                Error::BodyTooLarge { .. } => oauth_error(
                    Some(status.as_u16()),
                    None,
                    "the token endpoint's answer exceeds 64 KiB",
                ),
                other => oauth_error(None, None, &format!("token endpoint unreachable: {other}")),
            })?;
        let redactor = Redactor::for_oauth(&self.client_id, &self.client_secret);
        if status.is_redirection() {
            // Not a refusal: the endpoint sent us elsewhere, and the credentials are never
            // carried to wherever it points.
            return Err(oauth_error(
                Some(status.as_u16()),
                None,
                &format!(
                    "the token endpoint answered a redirect ({}), which is never followed; check the token URL",
                    status.as_u16()
                ),
            ));
        }
        if !status.is_success() {
            let answer: TokenError = serde_json::from_slice(&bytes).unwrap_or_default();
            let reason = answer
                .reason
                .or(answer.error_description)
                .unwrap_or_else(|| {
                    if status.is_server_error() {
                        // Not a refusal: the endpoint failed, and may answer later.
                        "the token endpoint failed (a server error, not a refusal)".to_owned()
                    } else {
                        "the token endpoint refused the credentials".to_owned()
                    }
                });
            let reason = redactor.clean(&reason, 300);
            let error = answer.error.map(|e| redactor.clean(&e, 100));
            return Err(oauth_error(Some(status.as_u16()), error, &reason));
        }
        let answer: TokenAnswer = serde_json::from_slice(&bytes).map_err(|e| {
            oauth_error(
                Some(status.as_u16()),
                None,
                &format!(
                    "the token endpoint's answer is not a token: {}",
                    describe(&e)
                ),
            )
        })?;
        if answer.access_token.is_empty() || !is_header_safe(&answer.access_token) {
            return Err(oauth_error(
                Some(status.as_u16()),
                None,
                "the token endpoint answered an empty or malformed access_token",
            ));
        }
        // Zoom issues tokens for an hour; a lifetime beyond a day is not believed (and an
        // absurd one must not overflow the clock).
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600).min(MAX_LIFETIME));
        tracing::debug!(
            expires_in = lifetime.as_secs(),
            "fetched an OAuth access token"
        );
        Ok(Cached {
            token: Secret::new(answer.access_token),
            refresh_at: started
                .checked_add(lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2)))
                .unwrap_or(started),
        })
    }
}

fn oauth_error(status: Option<u16>, error: Option<String>, reason: &str) -> Error {
    Error::OAuth {
        status,
        error,
        reason: reason.to_owned(),
    }
}

fn connection_error(err: reqwest::Error, timeout: Duration) -> Error {
    let reason = Error::from_reqwest(err, timeout).to_string();
    oauth_error(None, None, &format!("token endpoint unreachable: {reason}"))
}

/// Whether a token can be sent in an `Authorization` header as it is.
pub(crate) fn is_header_safe(token: &str) -> bool {
    reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).is_ok()
}
