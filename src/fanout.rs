//! Many instances at once (webinars, meetings, or both): each one's pages in order,
//! several in flight, with a checkpoint per instance.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream, StreamExt};

use crate::checkpoint::{Checkpoint, WebinarsCheckpoint};
use crate::client::Client;
use crate::endpoint::{
    Endpoint, MEETING_PARTICIPANTS, REPORT_MEETING_PARTICIPANTS, REPORT_WEBINAR_PARTICIPANTS,
    WEBINAR_PARTICIPANTS,
};
use crate::envelope::RawRow;
use crate::error::Result;
use crate::model::{Participant, ReportParticipant};
use crate::paginate::Start;
use crate::participants::ParticipantStream;
use crate::request::{Many, ParticipantsRequest, Target};
use crate::row::Row;

impl Client {
    /// The participants of many webinars, streamed with bounded concurrency; see
    /// [`WebinarsRequest`].
    pub fn webinars_participants<I, S>(&self, ids: I) -> WebinarsRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.many(&WEBINAR_PARTICIPANTS, ids)
    }

    /// The participants of many meetings (Dashboard), as
    /// [`webinars_participants`](Client::webinars_participants) does for webinars; combine
    /// both with [`and`](ParticipantsRequest::and).
    pub fn meetings_participants<I, S>(&self, ids: I) -> WebinarsRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.many(&MEETING_PARTICIPANTS, ids)
    }

    /// The Report API's participants of many webinars.
    pub fn report_webinars_participants<I, S>(&self, ids: I) -> WebinarsRequest<ReportParticipant>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.many(&REPORT_WEBINAR_PARTICIPANTS, ids)
    }

    /// The Report API's participants of many meetings.
    pub fn report_meetings_participants<I, S>(&self, ids: I) -> WebinarsRequest<ReportParticipant>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.many(&REPORT_MEETING_PARTICIPANTS, ids)
    }

    fn many<R, I, S>(&self, endpoint: &'static Endpoint, ids: I) -> ParticipantsRequest<R, Many>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let targets = ids
            .into_iter()
            .map(|id| Target {
                endpoint,
                id: id.into(),
            })
            .collect();
        ParticipantsRequest::with_scope(self.clone(), Many::new(targets))
    }
}

/// A request for the participants of many webinars or meetings: a [`ParticipantsRequest`]
/// whose options apply to each instance, streaming `(instance ID, row)` pairs: each
/// instance's rows in order, up to [`concurrency`](ParticipantsRequest::concurrency)
/// instances at a time, all under the client's one rate limit. An ID given twice is
/// streamed once.
pub type WebinarsRequest<R = Participant> = ParticipantsRequest<R, Many>;

impl<R: Row> ParticipantsRequest<R, Many> {
    /// How many webinars are streamed at once (at least 1), default 4.
    pub fn concurrency(mut self, webinars: usize) -> Self {
        self.scope.concurrency = webinars.max(1);
        self
    }

    /// Yields the webinars one after the other, in the order given, each whole (default:
    /// as their pages arrive). The next webinars are still fetched ahead, as far as
    /// [`prefetch`](ParticipantsRequest::prefetch) allows, so the output is the same run after
    /// run (what a durable export needs) at some cost in speed.
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.scope.ordered = ordered;
        self
    }

    /// Streams the webinars. Lazy: nothing is requested before the first poll.
    pub fn stream(self) -> WebinarsStream<R> {
        self.stream_of()
    }

    /// As [`stream`](ParticipantsRequest::stream), with each row as Zoom sent it
    /// ([`RawRow`]).
    pub fn stream_raw(self) -> WebinarsStream<RawRow> {
        self.stream_of()
    }

    /// Adds the instances of another fan-out (with their endpoint: webinars to meetings,
    /// say), after this one's; the options of this request apply to all.
    pub fn and(mut self, other: ParticipantsRequest<R, Many>) -> Self {
        let mut targets = std::mem::take(&mut self.scope.targets);
        targets.extend(other.scope.targets);
        let Many { targets, .. } = Many::new(targets);
        self.scope.targets = targets;
        self
    }

    fn stream_of<T: Row>(self) -> WebinarsStream<T> {
        let ParticipantsRequest {
            client,
            scope,
            options,
            ..
        } = self;
        let Many {
            targets,
            concurrency,
            resume,
            ordered,
        } = scope;
        WebinarsStream {
            instances: targets
                .iter()
                .map(|t| (t.id.clone(), t.endpoint.instance))
                .collect(),
            pending: targets.into(),
            active: Vec::new(),
            ended: BTreeMap::new(),
            saved: resume.unwrap_or_default().webinars,
            concurrency,
            ordered,
            next: 0,
            open: Box::new(move |target: &Target, start: Start| {
                ParticipantStream::from_plan(options.plan(&client, target, start))
            }),
        }
    }
}

type Open<T> = Box<dyn Fn(&Target, Start) -> ParticipantStream<T> + Send>;

/// The participants of many webinars as `(webinar ID, participant)` pairs.
///
/// Unlike a [`ParticipantStream`], an error does not end it: the error of one webinar is
/// yielded as an [`Error::Webinar`] (or [`Error::Meeting`]) naming it, that one stops,
/// and the others go on.
/// [`checkpoint`](WebinarsStream::checkpoint) tells where every webinar stands.
#[must_use = "streams do nothing unless polled"]
pub struct WebinarsStream<T = Participant> {
    pending: VecDeque<Target>,
    active: Vec<(String, ParticipantStream<T>)>,
    /// What each ID names (`webinar`, `meeting`), for its errors.
    instances: HashMap<String, &'static str>,
    /// Webinars finished or failed, with where they stopped.
    ended: BTreeMap<String, Checkpoint>,
    /// Checkpoints to resume from, for webinars not started yet.
    saved: BTreeMap<String, Checkpoint>,
    concurrency: usize,
    ordered: bool,
    /// The active webinar polled first: the one that yielded last, for locality.
    next: usize,
    open: Open<T>,
}

impl<T: Row> WebinarsStream<T> {
    /// Where every webinar stands, valid between any two items: give it to
    /// [`WebinarsRequest::resume`] to continue each exactly after its last item yielded.
    pub fn checkpoint(&self) -> WebinarsCheckpoint {
        let mut webinars = self.saved.clone();
        webinars.extend(self.ended.clone());
        for (id, stream) in &self.active {
            webinars.insert(id.clone(), stream.checkpoint());
        }
        WebinarsCheckpoint { webinars }
    }

    /// Where one webinar stands (`None` before it starts): as
    /// [`checkpoint`](WebinarsStream::checkpoint)`.get(webinar_id)`, without copying the
    /// checkpoints of every other webinar.
    pub fn checkpoint_of(&self, webinar_id: &str) -> Option<Checkpoint> {
        if let Some((_, stream)) = self.active.iter().find(|(id, _)| id == webinar_id) {
            return Some(stream.checkpoint());
        }
        self.ended
            .get(webinar_id)
            .or_else(|| self.saved.get(webinar_id))
            .cloned()
    }

    fn start_more(&mut self) {
        while self.active.len() < self.concurrency {
            let Some(target) = self.pending.pop_front() else {
                return;
            };
            let id = target.id.clone();
            let start = match self.saved.remove(&id) {
                Some(checkpoint) if checkpoint.is_finished() => {
                    self.ended.insert(id, checkpoint);
                    continue;
                }
                Some(checkpoint) => Start::Checkpoint(checkpoint),
                None => Start::First,
            };
            let stream = (self.open)(&target, start);
            self.active.push((id, stream));
        }
    }
}

impl<T: Row> Stream for WebinarsStream<T> {
    type Item = Result<(String, T)>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        'start: loop {
            this.start_more();
            if this.active.is_empty() {
                return Poll::Ready(None);
            }
            if this.ordered {
                for (_, stream) in this.active.iter_mut().skip(1) {
                    stream.warm(cx);
                }
            }
            let count = if this.ordered { 1 } else { this.active.len() };
            for k in 0..count {
                let i = (this.next + k) % count;
                let (id, stream) = &mut this.active[i];
                match stream.poll_next_unpin(cx) {
                    Poll::Pending => continue,
                    Poll::Ready(Some(Ok(item))) => {
                        this.next = i;
                        return Poll::Ready(Some(Ok((id.clone(), item))));
                    }
                    Poll::Ready(ended) => {
                        let (id, stream) = this.active.remove(i);
                        this.ended.insert(id.clone(), stream.checkpoint());
                        this.next = 0;
                        match ended {
                            Some(Err(err)) => {
                                let instance =
                                    this.instances.get(&id).copied().unwrap_or("webinar");
                                return Poll::Ready(Some(Err(err.for_instance(instance, &id))));
                            }
                            _ => continue 'start,
                        }
                    }
                }
            }
            return Poll::Pending;
        }
    }
}

impl<T: Row> FusedStream for WebinarsStream<T> {
    fn is_terminated(&self) -> bool {
        self.active.is_empty() && self.pending.is_empty()
    }
}

impl<T> std::fmt::Debug for WebinarsStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebinarsStream")
            .field("pending", &self.pending.len())
            .field("active", &self.active.len())
            .field("ended", &self.ended.len())
            .finish_non_exhaustive()
    }
}
