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

use std::collections::HashSet;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, FusedStream, Stream, StreamExt};
use futures::{FutureExt, TryFutureExt};
use tokio::sync::mpsc;

use crate::checkpoint::{Checkpoint, Position};
use crate::envelope::{Digest, RawPage};
use crate::error::{Error, Result};

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

/// A row type a stream can hand out: [`Participant`](crate::Participant),
/// [`Webinar`](crate::Webinar) or [`RawRow`](crate::RawRow). Sealed: built from one row of
/// a fetched page, which only this crate sees.
pub trait FromRow: Sized + Send + 'static + sealed::Sealed {
    #[doc(hidden)]
    fn from_row(page: &RawPage, index: usize) -> Self;
}

pub(crate) mod sealed {
    /// Keeps [`FromRow`](super::FromRow) to this crate's row types.
    pub trait Sealed {}
    impl Sealed for crate::model::Participant {}
    impl Sealed for crate::model::Webinar {}
    impl Sealed for crate::envelope::RawRow {}
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

/// Fetches pages, numbering them, turning a panic into an error, refusing a repeated token.
struct Walker {
    fetch: FetchPage,
    number: u64,
    used: HashSet<String>,
}

impl Walker {
    async fn page(&mut self, token: Option<String>) -> Result<RawPage> {
        self.number += 1;
        let future = (self.fetch)(token, self.number);
        AssertUnwindSafe(future)
            .catch_unwind()
            .unwrap_or_else(|panic| Err(Error::internal(panic)))
            .await
    }

    /// Whether `next` was handed out before in this walk.
    fn repeats(&mut self, next: &Option<String>) -> bool {
        next.as_ref().is_some_and(|t| !self.used.insert(t.clone()))
    }
}

fn all_rows_digest(raw: &RawPage, rows: usize) -> Option<u64> {
    let mut digest = Digest::default();
    for range in raw.rows.get(..rows)? {
        digest.add(&raw.body[range.clone()]);
    }
    Some(digest.value())
}

fn walk(plan: Plan) -> impl Stream<Item = Result<Fetched>> + Send {
    let Plan {
        fetch,
        request,
        start,
        filter,
        limit,
        ..
    } = plan;
    async_stream::stream! {
        let mut walker = Walker { fetch, number: 0, used: HashSet::new() };
        let mut kept_total = 0u64;
        let (mut token, mut token_received, first) = match start {
            Start::First => (None, None, None),
            Start::Token(token) => (Some(token), None, None),
            Start::Checkpoint(checkpoint) => {
                if let Err(err) = checkpoint.check(&request) {
                    yield Err(err);
                    return;
                }
                let position = checkpoint.position();
                if position.finished {
                    return;
                }
                kept_total = position.yielded;
                match resume(&mut walker, &position).await {
                    Ok(first) => (first.token.clone(), first.token_received, Some(first)),
                    Err(err) => {
                        yield Err(err);
                        return;
                    }
                }
            }
        };
        walker.used.extend(token.clone());
        let mut first = first;
        loop {
            let mut page = match first.take() {
                Some(page) => page,
                None => match walker.page(token.clone()).await {
                    Ok(raw) => Fetched {
                        raw,
                        token: token.take(),
                        token_received,
                        received: Utc::now(),
                        kept: None,
                        skip: 0,
                        digest: 0,
                    },
                    Err(err) => {
                        yield Err(err);
                        return;
                    }
                },
            };
            let rows = page.skip..page.raw.rows.len();
            let kept = match &filter {
                Some(filter) => {
                    let kept: Vec<bool> = (0..page.raw.rows.len())
                        .map(|i| filter(page.raw.row(i)))
                        .collect();
                    kept_total += kept[rows].iter().filter(|k| **k).count() as u64;
                    Some(kept)
                }
                None => {
                    kept_total += rows.len() as u64;
                    None
                }
            };
            page.kept = kept;
            page.digest = all_rows_digest(&page.raw, page.raw.rows.len()).unwrap_or_default();
            let next = page.raw.next_page_token.clone();
            let repeated = walker.repeats(&next);
            token_received = Some(page.received);
            yield Ok(page);
            if limit.is_some_and(|limit| kept_total >= limit) {
                return;
            }
            if repeated {
                yield Err(Error::RepeatedPageToken);
                return;
            }
            match next {
                Some(next) => token = Some(next),
                None => return,
            }
        }
    }
}

/// The page in progress at `position`, fetched with its saved token while that lives, or
/// reached again by re-walking the pages done and checking each against its digest.
async fn resume(walker: &mut Walker, position: &Position) -> Result<Fetched> {
    let expired = position
        .token_received
        .is_some_and(|at| Utc::now() - at >= TOKEN_LIFETIME);
    // A stream that started at a bare `next_page_token` (no pages done) knows nothing of
    // the pages before it and cannot re-walk: its token is tried whatever its age.
    let can_rewalk = position.pages_done > 0;
    if position.token.is_none() || !expired || !can_rewalk {
        match walker.page(position.token.clone()).await {
            Ok(raw) => {
                return in_progress(
                    raw,
                    position,
                    position.token.clone(),
                    position.token_received,
                );
            }
            Err(err) if can_rewalk && err.is_expired_page_token() => {}
            Err(err) => return Err(err),
        }
    }
    tracing::info!(
        pages = position.pages_done,
        "the saved page token has expired: re-walking the pages already done (each counts against the daily budget)"
    );
    let mut token = None;
    let mut received = None;
    let mut chain = Position::default().pages_digest;
    for page in 1..=position.pages_done {
        let raw = walker.page(token.clone()).await?;
        let digest = all_rows_digest(&raw, raw.rows.len()).unwrap_or_default();
        chain = Digest::chain(chain, digest);
        received = Some(Utc::now());
        token = raw.next_page_token.clone();
        if token.is_none() || walker.repeats(&token) {
            // The list ends (or loops) before the page the checkpoint was on.
            return Err(Error::ListChanged { page: page + 1 });
        }
    }
    if chain != position.pages_digest {
        return Err(Error::ListChanged {
            page: position.pages_done,
        });
    }
    let raw = walker.page(token.clone()).await?;
    in_progress(raw, position, token, received)
}

/// The page in progress, checked against the rows of it already consumed.
fn in_progress(
    raw: RawPage,
    position: &Position,
    token: Option<String>,
    token_received: Option<DateTime<Utc>>,
) -> Result<Fetched> {
    let skip = usize::try_from(position.rows_done).unwrap_or(usize::MAX);
    if skip > 0 && all_rows_digest(&raw, skip) != Some(position.rows_digest) {
        return Err(Error::ListChanged {
            page: position.pages_done + 1,
        });
    }
    Ok(Fetched {
        raw,
        token,
        token_received,
        received: Utc::now(),
        kept: None,
        skip,
        digest: 0,
    })
}

/// What the read-ahead task sends: a page, or the news that the walk is over. A channel
/// that closes without the latter means the task died.
enum Message {
    Page(Result<Fetched>),
    End,
}

/// Reads up to `depth` pages ahead on a task of its own, started on the first poll and
/// aborted when the stream is dropped. A slot is reserved before each fetch, so no more
/// than `depth` pages are ever fetched or waiting beyond the one the caller holds.
enum ReadAhead {
    Idle {
        pages: BoxStream<'static, Result<Fetched>>,
        depth: usize,
    },
    Running {
        receiver: mpsc::Receiver<Message>,
        _task: AbortOnDrop,
    },
    Done,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Stream for ReadAhead {
    type Item = Result<Fetched>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let ReadAhead::Idle { .. } = this {
            let ReadAhead::Idle { mut pages, depth } = std::mem::replace(this, ReadAhead::Done)
            else {
                unreachable!("matched Idle just above");
            };
            let (sender, receiver) = mpsc::channel(depth);
            let task = tokio::spawn(async move {
                while let Ok(slot) = sender.reserve().await {
                    match pages.next().await {
                        Some(page) => slot.send(Message::Page(page)),
                        None => {
                            slot.send(Message::End);
                            return;
                        }
                    }
                }
            });
            *this = ReadAhead::Running {
                receiver,
                _task: AbortOnDrop(task),
            };
        }
        let ReadAhead::Running { receiver, .. } = this else {
            return Poll::Ready(None);
        };
        match ready!(receiver.poll_recv(cx)) {
            Some(Message::Page(page)) => Poll::Ready(Some(page)),
            Some(Message::End) => {
                *this = ReadAhead::Done;
                Poll::Ready(None)
            }
            None => {
                *this = ReadAhead::Done;
                Poll::Ready(Some(Err(Error::Internal(
                    "the read-ahead task stopped before the list ended (it panicked or its runtime shut down)"
                        .into(),
                ))))
            }
        }
    }
}

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
impl<T> Unpin for PageStream<T> {}

impl<T: FromRow> Items<T> {
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
        if let (Some(pages), true) = (self.state.pages(), self.page.is_none()) {
            if let Poll::Ready(next) = pages.poll_next_unpin(cx) {
                match next {
                    Some(Ok(page)) => self.start_page(page),
                    // Kept for the next poll of the stream, which yields it.
                    Some(Err(err)) => self.pending_error = Some(err),
                    None => self.finish(),
                }
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

impl<T: FromRow> Stream for Items<T> {
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

impl<T: FromRow> FusedStream for Items<T> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Finished)
    }
}

/// The page-level view of a list: each page with its token and `total_records`.
///
/// Lazy like the item stream; an error ends it. A caller that checkpoints per page saves
/// [`Page::next_page_token`] after handling a page.
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<T> {
    state: State,
    _rows: PhantomData<fn() -> T>,
}

impl<T: FromRow> PageStream<T> {
    pub(crate) fn new(plan: Plan) -> Self {
        PageStream {
            state: State::Planned(plan),
            _rows: PhantomData,
        }
    }
}

impl<T: FromRow> Stream for PageStream<T> {
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

impl<T: FromRow> FusedStream for PageStream<T> {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Finished)
    }
}

impl<T> std::fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::split;
    use bytes::Bytes;
    use futures::TryStreamExt;
    use std::sync::Mutex;

    impl sealed::Sealed for u32 {}
    impl FromRow for u32 {
        fn from_row(page: &RawPage, index: usize) -> Self {
            page.row(index).parse().unwrap_or(u32::MAX)
        }
    }

    type Log = Arc<Mutex<Vec<Option<String>>>>;

    /// A scripted list: page `i` holds the given items and points at token `t{i+1}`.
    fn scripted(pages: Arc<Mutex<Vec<Vec<u32>>>>, log: Log) -> FetchPage {
        Arc::new(move |token: Option<String>, number| {
            log.lock().unwrap().push(token.clone());
            let pages = pages.lock().unwrap().clone();
            let index = token
                .as_deref()
                .map_or(0, |t| t[1..].parse::<usize>().unwrap());
            let next = (index + 1 < pages.len()).then(|| format!("t{}", index + 1));
            let body = serde_json::json!({"rows": pages[index], "next_page_token": next});
            Box::pin(async move { split(Bytes::from(body.to_string()), "rows", number) })
        })
    }

    fn plan(pages: Vec<Vec<u32>>, log: Log) -> Plan {
        Plan {
            fetch: scripted(Arc::new(Mutex::new(pages)), log),
            request: "scripted".into(),
            start: Start::First,
            filter: None,
            limit: None,
            prefetch: 0,
        }
    }

    fn log() -> Log {
        Arc::new(Mutex::new(Vec::new()))
    }

    #[tokio::test]
    async fn items_come_in_order_and_the_cursor_moves_at_page_ends() {
        let log = log();
        let mut items = Items::<u32>::new(plan(vec![vec![1, 2], vec![], vec![3]], log.clone()));
        assert!(
            log.lock().unwrap().is_empty(),
            "nothing before the first poll"
        );
        assert_eq!(items.try_next().await.unwrap(), Some(1));
        assert_eq!(items.cursor(), None, "page 1 is not finished");
        assert_eq!(items.try_next().await.unwrap(), Some(2));
        assert_eq!(items.cursor(), Some("t1"), "page 1 finished");
        assert_eq!(*log.lock().unwrap(), vec![None]);
        assert_eq!(items.try_next().await.unwrap(), Some(3));
        assert_eq!(items.cursor(), None, "last page finished");
        assert_eq!(items.try_next().await.unwrap(), None);
        assert_eq!(
            *log.lock().unwrap(),
            vec![None, Some("t1".into()), Some("t2".into())]
        );
    }

    #[tokio::test]
    async fn limit_requests_no_page_beyond_the_one_holding_the_last_item() {
        for prefetch in [0, 1, 3] {
            let log = log();
            let mut p = plan(vec![vec![1, 2], vec![3, 4], vec![5]], log.clone());
            p.limit = Some(3);
            p.prefetch = prefetch;
            let got: Vec<u32> = Items::<u32>::new(p).try_collect().await.unwrap();
            assert_eq!(got, vec![1, 2, 3]);
            tokio::task::yield_now().await;
            assert_eq!(
                *log.lock().unwrap(),
                vec![None, Some("t1".into())],
                "prefetch {prefetch}"
            );
        }
    }

    #[tokio::test]
    async fn a_repeated_token_is_an_error_not_a_loop() {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let fetch: FetchPage = Arc::new(move |_token, number| {
            *counter.lock().unwrap() += 1;
            let body = Bytes::from_static(br#"{"rows":[7],"next_page_token":"same"}"#);
            Box::pin(async move { split(body, "rows", number) })
        });
        let mut p = plan(vec![], log());
        p.fetch = fetch;
        let mut items = Items::<u32>::new(p);
        assert_eq!(items.try_next().await.unwrap(), Some(7));
        assert_eq!(items.try_next().await.unwrap(), Some(7));
        assert!(matches!(
            items.try_next().await,
            Err(Error::RepeatedPageToken)
        ));
        assert_eq!(items.try_next().await.unwrap(), None);
        assert_eq!(*calls.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_panic_while_fetching_is_an_error_with_or_without_read_ahead() {
        for prefetch in [0, 2] {
            let fetch: FetchPage =
                Arc::new(|_token, _number| Box::pin(async { panic!("an Instant overflowed") }));
            let mut p = plan(vec![], log());
            p.fetch = fetch;
            p.prefetch = prefetch;
            let mut items = Items::<u32>::new(p);
            let err = items.try_next().await.unwrap_err();
            assert!(matches!(err, Error::Internal(_)), "{err:?}");
            assert_eq!(items.try_next().await.unwrap(), None);
        }
    }

    #[tokio::test]
    async fn a_checkpoint_taken_anywhere_resumes_exactly_after_the_last_item() {
        let pages = vec![vec![1, 2, 3], vec![4, 5], vec![], vec![6, 7]];
        let all: Vec<u32> = (1..=7).collect();
        for taken_after in 0..=all.len() {
            for prefetch in [0, 2] {
                let mut p = plan(pages.clone(), log());
                p.prefetch = prefetch;
                let mut items = Items::<u32>::new(p);
                let mut got = Vec::new();
                for _ in 0..taken_after {
                    got.push(items.try_next().await.unwrap().unwrap());
                }
                let checkpoint = items.checkpoint();
                drop(items);
                let text = serde_json::to_string(&checkpoint).unwrap();
                let mut p = plan(pages.clone(), log());
                p.start = Start::Checkpoint(serde_json::from_str(&text).unwrap());
                let rest: Vec<u32> = Items::<u32>::new(p).try_collect().await.unwrap();
                got.extend(rest);
                assert_eq!(got, all, "after {taken_after}, prefetch {prefetch}");
            }
        }
    }

    #[tokio::test]
    async fn an_expired_token_is_re_walked_and_a_changed_list_is_an_error() {
        let pages = Arc::new(Mutex::new(vec![vec![1, 2], vec![3, 4], vec![5]]));
        let log = log();
        let fetch = {
            let scripted = scripted(pages.clone(), log.clone());
            // Tokens die: only the first page can be had without walking there.
            let dead = Arc::new(Mutex::new(false));
            let dead2 = dead.clone();
            let log = log.clone();
            let fetch: FetchPage = Arc::new(move |token: Option<String>, number| {
                if token.is_some() && *dead2.lock().unwrap() {
                    *dead2.lock().unwrap() = false;
                    log.lock().unwrap().push(token);
                    return Box::pin(async {
                        Err(Error::Api {
                            status: 400,
                            code: Some(300),
                            message: "The next page token is invalid or expired.".into(),
                        })
                    });
                }
                scripted(token, number)
            });
            (fetch, dead)
        };
        let mut p = plan(vec![], log.clone());
        p.fetch = fetch.0.clone();
        let mut items = Items::<u32>::new(p);
        for want in [1, 2, 3] {
            assert_eq!(items.try_next().await.unwrap(), Some(want));
        }
        let checkpoint = items.checkpoint();
        drop(items);
        log.lock().unwrap().clear();
        *fetch.1.lock().unwrap() = true;
        let mut p = plan(vec![], log.clone());
        p.fetch = fetch.0.clone();
        p.start = Start::Checkpoint(checkpoint.clone());
        let rest: Vec<u32> = Items::<u32>::new(p).try_collect().await.unwrap();
        assert_eq!(rest, vec![4, 5]);
        assert_eq!(
            *log.lock().unwrap(),
            vec![
                Some("t1".into()), // refused
                None,              // re-walk: page 1, checked
                Some("t1".into()), // page in progress, its row 3 checked and skipped
                Some("t2".into()),
            ]
        );

        // The list changed before the resume: an error, and nothing yielded.
        pages.lock().unwrap()[0] = vec![1, 9];
        *fetch.1.lock().unwrap() = true;
        let mut p = plan(vec![], log.clone());
        p.fetch = fetch.0.clone();
        p.start = Start::Checkpoint(checkpoint);
        let mut items = Items::<u32>::new(p);
        let err = items.try_next().await.unwrap_err();
        assert!(matches!(err, Error::ListChanged { page: 1 }), "{err:?}");
        assert_eq!(items.try_next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_checkpoint_of_another_request_is_refused_without_a_request() {
        let log = log();
        let checkpoint = Checkpoint::start("another".into());
        let mut p = plan(vec![vec![1]], log.clone());
        p.start = Start::Checkpoint(checkpoint);
        let err = Items::<u32>::new(p).try_next().await.unwrap_err();
        assert!(matches!(err, Error::Checkpoint(_)), "{err:?}");
        assert!(log.lock().unwrap().is_empty());
    }
}
