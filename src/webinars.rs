//! `GET /metrics/webinars`: the account's webinar instances of a period, on the generic core.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use chrono::{Months, NaiveDate};
use futures::stream::{FusedStream, Stream, StreamExt};

use crate::checkpoint::Checkpoint;
use crate::client::Client;
use crate::envelope::{RawPage, RawRow};
use crate::error::{Error, Result};
use crate::model::{Webinar, WebinarType};
use crate::paginate::fetcher;
use crate::paginate::{FromRow, Items, Plan, Start};
use crate::participants::MAX_PAGE_SIZE;
use crate::rate_limit::Label;
use crate::rows::Row;

impl Client {
    /// The webinar instances that started between `from` and `to` (UTC days, both
    /// included), from the Dashboard list. Zoom serves at most one month a request: a
    /// longer period is read as consecutive windows, none overlapping, so no instance is
    /// lost or repeated at a boundary. Its rate-limit label is *Resource-intensive*
    /// ([`ClientBuilder::list_rate_limit`](crate::ClientBuilder::list_rate_limit)).
    pub fn webinars(&self, from: NaiveDate, to: NaiveDate) -> WebinarListRequest {
        WebinarListRequest {
            client: self.clone(),
            from,
            to,
            webinar_type: None,
            page_size: MAX_PAGE_SIZE,
            resume: None,
        }
    }
}

/// A request for the webinar list of a period; see [`Client::webinars`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is streamed"]
pub struct WebinarListRequest {
    client: Client,
    from: NaiveDate,
    to: NaiveDate,
    webinar_type: Option<WebinarType>,
    page_size: u32,
    resume: Option<Checkpoint>,
}

impl WebinarListRequest {
    /// `type=past` (instances that ended) or `type=live`; unset, Zoom lists live ones.
    pub fn webinar_type(mut self, kind: WebinarType) -> Self {
        self.webinar_type = Some(kind);
        self
    }

    /// Webinars per page, 1..=300, default 300; out of range is an error of the first poll.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Continues from a checkpoint of a stream of the same request, as
    /// [`ParticipantsRequest::resume`](crate::ParticipantsRequest::resume) does.
    pub fn resume(mut self, checkpoint: Checkpoint) -> Self {
        self.resume = Some(checkpoint);
        self
    }

    /// The webinars one by one. Lazy: nothing is requested before the first poll.
    pub fn stream(self) -> WebinarListStream {
        self.stream_of()
    }

    /// The webinars as Zoom sent them ([`RawRow`]).
    pub fn stream_raw(self) -> WebinarListStream<RawRow> {
        self.stream_of()
    }

    fn stream_of<T: FromRow>(self) -> WebinarListStream<T> {
        WebinarListStream {
            windows: windows(self.from, self.to).into(),
            current: None,
            last: None,
            failed: None,
            request: self,
        }
    }

    fn request_name(&self, (from, to): (NaiveDate, NaiveDate)) -> String {
        format!(
            "webinars from {from} to {to} (type={}, page_size={})",
            self.webinar_type.map_or("unset", WebinarType::as_str),
            self.page_size
        )
    }

    fn plan(&self, window: (NaiveDate, NaiveDate), start: Start) -> Plan {
        let url = self.url(window);
        Plan {
            fetch: fetcher(
                &self.client.transport,
                url,
                "webinars",
                Label::ResourceIntensive,
            ),
            request: self.request_name(window),
            start,
            filter: None,
            limit: None,
            prefetch: 0,
        }
    }

    fn url(&self, (from, to): (NaiveDate, NaiveDate)) -> std::result::Result<reqwest::Url, String> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(format!(
                "page_size {} is outside 1..={MAX_PAGE_SIZE}",
                self.page_size
            ));
        }
        if to < from {
            return Err(format!("the period ends ({to}) before it starts ({from})"));
        }
        let mut url = self
            .client
            .transport
            .url("/metrics/webinars")
            .map_err(|e| e.to_string())?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(kind) = self.webinar_type {
                query.append_pair("type", kind.as_str());
            }
            query.append_pair("from", &from.to_string());
            query.append_pair("to", &to.to_string());
            query.append_pair("page_size", &self.page_size.to_string());
        }
        Ok(url)
    }
}

/// `[from, to]` as consecutive windows of at most one calendar month, both ends included.
fn windows(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut windows = Vec::new();
    let mut start = from;
    loop {
        let end = start
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .map_or(to, |d| d.min(to));
        windows.push((start, end));
        match end.succ_opt() {
            Some(next) if end < to => start = next,
            _ => return windows,
        }
    }
}

/// The webinars of a period, window after window: a `Stream<Item = Result<Webinar>>`
/// (or of [`RawRow`]s) with the laziness, repeated-token guard, checkpoint and resume of a
/// participant stream.
#[must_use = "streams do nothing unless polled"]
pub struct WebinarListStream<T = Webinar> {
    request: WebinarListRequest,
    windows: VecDeque<(NaiveDate, NaiveDate)>,
    current: Option<Items<T>>,
    /// The checkpoint of the last window finished, while no other has started.
    last: Option<Checkpoint>,
    failed: Option<Error>,
}

impl<T: FromRow> WebinarListStream<T> {
    /// Where the stream stands, valid between any two items; give it to
    /// [`WebinarListRequest::resume`].
    pub fn checkpoint(&self) -> Checkpoint {
        match (&self.current, &self.last) {
            (Some(items), _) => items.checkpoint(),
            (None, Some(last)) => last.clone(),
            (None, None) => {
                let first = self
                    .windows
                    .front()
                    .copied()
                    .unwrap_or((self.request.from, self.request.to));
                match &self.request.resume {
                    Some(saved) => saved.clone(),
                    None => Checkpoint::at(self.request.request_name(first), Default::default()),
                }
            }
        }
    }

    /// The next window's items, resuming in the window the checkpoint names.
    fn open_next(&mut self) -> Option<Items<T>> {
        if let Some(saved) = self.request.resume.take() {
            let Some(index) = self
                .windows
                .iter()
                .position(|w| self.request.request_name(*w) == saved.request())
            else {
                self.failed = Some(Error::Checkpoint(format!(
                    "the checkpoint belongs to another request ({})",
                    saved.request()
                )));
                return None;
            };
            self.windows.drain(..index);
            let window = self.windows.pop_front()?;
            return Some(Items::new(
                self.request.plan(window, Start::Checkpoint(saved)),
            ));
        }
        let window = self.windows.pop_front()?;
        Some(Items::new(self.request.plan(window, Start::First)))
    }
}

impl<T: FromRow> Stream for WebinarListStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.current.is_none() {
                this.current = this.open_next();
            }
            let Some(items) = this.current.as_mut() else {
                // No window left, or a checkpoint that names none of them.
                this.windows.clear();
                return Poll::Ready(this.failed.take().map(Err));
            };
            match futures::ready!(items.poll_next_unpin(cx)) {
                Some(Ok(item)) => return Poll::Ready(Some(Ok(item))),
                Some(Err(err)) => {
                    // The error ends the stream; the checkpoint stays on the window.
                    this.last = Some(items.checkpoint());
                    this.current = None;
                    this.windows.clear();
                    return Poll::Ready(Some(Err(err)));
                }
                None => {
                    this.last = Some(items.checkpoint());
                    this.current = None;
                }
            }
        }
    }
}

impl<T: FromRow> FusedStream for WebinarListStream<T> {
    fn is_terminated(&self) -> bool {
        self.current.is_none() && self.windows.is_empty() && self.failed.is_none()
    }
}

impl<T> std::fmt::Debug for WebinarListStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebinarListStream")
            .field("windows_left", &self.windows.len())
            .finish_non_exhaustive()
    }
}

impl FromRow for Webinar {
    fn from_row(page: &RawPage, index: usize) -> Self {
        Webinar::decode(page.row(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn periods_are_cut_into_consecutive_months() {
        assert_eq!(
            windows(day("2026-01-01"), day("2026-03-31")),
            vec![
                (day("2026-01-01"), day("2026-01-31")),
                (day("2026-02-01"), day("2026-02-28")),
                (day("2026-03-01"), day("2026-03-31")),
            ]
        );
        assert_eq!(
            windows(day("2026-01-31"), day("2026-03-01")),
            vec![
                (day("2026-01-31"), day("2026-02-27")),
                (day("2026-02-28"), day("2026-03-01")),
            ]
        );
        assert_eq!(
            windows(day("2026-05-05"), day("2026-05-05")),
            vec![(day("2026-05-05"), day("2026-05-05"))]
        );
    }
}
