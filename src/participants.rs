//! `GET /metrics/webinars/{webinarId}/participants`: the request builder and the stream.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, FusedStream, Stream, StreamExt};

use crate::attendance::Attendance;
use crate::checkpoint::Checkpoint;
use crate::client::Client;
use crate::encode::webinar_segment;
use crate::envelope::{self, RawRow};
use crate::error::{Error, Result};
use crate::http::fetcher;
use crate::model::{Participant, Role, Status, WebinarType};
use crate::paginate::{FetchPage, Filter, FromRow, Items, PageStream, Plan, Start};
use crate::rate_limit::Label;
use crate::rows::{Row, status_and_role};

/// Zoom's largest page, and so the default: fewer Heavy calls for the same participants.
pub const MAX_PAGE_SIZE: u32 = 300;

/// The query options shared by one-webinar and many-webinar requests.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub webinar_type: Option<WebinarType>,
    pub page_size: u32,
    pub include_registrant_id: bool,
    pub prefetch: usize,
    pub limit: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            webinar_type: None,
            page_size: MAX_PAGE_SIZE,
            include_registrant_id: false,
            prefetch: 0,
            limit: None,
        }
    }
}

impl Options {
    /// The plan for one webinar's participants, starting at `start`.
    pub(crate) fn plan(
        &self,
        client: &Client,
        id: &str,
        start: Start,
        criteria: &Criteria,
    ) -> Plan {
        Plan {
            fetch: self.fetcher(client, id),
            request: self.request_name(id),
            start,
            filter: criteria.filter(),
            limit: self.limit,
            prefetch: self.prefetch,
        }
    }

    /// What a checkpoint of this request is checked against: everything that decides
    /// which rows come on which page.
    fn request_name(&self, id: &str) -> String {
        format!(
            "participants of webinar {id:?} (type={}, page_size={}{})",
            self.webinar_type.map_or("unset", WebinarType::as_str),
            self.page_size,
            if self.include_registrant_id {
                ", include_fields=registrant_id"
            } else {
                ""
            }
        )
    }

    fn fetcher(&self, client: &Client, id: &str) -> FetchPage {
        let url = self.first_page_url(client, id).map_err(|e| match e {
            Error::InvalidRequest(message) => message,
            other => other.to_string(),
        });
        fetcher(&client.transport, url, "participants", Label::Heavy)
    }

    fn first_page_url(&self, client: &Client, id: &str) -> Result<reqwest::Url> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::InvalidRequest(format!(
                "page_size {} is outside 1..={MAX_PAGE_SIZE}",
                self.page_size
            )));
        }
        let segment = webinar_segment(id).map_err(Error::InvalidRequest)?;
        let mut url = client
            .transport
            .url(&format!("/metrics/webinars/{segment}/participants"))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(kind) = self.webinar_type {
                query.append_pair("type", kind.as_str());
            }
            query.append_pair("page_size", &self.page_size.to_string());
            if self.include_registrant_id {
                query.append_pair("include_fields", "registrant_id");
            }
        }
        Ok(url)
    }
}

/// The client-side filters: any of the statuses, and any of the roles.
#[derive(Debug, Clone, Default)]
pub(crate) struct Criteria {
    statuses: Vec<Status>,
    roles: Vec<Role>,
}

impl Criteria {
    pub(crate) fn add_status(&mut self, status: Status) {
        self.statuses.push(status);
    }

    pub(crate) fn add_role(&mut self, role: Role) {
        self.roles.push(role);
    }

    /// Whether a row passes, reading only its `status` and `role`.
    fn matches(&self, row: &str) -> bool {
        let (status, role) = status_and_role(row);
        any_of(&self.statuses, status.as_ref()) && any_of(&self.roles, role.as_ref())
    }

    pub(crate) fn filter(&self) -> Option<Filter> {
        if self.statuses.is_empty() && self.roles.is_empty() {
            return None;
        }
        let criteria = self.clone();
        Some(Arc::new(move |row: &str| criteria.matches(row)))
    }
}

/// Whether `got` is one of `wanted`; an empty `wanted` lets everything through.
fn any_of<T: PartialEq>(wanted: &[T], got: Option<&T>) -> bool {
    wanted.is_empty() || got.is_some_and(|g| wanted.contains(g))
}

/// A request for one webinar's participants; [`stream`](ParticipantsRequest::stream) runs it.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is streamed"]
pub struct ParticipantsRequest {
    client: Client,
    id: String,
    options: Options,
    criteria: Criteria,
    start: Start,
}

impl ParticipantsRequest {
    pub(crate) fn new(client: Client, id: String) -> Self {
        ParticipantsRequest {
            client,
            id,
            options: Options::default(),
            criteria: Criteria::default(),
            start: Start::First,
        }
    }

    /// `type=live` or `type=past`. When never called, no `type` is sent and Zoom answers
    /// for the live webinar.
    pub fn webinar_type(mut self, kind: WebinarType) -> Self {
        self.options.webinar_type = Some(kind);
        self
    }

    /// Participants per page, 1..=300, default 300. Out of range is an error from the
    /// stream's first poll, with no request made.
    pub fn page_size(mut self, size: u32) -> Self {
        self.options.page_size = size;
        self
    }

    /// Asks Zoom for each participant's `registrant_id` (`include_fields=registrant_id`).
    pub fn include_registrant_id(mut self) -> Self {
        self.options.include_registrant_id = true;
        self
    }

    /// Starts at a `next_page_token` saved from an earlier stream
    /// ([`ParticipantStream::next_page_token`]). Zoom's tokens expire after 15 minutes.
    pub fn resume_from(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.start = if token.is_empty() {
            Start::First
        } else {
            Start::Token(token)
        };
        self
    }

    /// Continues from a [`Checkpoint`] taken from a stream of the same request (same
    /// webinar, type, page size and registrant flag), yielding exactly the participants
    /// after the last one yielded before it was taken; apply the same filters, and a
    /// `limit` counts what was yielded before too. The checkpoint survives Zoom's 15-minute
    /// token expiry: see [`Checkpoint`] for the re-walk and its cost. A checkpoint of
    /// another request is an error on the first poll, with no request made.
    pub fn resume(mut self, checkpoint: Checkpoint) -> Self {
        self.start = Start::Checkpoint(checkpoint);
        self
    }

    /// Fetches up to `pages` pages ahead (at most [`MAX_PREFETCH`](crate::MAX_PREFETCH)),
    /// on a task of its own that only fetches, while the caller decodes and handles the
    /// current one. Default 0: a page is requested only when the caller has taken every
    /// participant of the one before. Needs a tokio runtime.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.options.prefetch = pages;
        self
    }

    /// Stops after `n` participants (after filters), requesting no page beyond the one
    /// that holds the `n`th, with or without read-ahead.
    pub fn limit(mut self, n: u64) -> Self {
        self.options.limit = Some(n);
        self
    }

    /// Keeps only participants with this status, as [`ParticipantStream::status`] (here
    /// as on [`WebinarsRequest::status`](crate::WebinarsRequest::status)).
    pub fn status(mut self, status: Status) -> Self {
        self.criteria.add_status(status);
        self
    }

    /// Keeps only participants with this role, as [`ParticipantStream::role`].
    pub fn role(mut self, role: Role) -> Self {
        self.criteria.add_role(role);
        self
    }

    /// The participants one by one. Lazy: nothing is requested before the first poll.
    pub fn stream(self) -> ParticipantStream {
        self.stream_of()
    }

    /// The participants one by one as [`RawRow`]s: each row's JSON exactly as Zoom sent
    /// it, for pipelines that forward JSON. Filters, limit, read-ahead and checkpoints
    /// work as for [`stream`](ParticipantsRequest::stream).
    pub fn stream_raw(self) -> ParticipantStream<RawRow> {
        self.stream_of()
    }

    fn stream_of<T: FromRow>(self) -> ParticipantStream<T> {
        let criteria = self.criteria.clone();
        let mut stream = ParticipantStream::from_plan(self.plan());
        // Filters added on the stream later widen or narrow these, as if added there.
        stream.criteria = criteria;
        stream
    }

    /// The participants page by page, each with its token and `total_records`, for
    /// callers that checkpoint per page or show progress. Lazy like
    /// [`stream`](ParticipantsRequest::stream).
    pub fn pages(self) -> PageStream<Participant> {
        PageStream::new(self.plan())
    }

    /// The webinar ID or UUID as the caller gave it.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    fn plan(self) -> Plan {
        self.options
            .plan(&self.client, &self.id, self.start, &self.criteria)
    }
}

/// The participants of one webinar, as a `Stream<Item = Result<Participant>>`.
///
/// Requests a page only when polled past the previous one (or ahead, with
/// [`ParticipantsRequest::prefetch`]). An error ends the stream: the next poll yields
/// `None`, and [`next_page_token`](ParticipantStream::next_page_token) tells where to
/// resume.
///
/// The rows are [`Participant`]s by default, decoded on the consumer's side (a row with an
/// odd value is kept, never lost: see [`Participant`]); [`RawRow`]s with
/// [`ParticipantsRequest::stream_raw`].
#[must_use = "streams do nothing unless polled"]
pub struct ParticipantStream<T = Participant> {
    items: Items<T>,
    criteria: Criteria,
}

impl<T: FromRow> ParticipantStream<T> {
    /// A stream over a plan whose filter, if any, is already in place.
    pub(crate) fn from_plan(plan: Plan) -> Self {
        ParticipantStream {
            items: Items::new(plan),
            criteria: Criteria::default(),
        }
    }

    /// Keeps only participants with this status. Repeating it widens the filter (any of
    /// the statuses); combined with [`role`](ParticipantStream::role) both must hold.
    /// Rows it drops count as consumed for the cursor.
    pub fn status(mut self, status: Status) -> Self {
        self.criteria.add_status(status);
        self.refilter();
        self
    }

    /// Keeps only participants with this role; repeating widens, combining narrows.
    pub fn role(mut self, role: Role) -> Self {
        self.criteria.add_role(role);
        self.refilter();
        self
    }

    fn refilter(&mut self) {
        if let Some(filter) = self.criteria.filter() {
            self.items.add_filter(filter);
        }
    }

    /// Where the stream stands, valid between any two items: give it to
    /// [`ParticipantsRequest::resume`] to continue exactly after the last item yielded.
    pub fn checkpoint(&self) -> Checkpoint {
        self.items.checkpoint()
    }

    /// The resume cursor: the token of the first page whose participants have not all
    /// been yielded yet. `None` while that page is the webinar's first, and once the
    /// stream has finished. Saved right after a page ends or an error,
    /// [`ParticipantsRequest::resume_from`] it loses nothing and repeats nothing; saved
    /// in the middle of a page, resuming repeats that page's yielded part.
    pub fn next_page_token(&self) -> Option<&str> {
        self.items.cursor()
    }

    /// Starts fetching (with read-ahead, the task fills its pages) without taking an item.
    pub(crate) fn warm(&mut self, cx: &mut Context<'_>) {
        self.items.warm(cx);
    }

    /// The webinar's `total_records` as Zoom last reported it, when it did.
    pub fn total_records(&self) -> Option<u64> {
        self.items.total_records()
    }

    /// How many pages this stream has received so far.
    pub fn pages_received(&self) -> u64 {
        self.items.pages_received()
    }
}

impl ParticipantStream<Participant> {
    /// One [`Attendance`] per person instead of one row per connection; see
    /// [`attendance`](crate::attendance) for the identity rule and the time attended (the
    /// union of a person's intervals; a connection without `leave_time` counts to the
    /// latest instant seen). It reads every row before yielding, in order of each person's
    /// first row; memory grows with the number of people, not rows. An error ends it.
    pub fn attendance(self) -> BoxStream<'static, Result<Attendance>> {
        crate::attendance::attendance(self, None).boxed()
    }
}

impl<T: FromRow> Stream for ParticipantStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.poll_next_unpin(cx)
    }
}

impl<T: FromRow> FusedStream for ParticipantStream<T> {
    fn is_terminated(&self) -> bool {
        self.items.is_terminated()
    }
}

impl FromRow for Participant {
    fn from_row(page: &envelope::RawPage, index: usize) -> Self {
        Participant::decode(page.row(index))
    }
}

impl FromRow for RawRow {
    fn from_row(page: &envelope::RawPage, index: usize) -> Self {
        RawRow::new(page, index)
    }
}

impl<T: FromRow> std::fmt::Debug for ParticipantStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParticipantStream")
            .field("next_page_token", &self.next_page_token())
            .field("pages_received", &self.pages_received())
            .finish_non_exhaustive()
    }
}
