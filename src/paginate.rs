//! The pagination core: token in, page out, for any item type.
//!
//! It knows nothing of participants. An endpoint supplies a function that fetches the page
//! for a token ([`FetchPage`]); the core chains the tokens lazily, refuses a token that
//! repeats, stops after an error, applies an item filter and a limit at page level (so that
//! read-ahead knows when to stop), can read ahead on a task of its own, and keeps the resume
//! cursor while items are handed out one by one.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, FusedStream, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::error::{Error, Result};

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

impl<T> Page<T> {
    /// A page as an endpoint decoded it; an empty `next_page_token` means "last page".
    pub(crate) fn new(
        items: Vec<T>,
        next_page_token: Option<String>,
        total_records: Option<u64>,
    ) -> Self {
        Page {
            items,
            token: None,
            next_page_token: next_page_token.filter(|t| !t.is_empty()),
            total_records,
        }
    }
}

/// Fetches the page for a token; the second argument is the page's number in this stream
/// (1-based), for error messages and tracing.
pub(crate) type FetchPage<T> =
    Arc<dyn Fn(Option<String>, u64) -> BoxFuture<'static, Result<Page<T>>> + Send + Sync>;

/// A client-side item filter.
pub(crate) type Filter<T> = Arc<dyn Fn(&T) -> bool + Send + Sync>;

/// Everything the core needs to walk one list.
pub(crate) struct Plan<T> {
    pub fetch: FetchPage<T>,
    /// Where to start: `None` for the first page, or a saved `next_page_token`.
    pub start: Option<String>,
    pub filter: Option<Filter<T>>,
    /// Stop after this many (filtered) items, requesting no page beyond the one holding
    /// the last of them.
    pub limit: Option<u64>,
    /// How many pages to fetch ahead of the caller (0: only on demand).
    pub prefetch: usize,
}

impl<T: Send + 'static> Plan<T> {
    /// The pages of the list, lazily: nothing is requested before the first poll, and with
    /// `prefetch == 0` each page is requested only when the previous one was taken.
    pub(crate) fn into_pages(self) -> BoxStream<'static, Result<Page<T>>> {
        let prefetch = self.prefetch;
        let pages = on_demand(self).boxed();
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

fn on_demand<T: Send + 'static>(plan: Plan<T>) -> impl Stream<Item = Result<Page<T>>> + Send {
    let Plan {
        fetch,
        start,
        filter,
        limit,
        ..
    } = plan;
    async_stream::stream! {
        let mut used: HashSet<String> = start.iter().cloned().collect();
        let mut token = start;
        let mut kept = 0u64;
        let mut number = 0u64;
        loop {
            number += 1;
            let mut page = match fetch(token.clone(), number).await {
                Ok(page) => page,
                Err(err) => {
                    yield Err(err);
                    return;
                }
            };
            page.token = token.take();
            if let Some(filter) = &filter {
                page.items.retain(|item| filter(item));
            }
            kept += page.items.len() as u64;
            let next = page.next_page_token.clone();
            let repeated = next.as_ref().is_some_and(|t| !used.insert(t.clone()));
            let reached_limit = limit.is_some_and(|limit| kept >= limit);
            yield Ok(page);
            if reached_limit {
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

/// Reads up to `depth` pages ahead on a task of its own, started on the first poll and
/// aborted when the stream is dropped. A slot is reserved before each fetch, so no more
/// than `depth` pages are ever fetched or waiting beyond the one the caller holds.
enum ReadAhead<T> {
    Idle {
        pages: BoxStream<'static, Result<Page<T>>>,
        depth: usize,
    },
    Running {
        receiver: mpsc::Receiver<Result<Page<T>>>,
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

impl<T: Send + 'static> Stream for ReadAhead<T> {
    type Item = Result<Page<T>>;

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
                        Some(page) => slot.send(page),
                        None => return,
                    }
                }
            });
            *this = ReadAhead::Running {
                receiver,
                _task: AbortOnDrop(task),
            };
        }
        match this {
            ReadAhead::Running { receiver, .. } => {
                let next = ready!(receiver.poll_recv(cx));
                if next.is_none() {
                    *this = ReadAhead::Done;
                }
                Poll::Ready(next)
            }
            _ => Poll::Ready(None),
        }
    }
}

/// The items of a list one by one, with the resume cursor.
pub(crate) struct Items<T> {
    state: State<T>,
    /// The token of the first page whose items have not all been handed out (`None`: the
    /// list's first page, or the end).
    cursor: Option<String>,
    /// The items of the current page not yet handed out.
    items: std::vec::IntoIter<T>,
    /// The current page's `next_page_token`.
    page_next: Option<String>,
    /// How many more items may be handed out.
    remaining: Option<u64>,
    total_records: Option<u64>,
    pages_received: u64,
}

impl<T: Send + 'static> State<T> {
    /// The pages, started on first use; `None` once finished.
    fn pages(&mut self) -> Option<&mut BoxStream<'static, Result<Page<T>>>> {
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

// Nothing here is ever pinned in place: items are moved out, pages are boxed.
impl<T> Unpin for Items<T> {}
impl<T> Unpin for PageStream<T> {}
impl<T> Unpin for ReadAhead<T> {}

enum State<T> {
    /// Not polled yet: the plan can still change.
    Planned(Plan<T>),
    Running(BoxStream<'static, Result<Page<T>>>),
    Finished,
}

impl<T: Send + 'static> Items<T> {
    pub(crate) fn new(plan: Plan<T>) -> Self {
        Items {
            cursor: plan.start.clone(),
            remaining: plan.limit,
            state: State::Planned(plan),
            items: Vec::new().into_iter(),
            page_next: None,
            total_records: None,
            pages_received: 0,
        }
    }

    /// Changes the plan, as long as nothing has been requested yet. Returns whether it could.
    pub(crate) fn replan(&mut self, change: impl FnOnce(&mut Plan<T>)) -> bool {
        match &mut self.state {
            State::Planned(plan) => {
                change(plan);
                self.remaining = plan.limit;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    pub(crate) fn total_records(&self) -> Option<u64> {
        self.total_records
    }

    pub(crate) fn pages_received(&self) -> u64 {
        self.pages_received
    }

    fn finish(&mut self) {
        self.state = State::Finished;
        self.items = Vec::new().into_iter();
    }
}

impl<T: Send + 'static> Stream for Items<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = &mut *self;
        loop {
            if this.remaining == Some(0) && !matches!(this.state, State::Finished) {
                // The limit is reached: the cursor keeps pointing at what is left.
                this.finish();
            }
            if let State::Finished = this.state {
                return Poll::Ready(None);
            }
            if let Some(item) = this.items.next() {
                if this.items.len() == 0 {
                    this.cursor = this.page_next.clone();
                }
                if let Some(remaining) = &mut this.remaining {
                    *remaining -= 1;
                }
                return Poll::Ready(Some(Ok(item)));
            }
            let Some(pages) = this.state.pages() else {
                unreachable!("Finished returned above");
            };
            match ready!(pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => {
                    this.pages_received += 1;
                    this.total_records = page.total_records.or(this.total_records);
                    this.cursor = page.token;
                    this.page_next = page.next_page_token;
                    this.items = page.items.into_iter();
                    if this.items.len() == 0 {
                        this.cursor = this.page_next.clone();
                    }
                }
                Some(Err(err)) => {
                    this.finish();
                    return Poll::Ready(Some(Err(err)));
                }
                None => {
                    this.finish();
                    this.cursor = None;
                    return Poll::Ready(None);
                }
            }
        }
    }
}

impl<T: Send + 'static> FusedStream for Items<T> {
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
    state: State<T>,
}

impl<T: Send + 'static> PageStream<T> {
    pub(crate) fn new(plan: Plan<T>) -> Self {
        PageStream {
            state: State::Planned(plan),
        }
    }
}

impl<T: Send + 'static> Stream for PageStream<T> {
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
        Poll::Ready(next)
    }
}

impl<T: Send + 'static> FusedStream for PageStream<T> {
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
    use futures::TryStreamExt;
    use std::sync::Mutex;

    /// A scripted list: page `i` holds the given items and points at token `t{i+1}`.
    fn scripted(pages: Vec<Vec<u32>>, log: Arc<Mutex<Vec<Option<String>>>>) -> FetchPage<u32> {
        let pages = Arc::new(pages);
        Arc::new(move |token: Option<String>, _number| {
            log.lock().unwrap().push(token.clone());
            let index = token
                .as_deref()
                .map_or(0, |t| t[1..].parse::<usize>().unwrap());
            let items = pages[index].clone();
            let next = (index + 1 < pages.len()).then(|| format!("t{}", index + 1));
            Box::pin(async move { Ok(Page::new(items, next, None)) })
        })
    }

    fn plan(fetch: FetchPage<u32>) -> Plan<u32> {
        Plan {
            fetch,
            start: None,
            filter: None,
            limit: None,
            prefetch: 0,
        }
    }

    #[tokio::test]
    async fn items_come_in_order_and_the_cursor_moves_at_page_ends() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut items = Items::new(plan(scripted(
            vec![vec![1, 2], vec![], vec![3]],
            log.clone(),
        )));
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
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut p = plan(scripted(vec![vec![1, 2], vec![3, 4], vec![5]], log.clone()));
            p.limit = Some(3);
            p.prefetch = prefetch;
            let got: Vec<u32> = Items::new(p).try_collect().await.unwrap();
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
        let fetch: FetchPage<u32> = Arc::new(move |_token, _number| {
            *counter.lock().unwrap() += 1;
            Box::pin(async { Ok(Page::new(vec![7], Some("same".into()), None)) })
        });
        let mut items = Items::new(plan(fetch));
        assert_eq!(items.try_next().await.unwrap(), Some(7));
        assert_eq!(items.try_next().await.unwrap(), Some(7));
        assert!(matches!(
            items.try_next().await,
            Err(Error::RepeatedPageToken)
        ));
        assert_eq!(items.try_next().await.unwrap(), None);
        assert_eq!(*calls.lock().unwrap(), 2);
    }
}
