//! A token or secret held so that it is never shown: a leaf below auth, redaction and
//! the request layer.

use std::sync::Arc;

/// A token or secret: usable, never shown. `Debug` prints `Secret([redacted])`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(Arc<str>);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(Arc::from(value.into()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}
