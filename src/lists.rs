//! The Dashboard's instance lists of a period (`GET /metrics/webinars`,
//! `GET /metrics/meetings`): one-month windows on the generic core.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use chrono::{Months, NaiveDate};
use futures::stream::{FusedStream, Stream, StreamExt};

use crate::checkpoint::Checkpoint;
use crate::client::Client;
use crate::endpoint::{Endpoint, MEETINGS, Query, WEBINARS};
use crate::envelope::RawRow;
use crate::error::{Error, Result};
use crate::model::{Meeting, MeetingType, Webinar, WebinarType};
use crate::paginate::{Items, Plan, Start, fetcher};
use crate::row::Row;

impl Client {
    /// The webinar instances that started between `from` and `to` (UTC days, both
    /// included), from the Dashboard list. Zoom serves at most one month a request: a
    /// longer period is read as consecutive windows, none overlapping, so no instance is
    /// lost or repeated at a boundary. Its rate-limit label is *Resource-intensive*
    /// ([`ClientBuilder::list_rate_limit`](crate::ClientBuilder::list_rate_limit)).
    pub fn webinars(&self, from: NaiveDate, to: NaiveDate) -> WebinarListRequest {
        InstanceListRequest::new(self.clone(), from, to)
    }

    /// The meeting instances that started between `from` and `to` (UTC days, both
    /// included), from the Dashboard list (`GET /metrics/meetings`), as
    /// [`webinars`](Client::webinars) does; the same *Resource-intensive* limit, shared with
    /// the webinar list. Zoom keeps the last 6 months.
    pub fn meetings(&self, from: NaiveDate, to: NaiveDate) -> MeetingListRequest {
        InstanceListRequest::new(self.clone(), from, to)
    }
}

/// A row type of a Dashboard instance list, and the list it comes from.
pub trait Listed: Row {
    #[doc(hidden)]
    fn endpoint() -> &'static Endpoint;
}

impl Listed for Webinar {
    fn endpoint() -> &'static Endpoint {
        &WEBINARS
    }
}

impl Listed for Meeting {
    fn endpoint() -> &'static Endpoint {
        &MEETINGS
    }
}

/// A request for the instances of a period; see [`Client::webinars`] and
/// [`Client::meetings`].
#[must_use = "a request does nothing until it is streamed"]
pub struct InstanceListRequest<R> {
    client: Client,
    from: NaiveDate,
    to: NaiveDate,
    query: Query,
    resume: Option<Checkpoint>,
    _rows: PhantomData<fn() -> R>,
}

/// The webinar list of a period.
pub type WebinarListRequest = InstanceListRequest<Webinar>;
/// The meeting list of a period.
pub type MeetingListRequest = InstanceListRequest<Meeting>;

impl<R> Clone for InstanceListRequest<R> {
    fn clone(&self) -> Self {
        InstanceListRequest {
            client: self.client.clone(),
            from: self.from,
            to: self.to,
            query: self.query.clone(),
            resume: self.resume.clone(),
            _rows: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for InstanceListRequest<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceListRequest")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl InstanceListRequest<Webinar> {
    /// `type=past` (instances that ended) or `type=live`; unset, Zoom lists live ones.
    pub fn webinar_type(mut self, kind: WebinarType) -> Self {
        self.query.kind = Some(kind.as_str());
        self
    }
}

impl InstanceListRequest<Meeting> {
    /// `type=past`, `type=pastOne` (ended with one participant) or `type=live`; unset,
    /// Zoom lists live ones.
    pub fn meeting_type(mut self, kind: MeetingType) -> Self {
        self.query.kind = Some(kind.as_str());
        self
    }

    /// Asks Zoom for each meeting's `tracking_fields` (`include_fields=tracking_fields`).
    pub fn include_tracking_fields(mut self) -> Self {
        self.query.include = true;
        self
    }
}

impl<R: Listed> InstanceListRequest<R> {
    fn new(client: Client, from: NaiveDate, to: NaiveDate) -> Self {
        InstanceListRequest {
            client,
            from,
            to,
            query: Query::default(),
            resume: None,
            _rows: PhantomData,
        }
    }

    /// Instances per page, 1..=300, default 300; out of range is an error of the first poll.
    pub fn page_size(mut self, size: u32) -> Self {
        self.query.page_size = size;
        self
    }

    /// Continues from a checkpoint of a stream of the same request, as
    /// [`ParticipantsRequest::resume`](crate::ParticipantsRequest::resume) does.
    pub fn resume(mut self, checkpoint: Checkpoint) -> Self {
        self.resume = Some(checkpoint);
        self
    }

    /// The instances one by one. Lazy: nothing is requested before the first poll.
    pub fn stream(self) -> InstanceListStream<R> {
        self.stream_of()
    }

    /// The instances as Zoom sent them ([`RawRow`]).
    pub fn stream_raw(self) -> InstanceListStream<RawRow> {
        self.stream_of()
    }

    fn stream_of<T: Row>(self) -> InstanceListStream<T> {
        InstanceListStream {
            windows: windows(self.from, self.to).into(),
            current: None,
            last: None,
            failed: None,
            request: Box::new(Window {
                client: self.client,
                from: self.from,
                to: self.to,
                query: self.query,
                resume: self.resume,
                endpoint: R::endpoint(),
            }),
        }
    }
}

/// What a list stream needs of its request, whatever its row type.
struct Window {
    client: Client,
    from: NaiveDate,
    to: NaiveDate,
    query: Query,
    resume: Option<Checkpoint>,
    endpoint: &'static Endpoint,
}

impl Window {
    fn request_name(&self, (from, to): (NaiveDate, NaiveDate)) -> String {
        self.endpoint
            .request_name(&format!("from {from} to {to}"), &self.query)
    }

    fn plan(&self, window: (NaiveDate, NaiveDate), start: Start) -> Plan {
        let url = self.url(window);
        Plan {
            fetch: fetcher(
                &self.client.transport,
                url,
                self.endpoint.array,
                self.endpoint.label,
            ),
            request: self.request_name(window),
            start,
            filter: None,
            limit: None,
            prefetch: 0,
        }
    }

    fn url(&self, (from, to): (NaiveDate, NaiveDate)) -> std::result::Result<reqwest::Url, String> {
        if to < from {
            return Err(format!("the period ends ({to}) before it starts ({from})"));
        }
        let period = [("from", from.to_string()), ("to", to.to_string())];
        self.endpoint
            .first_page(&self.client.transport, None, &self.query, &period)
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

/// The instances of a period, window after window: a `Stream<Item = Result<Webinar>>`
/// (or of [`Meeting`]s, or [`RawRow`]s) with the laziness, repeated-token guard, checkpoint
/// and resume of a participant stream.
#[must_use = "streams do nothing unless polled"]
pub struct InstanceListStream<T> {
    request: Box<Window>,
    windows: VecDeque<(NaiveDate, NaiveDate)>,
    current: Option<Items<T>>,
    /// The checkpoint of the last window finished, while no other has started.
    last: Option<Checkpoint>,
    failed: Option<Error>,
}

impl<T: Row> InstanceListStream<T> {
    /// Where the stream stands, valid between any two items; give it to
    /// [`InstanceListRequest::resume`].
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

impl<T: Row> Stream for InstanceListStream<T> {
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

impl<T: Row> FusedStream for InstanceListStream<T> {
    fn is_terminated(&self) -> bool {
        self.current.is_none() && self.windows.is_empty() && self.failed.is_none()
    }
}

impl<T> std::fmt::Debug for InstanceListStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceListStream")
            .field("windows_left", &self.windows.len())
            .finish_non_exhaustive()
    }
}

/// The webinars of a period.
pub type WebinarListStream<T = Webinar> = InstanceListStream<T>;
/// The meetings of a period.
pub type MeetingListStream<T = Meeting> = InstanceListStream<T>;

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
