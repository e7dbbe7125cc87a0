//! The pagination core: token in, page out, for any list of rows.
//!
//! It knows nothing of participants. An endpoint supplies a function that fetches the page
//! for a token, split into rows but not decoded ([`FetchPage`]), and the name of its
//! request. The core chains the tokens lazily, refuses a token that repeats, stops after an
//! error, applies a row filter and a limit at page level (so that read-ahead knows when to
//! stop), can read ahead on a task of its own that only fetches, and keeps the position
//! ([`Checkpoint`]) while rows are decoded and handed out one by one on the consumer's side.
//! Resuming from a checkpoint whose page token has died re-walks the pages already done
//! and checks them against their digests.

mod fetcher;
mod items;
mod pages;
mod read_ahead;
#[cfg(test)]
mod tests;
mod walk;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};

use crate::checkpoint::Checkpoint;
use crate::envelope::RawPage;
use crate::error::Result;

pub(crate) use fetcher::fetcher;
pub(crate) use items::Items;
pub use pages::PageStream;
use read_ahead::ReadAhead;
use walk::walk;

/// The most pages a stream reads ahead.
pub const MAX_PREFETCH: usize = 64;

/// How long Zoom keeps a `next_page_token` alive.
const TOKEN_LIFETIME: chrono::Duration = chrono::Duration::minutes(15);

/// One page of a token-paginated Zoom list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items, after any client-side filter.
    pub items: Vec<T>,
    /// The token this page was requested with (`None` for a list's first page).
    pub token: Option<String>,
    /// The token of the next page; `None` on the last page.
    pub next_page_token: Option<String>,
    /// How many records Zoom said the whole list has, when it said.
    pub total_records: Option<u64>,
}

/// Fetches the page for a token; the second argument is the page's number in this stream
/// (1-based), for error messages and tracing.
pub(crate) type FetchPage =
    Arc<dyn Fn(Option<String>, u64) -> BoxFuture<'static, Result<RawPage>> + Send + Sync>;

/// A client-side row filter, on a row's JSON text.
pub(crate) type Filter = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Where a walk starts.
#[derive(Debug, Clone)]
pub(crate) enum Start {
    First,
    /// A saved `next_page_token`.
    Token(String),
    Checkpoint(Checkpoint),
}

/// Everything the core needs to walk one list.
pub(crate) struct Plan {
    pub fetch: FetchPage,
    /// The request's name, kept in checkpoints.
    pub request: String,
    pub start: Start,
    pub filter: Option<Filter>,
    /// Stop after this many (filtered) items in all, requesting no page beyond the one
    /// holding the last of them.
    pub limit: Option<u64>,
    /// How many pages to fetch ahead of the caller (0: only on demand).
    pub prefetch: usize,
}

/// A page as the walk hands it over.
struct Fetched {
    raw: RawPage,
    /// The token it was requested with, and when that token was handed out.
    token: Option<String>,
    token_received: Option<DateTime<Utc>>,
    received: DateTime<Utc>,
    /// Which rows the filter keeps (`None`: all).
    kept: Option<Vec<bool>>,
    /// Rows consumed before a resume: skipped, already checked against the checkpoint.
    skip: usize,
    /// The digest of all the page's rows, for the checkpoint: computed where the page is
    /// fetched (on the read-ahead task, when there is one), not row by row on the
    /// consumer's side.
    digest: u64,
}

impl Plan {
    /// The pages of the list, lazily: nothing is requested before the first poll, and with
    /// `prefetch == 0` each page is requested only when the previous one was taken.
    fn into_pages(self) -> BoxStream<'static, Result<Fetched>> {
        let prefetch = self.prefetch.min(MAX_PREFETCH);
        let pages = walk(self).boxed();
        if prefetch == 0 {
            pages
        } else {
            ReadAhead::Idle {
                pages,
                depth: prefetch,
            }
            .boxed()
        }
    }
}

/// A walk not started yet, running, or over.
enum State {
    /// Not polled yet: the plan can still change.
    Planned(Plan),
    Running(BoxStream<'static, Result<Fetched>>),
    Finished,
}

impl State {
    /// The pages, started on first use; `None` once finished.
    fn pages(&mut self) -> Option<&mut BoxStream<'static, Result<Fetched>>> {
        if let State::Planned(_) = self {
            let State::Planned(plan) = std::mem::replace(self, State::Finished) else {
                unreachable!("matched Planned just above");
            };
            *self = State::Running(plan.into_pages());
        }
        match self {
            State::Running(pages) => Some(pages),
            _ => None,
        }
    }
}
