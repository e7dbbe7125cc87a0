//! The page-level view of a list.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::stream::{FusedStream, Stream, StreamExt};

use super::{Page, Plan, State};
use crate::error::Result;
use crate::row::Row;

/// The page-level view of a list: each page with its token and `total_records`.
///
/// Lazy like the item stream; an error ends it. A caller that checkpoints per page saves
/// [`Page::next_page_token`] after handling a page.
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<T> {
    state: State,
    _rows: PhantomData<fn() -> T>,
}

impl<T: Row> PageStream<T> {
    pub(crate) fn new(plan: Plan) -> Self {
        PageStream {
            state: State::Planned(plan),
            _rows: PhantomData,
        }
    }
}

impl<T: Row> Stream for PageStream<T> {
    type Item = Result<Page<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(pages) = this.state.pages() else {
            return Poll::Ready(None);
        };
        let next = ready!(pages.poll_next_unpin(cx));
        if !matches!(next, Some(Ok(_))) {
            this.state = State::Finished;
        }
        Poll::Ready(next.map(|page| {
            page.map(|page| {
                let items = (page.skip..page.raw.rows.len())
                    .filter(|i| page.kept.as_ref().is_none_or(|kept| kept[*i]))
                    .map(|i| T::from_row(&page.raw, i))
                    .collect();
                Page {
                    items,
                    token: page.token,
                    next_page_token: page.raw.next_page_token,
                    total_records: page.raw.total_records,
                }
            })
        }))
    }
}

impl<T: Row> FusedStream for PageStream<T> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Finished)
    }
}

impl<T> std::fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream").finish_non_exhaustive()
    }
}

impl<T> Unpin for PageStream<T> {}
