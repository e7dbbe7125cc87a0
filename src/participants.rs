//! One instance's participant list (Dashboard webinar and meeting participants, the Report
//! API's): what a request for one instance does, and its stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, FusedStream, Stream, StreamExt};

use crate::attendance::{Attendance, Connection};
use crate::checkpoint::Checkpoint;
use crate::checkpoint::WebinarsCheckpoint;
use crate::criteria::Criteria;
use crate::envelope::RawRow;
use crate::model::{Participant, Role, Status};
use crate::paginate::{Items, PageStream, Plan, Start};
use crate::request::{Many, One, ParticipantsRequest};
use crate::row::Row;

pub use crate::endpoint::MAX_PAGE_SIZE;

impl<R: Row> ParticipantsRequest<R, One> {
    /// Starts at a `next_page_token` saved from an earlier stream
    /// ([`ParticipantStream::next_page_token`]). Zoom's tokens expire after 15 minutes.
    pub fn resume_from(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.scope.start = if token.is_empty() {
            Start::First
        } else {
            Start::Token(token)
        };
        self
    }

    /// Continues from a [`Checkpoint`] taken from a stream of the same request (same
    /// endpoint, instance, type, page size and registrant flag), yielding exactly the rows
    /// after the last one yielded before it was taken; apply the same filters, and a
    /// `limit` counts what was yielded before too. The checkpoint survives Zoom's 15-minute
    /// token expiry: see [`Checkpoint`] for the re-walk and its cost. A checkpoint of
    /// another request is an error on the first poll, with no request made.
    pub fn resume(mut self, checkpoint: Checkpoint) -> Self {
        self.scope.start = Start::Checkpoint(checkpoint);
        self
    }

    /// The rows one by one. Lazy: nothing is requested before the first poll.
    pub fn stream(self) -> ParticipantStream<R> {
        self.stream_of()
    }

    /// The rows one by one as [`RawRow`]s: each row's JSON exactly as Zoom sent it, for
    /// pipelines that forward JSON. Filters, limit, read-ahead and checkpoints work as for
    /// [`stream`](ParticipantsRequest::stream).
    pub fn stream_raw(self) -> ParticipantStream<RawRow> {
        self.stream_of()
    }

    fn stream_of<T: Row>(self) -> ParticipantStream<T> {
        let criteria = self.options.criteria.clone();
        let mut stream = ParticipantStream::from_plan(self.plan());
        // Filters added on the stream later widen or narrow these, as if added there.
        stream.criteria = criteria;
        stream
    }

    /// The rows page by page, each with its token and `total_records`, for callers that
    /// checkpoint per page or show progress. Lazy like
    /// [`stream`](ParticipantsRequest::stream).
    pub fn pages(self) -> PageStream<R> {
        PageStream::new(self.plan())
    }

    /// Turns this request into a fan-out of one instance, to which
    /// [`and`](ParticipantsRequest::and) adds more.
    pub fn into_many(self) -> ParticipantsRequest<R, Many> {
        let mut many =
            ParticipantsRequest::with_scope(self.client, Many::new(vec![self.scope.target]));
        many.options = self.options;
        many
    }

    fn plan(self) -> Plan {
        self.options
            .plan(&self.client, &self.scope.target, self.scope.start)
    }
}

impl<R: Row> ParticipantsRequest<R, Many> {
    /// Continues from a [`WebinarsCheckpoint`] of the same request: each started instance
    /// resumes from its own checkpoint (with the guarantees of
    /// [`ParticipantsRequest::resume`]), finished ones are not requested again, the others
    /// start from their first page.
    pub fn resume(mut self, checkpoint: WebinarsCheckpoint) -> Self {
        self.scope.resume = Some(checkpoint);
        self
    }
}

/// The participants of one webinar or meeting, as a `Stream<Item = Result<Participant>>`
/// (or of another row type).
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

impl<T: Row> ParticipantStream<T> {
    /// A stream over a plan whose filter, if any, is already in place.
    pub(crate) fn from_plan(plan: Plan) -> Self {
        ParticipantStream {
            items: Items::new(plan),
            criteria: Criteria::default(),
        }
    }

    /// Keeps only rows with this status. Repeating it widens the filter (any of the
    /// statuses); combined with [`role`](ParticipantStream::role) both must hold. Rows it
    /// drops count as consumed for the cursor.
    pub fn status(mut self, status: Status) -> Self {
        self.criteria.add_status(status);
        self.refilter();
        self
    }

    /// Keeps only rows with this role; repeating widens, combining narrows. (Report rows
    /// carry no role: with a role filter, none passes.)
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

    /// The resume cursor: the token of the first page whose rows have not all been yielded
    /// yet. `None` while that page is the list's first, and once the stream has finished.
    /// Saved right after a page ends or an error, [`ParticipantsRequest::resume_from`] it
    /// loses nothing and repeats nothing; saved in the middle of a page, resuming repeats
    /// that page's yielded part.
    pub fn next_page_token(&self) -> Option<&str> {
        self.items.cursor()
    }

    /// Starts fetching (with read-ahead, the task fills its pages) without taking an item.
    pub(crate) fn warm(&mut self, cx: &mut Context<'_>) {
        self.items.warm(cx);
    }

    /// The list's `total_records` as Zoom last reported it, when it did.
    pub fn total_records(&self) -> Option<u64> {
        self.items.total_records()
    }

    /// How many pages this stream has received so far.
    pub fn pages_received(&self) -> u64 {
        self.items.pages_received()
    }
}

impl<T: Connection> ParticipantStream<T> {
    /// One [`Attendance`] per person instead of one row per connection; see
    /// [`attendance`](crate::attendance) for the identity rule and the time attended (the
    /// union of a person's intervals; a connection without `leave_time` counts to the
    /// latest instant seen). It reads every row before yielding, in order of each person's
    /// first row; memory grows with the number of people, not rows. An error ends it.
    pub fn attendance(self) -> BoxStream<'static, crate::Result<Attendance>> {
        crate::attendance::attendance(self, None).boxed()
    }
}

impl<T: Row> Stream for ParticipantStream<T> {
    type Item = crate::Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.poll_next_unpin(cx)
    }
}

impl<T: Row> FusedStream for ParticipantStream<T> {
    fn is_terminated(&self) -> bool {
        self.items.is_terminated()
    }
}

impl<T: Row> std::fmt::Debug for ParticipantStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParticipantStream")
            .field("next_page_token", &self.next_page_token())
            .field("pages_received", &self.pages_received())
            .finish_non_exhaustive()
    }
}
