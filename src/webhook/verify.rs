//! [`Verifier`]: one Zoom webhook delivery checked (size, timestamp, signature, JSON) and
//! read, with no HTTP server attached.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::event::ParticipantEvent;
use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// The largest body a [`Verifier`] reads by default: 64 KiB. Zoom's participant events
/// are one or two KiB; a cap this size refuses a flood of large bodies before any HMAC
/// work, and bounds what each open connection of the listener can hold.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// How far `x-zm-request-timestamp` may be from now by default: 5 minutes, either way.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The header that carries the signature: `v0=` and 64 hex digits.
pub const SIGNATURE_HEADER: &str = "x-zm-signature";
/// The header that carries the request's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "x-zm-request-timestamp";

/// Request headers, from whatever HTTP library received them.
///
/// Implemented for `http::HeaderMap` (axum's, hyper's and reqwest's), and for name–value
/// pairs in a slice, an array, a `Vec`, a `HashMap` or a `BTreeMap` (actix, or anything
/// else: collect the two headers into a `[(&str, &str)]`). Names are matched without regard
/// to case.
pub trait Headers {
    /// The value of header `name` (lowercase), if present.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl Headers for reqwest::header::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(|v| v.as_bytes())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self[..].header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self[..].header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, S> Headers for std::collections::HashMap<K, V, S> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for std::collections::BTreeMap<K, V> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

/// Why a delivery was refused. Never holds the secret, a header's value or the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The body is larger than the cap.
    #[error("the body exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// `x-zm-signature` or `x-zm-request-timestamp` is missing.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    /// `x-zm-request-timestamp` is not a Unix time in seconds.
    #[error("the x-zm-request-timestamp header is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is outside the window: a replay, or a clock far off.
    #[error("the request timestamp is {seconds} s from now, outside the {window} s window")]
    Stale {
        /// How far from now, in seconds (negative: in the past).
        seconds: i64,
        /// The window, in seconds.
        window: u64,
    },
    /// The signature is not `v0=` + HMAC-SHA256 of this body with the secret token.
    #[error("the x-zm-signature does not match the body")]
    BadSignature,
    /// Signed, but not a Zoom event: invalid JSON, or no `event`/`event_ts`.
    #[error("{0}")]
    BadJson(String),
}

impl Refusal {
    /// The HTTP status to answer with: 413 for a body too large, 400 for bad JSON, 401 for
    /// everything about the signature.
    pub fn http_status(&self) -> u16 {
        match self {
            Refusal::BodyTooLarge { .. } => 413,
            Refusal::BadJson(_) => 400,
            _ => 401,
        }
    }
}

/// A delivery that passed every check.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Delivery {
    /// Zoom's `endpoint.url_validation`: answer 200 with [`body`](Delivery::response_body).
    UrlValidation {
        /// The `plainToken` Zoom sent.
        plain_token: String,
        /// hex(HMAC-SHA256(secret token, plainToken)).
        encrypted_token: String,
    },
    /// An event (joined, left, or another kind kept). Answer 200 or 204 within 3 seconds.
    Event(Box<ParticipantEvent>),
}

impl Delivery {
    /// The JSON body to answer with: `{"plainToken","encryptedToken"}` for a URL
    /// validation; `None` for an event (an empty 200 or 204 will do).
    pub fn response_body(&self) -> Option<String> {
        match self {
            Delivery::UrlValidation {
                plain_token,
                encrypted_token,
            } => Some(
                serde_json::json!({
                    "plainToken": plain_token,
                    "encryptedToken": encrypted_token,
                })
                .to_string(),
            ),
            Delivery::Event(_) => None,
        }
    }
}

/// Checks Zoom webhook deliveries against the app's secret token, with no HTTP server of
/// its own: give it the headers and the raw body from any framework.
///
/// A delivery passes when its body is at most the cap ([`DEFAULT_MAX_BODY_BYTES`]),
/// `x-zm-request-timestamp` is within 5 minutes of now ([`DEFAULT_WINDOW`], against
/// replays), `x-zm-signature` is `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{body}`)
/// over the bytes as received (compared in constant time), and the body is a Zoom event in
/// JSON. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Verifier {
    key: HmacSha256,
    max_body_bytes: usize,
    window: Duration,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secret_token", &"[redacted]")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("window", &self.window)
            .finish()
    }
}

impl Verifier {
    /// A verifier for the app's secret token (Zoom Marketplace, the app's *Feature* page,
    /// *Secret Token*).
    pub fn new(secret_token: impl AsRef<[u8]>) -> Self {
        Verifier {
            // HMAC takes a key of any length: this never fails.
            key: HmacSha256::new_from_slice(secret_token.as_ref())
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length")),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            window: DEFAULT_WINDOW,
        }
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// How far the request timestamp may be from now (default [`DEFAULT_WINDOW`]).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The body cap in force.
    pub fn body_cap(&self) -> usize {
        self.max_body_bytes
    }

    /// Checks one delivery now: its headers and its raw body exactly as received (bytes,
    /// `Bytes`, a `Vec<u8>`, a string). An error is [`Error::Webhook`] with the
    /// [`Refusal`].
    pub fn verify<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: impl AsRef<[u8]>,
    ) -> Result<Delivery> {
        self.verify_at(headers, body, chrono::Utc::now().timestamp())
    }

    /// Checks one delivery as if the time were `now` (Unix seconds): for tests, and for
    /// replaying a recorded delivery.
    pub fn verify_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: impl AsRef<[u8]>,
        now: i64,
    ) -> Result<Delivery> {
        self.check(headers, body.as_ref(), now)
            .map_err(Error::Webhook)
    }

    fn check<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: i64,
    ) -> std::result::Result<Delivery, Refusal> {
        if body.len() > self.max_body_bytes {
            return Err(Refusal::BodyTooLarge {
                limit: self.max_body_bytes,
            });
        }
        let timestamp = headers
            .header(TIMESTAMP_HEADER)
            .ok_or(Refusal::MissingHeader(TIMESTAMP_HEADER))?;
        let signature = headers
            .header(SIGNATURE_HEADER)
            .ok_or(Refusal::MissingHeader(SIGNATURE_HEADER))?;
        let seconds = std::str::from_utf8(timestamp)
            .ok()
            .filter(|t| !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or(Refusal::BadTimestamp)?;
        let skew = seconds - now;
        let window = self.window.as_secs();
        if skew.unsigned_abs() > window {
            return Err(Refusal::Stale {
                seconds: skew,
                window,
            });
        }
        let expected = signature
            .strip_prefix(b"v0=")
            .and_then(decode_hex::<32>)
            .ok_or(Refusal::BadSignature)?;
        let mut mac = self.key.clone();
        mac.update(b"v0:");
        mac.update(timestamp);
        mac.update(b":");
        mac.update(body);
        mac.verify_slice(&expected)
            .map_err(|_| Refusal::BadSignature)?;
        self.read(body)
    }

    fn read(&self, body: &[u8]) -> std::result::Result<Delivery, Refusal> {
        let text = std::str::from_utf8(body)
            .map_err(|_| Refusal::BadJson("the body is not UTF-8".into()))?;
        #[derive(Deserialize)]
        struct Validation {
            event: Option<String>,
            payload: Option<ValidationPayload>,
        }
        #[derive(Deserialize)]
        struct ValidationPayload {
            #[serde(rename = "plainToken")]
            plain_token: Option<String>,
        }
        // Only a body that names the validation event is read as one (any other value of
        // `payload` would fail this reading and is left to the event's).
        if text.contains("endpoint.url_validation")
            && let Ok(Validation {
                event: Some(event),
                payload,
            }) = serde_json::from_str::<Validation>(text)
            && event == "endpoint.url_validation"
        {
            let plain_token = payload
                .and_then(|p| p.plain_token)
                .ok_or_else(|| Refusal::BadJson("the URL validation has no plainToken".into()))?;
            let encrypted_token = self.encrypted_token(&plain_token);
            return Ok(Delivery::UrlValidation {
                plain_token,
                encrypted_token,
            });
        }
        ParticipantEvent::from_body(text)
            .map(|event| Delivery::Event(Box::new(event)))
            .map_err(Refusal::BadJson)
    }

    /// The `x-zm-signature` Zoom sends with `body` at `timestamp`: `v0=` + hex
    /// HMAC-SHA256(secret, `v0:{timestamp}:{body}`). For tests and for sending yourself a
    /// delivery; verifying does not use it (it compares bytes in constant time).
    pub fn sign(&self, timestamp: &str, body: impl AsRef<[u8]>) -> String {
        let mut mac = self.key.clone();
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body.as_ref());
        format!("v0={}", encode_hex(&mac.finalize().into_bytes()))
    }

    /// hex(HMAC-SHA256(secret token, `plain_token`)): the `encryptedToken` of a URL
    /// validation answer.
    pub fn encrypted_token(&self, plain_token: &str) -> String {
        let mut mac = self.key.clone();
        mac.update(plain_token.as_bytes());
        encode_hex(&mac.finalize().into_bytes())
    }
}

/// Lowercase hex.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Exactly `N` bytes of hex (either case); `None` for any other text.
fn decode_hex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0; N];
    for (i, pair) in text.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}
