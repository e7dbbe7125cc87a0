//! The items of a list one by one, with the position a checkpoint saves.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::stream::{FusedStream, Stream, StreamExt};

use super::walk::all_rows_digest;
use super::{Fetched, Filter, Plan, Start, State};
use crate::checkpoint::{Checkpoint, Position};
use crate::envelope::Digest;
use crate::error::{Error, Result};
use crate::row::Row;

/// The items of a list one by one, with the resume position.
pub(crate) struct Items<T> {
    state: State,
    request: String,
    /// Where the stream stands: pages done, the page in progress and its consumed rows.
    position: Position,
    /// The page in progress and the next of its rows to look at.
    page: Option<Fetched>,
    next_row: usize,
    /// A filter added after the walk started, applied row by row here.
    late_filter: Option<Filter>,
    /// How many more items may be handed out.
    remaining: Option<u64>,
    total_records: Option<u64>,
    pages_received: u64,
    /// An error met while warming up, yielded by the next poll.
    pending_error: Option<Error>,
    _rows: PhantomData<fn() -> T>,
}

// Nothing here is ever pinned in place: pages are boxed, items moved out.
impl<T> Unpin for Items<T> {}

impl<T: Row> Items<T> {
    pub(crate) fn new(plan: Plan) -> Self {
        let position = match &plan.start {
            Start::First => Position::default(),
            Start::Token(token) => Position {
                token: Some(token.clone()),
                ..Position::default()
            },
            Start::Checkpoint(checkpoint) => checkpoint.position(),
        };
        Items {
            request: plan.request.clone(),
            remaining: plan.limit.map(|l| l.saturating_sub(position.yielded)),
            position,
            state: State::Planned(plan),
            page: None,
            next_row: 0,
            late_filter: None,
            total_records: None,
            pages_received: 0,
            pending_error: None,
            _rows: PhantomData,
        }
    }

    /// Adds a filter: at page level before the first poll (where a limit and the
    /// read-ahead see it), row by row after.
    pub(crate) fn add_filter(&mut self, filter: Filter) {
        match &mut self.state {
            State::Planned(plan) => plan.filter = Some(filter),
            _ => self.late_filter = Some(filter),
        }
    }

    pub(crate) fn cursor(&self) -> Option<&str> {
        self.position.token.as_deref()
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        let mut position = self.position.clone();
        position.rows_digest = self.rows_digest();
        Checkpoint::at(self.request.clone(), position)
    }

    /// The digest of the rows of the page in progress looked at so far, computed when it
    /// is asked for (a checkpoint is taken far less often than a row is handed out).
    fn rows_digest(&self) -> u64 {
        match &self.page {
            Some(page) if self.next_row > 0 => {
                all_rows_digest(&page.raw, self.next_row).unwrap_or(self.position.rows_digest)
            }
            _ => self.position.rows_digest,
        }
    }

    /// Starts the walk without taking an item: with read-ahead, its task starts fetching.
    pub(crate) fn warm(&mut self, cx: &mut Context<'_>) {
        if let (Some(pages), true) = (self.state.pages(), self.page.is_none())
            && let Poll::Ready(next) = pages.poll_next_unpin(cx)
        {
            match next {
                Some(Ok(page)) => self.start_page(page),
                // Kept for the next poll of the stream, which yields it.
                Some(Err(err)) => self.pending_error = Some(err),
                None => self.finish(),
            }
        }
    }

    pub(crate) fn total_records(&self) -> Option<u64> {
        self.total_records
    }

    pub(crate) fn pages_received(&self) -> u64 {
        self.pages_received
    }

    fn finish(&mut self) {
        self.position.rows_digest = self.rows_digest();
        self.state = State::Finished;
        self.page = None;
    }

    /// Marks the page in progress as done: the position moves to the next page.
    fn complete_page(&mut self) {
        let Some(page) = self.page.take() else {
            return;
        };
        self.position.pages_done += 1;
        self.position.pages_digest = Digest::chain(self.position.pages_digest, page.digest);
        self.position.rows_done = 0;
        self.position.rows_digest = 0;
        self.position.token = page.raw.next_page_token;
        self.position.token_received = Some(page.received);
        if self.position.token.is_none() {
            self.position.finished = true;
        }
    }

    /// The next kept row of the page in progress, moving the position past every row it
    /// looks at.
    fn next_in_page(&mut self) -> Option<T> {
        let page = self.page.as_ref()?;
        while self.next_row < page.raw.rows.len() {
            let index = self.next_row;
            self.next_row += 1;
            self.position.rows_done = self.next_row as u64;
            let kept = page.kept.as_ref().is_none_or(|kept| kept[index])
                && self
                    .late_filter
                    .as_ref()
                    .is_none_or(|filter| filter(page.raw.row(index)));
            if kept {
                let item = T::from_row(&page.raw, index);
                if self.next_row == page.raw.rows.len() {
                    self.complete_page();
                }
                return Some(item);
            }
        }
        self.complete_page();
        None
    }

    fn start_page(&mut self, page: Fetched) {
        self.pages_received += 1;
        self.total_records = page.raw.total_records.or(self.total_records);
        self.position.token = page.token.clone();
        self.position.token_received = page.token_received;
        self.next_row = page.skip;
        self.position.rows_done = page.skip as u64;
        self.page = Some(page);
    }
}

impl<T: Row> Stream for Items<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = &mut *self;
        if this.page.is_none()
            && let Some(err) = this.pending_error.take()
        {
            this.finish();
            return Poll::Ready(Some(Err(err)));
        }
        loop {
            if this.remaining == Some(0) && !matches!(this.state, State::Finished) {
                // The limit is reached: the position keeps pointing at what is left.
                this.finish();
            }
            if let State::Finished = this.state {
                return Poll::Ready(None);
            }
            if this.page.is_some() {
                if let Some(item) = this.next_in_page() {
                    this.position.yielded += 1;
                    if let Some(remaining) = &mut this.remaining {
                        *remaining -= 1;
                    }
                    return Poll::Ready(Some(Ok(item)));
                }
                continue;
            }
            let Some(pages) = this.state.pages() else {
                unreachable!("Finished returned above");
            };
            match ready!(pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => this.start_page(page),
                Some(Err(err)) => {
                    this.finish();
                    return Poll::Ready(Some(Err(err)));
                }
                None => {
                    this.finish();
                    return Poll::Ready(None);
                }
            }
        }
    }
}

impl<T: Row> FusedStream for Items<T> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Finished)
    }
}
