//! The crate's one lock helper: a leaf that every layer may use.

use std::sync::{Mutex, MutexGuard};

/// A lock that a panic elsewhere does not poison for good: every value guarded this way is
/// valid after any single update.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
