//! Reading a response body under a cap: a leaf used by the request layer and by OAuth.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::error::{Error, Result};

/// Reads a body, failing as soon as it grows past `cap` bytes (counted after gzip is
/// undone, so a compressed bomb stops at the cap too).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
    timeout: Duration,
) -> Result<Bytes> {
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Err(Error::BodyTooLarge { limit: cap });
    }
    let expected = response.content_length().unwrap_or(0) as usize;
    // A Content-Length is a claim, not a promise: reserve no more than a few MiB up front.
    let mut body = BytesMut::with_capacity(expected.min(cap).min(4 << 20));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Error::from_reqwest(e, timeout))?
    {
        if body.len() + chunk.len() > cap {
            return Err(Error::BodyTooLarge { limit: cap });
        }
        if body.is_empty() && chunk.len() >= expected {
            // The whole body in one chunk: keep reqwest's buffer instead of copying it.
            body = BytesMut::from(chunk);
            continue;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
