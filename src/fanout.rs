//! Many webinars at once: each one's pages in order, several webinars in flight, with a
//! checkpoint per webinar.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::client::Client;
use crate::envelope::RawRow;
use crate::error::Result;
use crate::model::{Participant, Role, Status, WebinarType};
use crate::paginate::{FromRow, Start};
use crate::participants::{Criteria, Options, ParticipantStream};

impl Client {
    /// The participants of many webinars, streamed with bounded concurrency; see
    /// [`WebinarsRequest`].
    pub fn webinars_participants<I, S>(&self, ids: I) -> WebinarsRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        WebinarsRequest {
            client: self.clone(),
            ids,
            options: Options::default(),
            criteria: Criteria::default(),
            concurrency: 4,
            resume: None,
            ordered: false,
        }
    }
}

/// A request for the participants of many webinars. Takes the options of a one-webinar
/// request, applied to each webinar, and streams `(webinar ID, participant)` pairs: each
/// webinar's participants in order, up to [`concurrency`](WebinarsRequest::concurrency)
/// webinars at a time, all under the client's one rate limit. An ID given twice is
/// streamed once.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is streamed"]
pub struct WebinarsRequest {
    client: Client,
    ids: Vec<String>,
    options: Options,
    criteria: Criteria,
    concurrency: usize,
    resume: Option<WebinarsCheckpoint>,
    ordered: bool,
}

/// Where a fan-out stands: a [`Checkpoint`] for every webinar it has started (finished
/// ones included, so that they are not requested again). Webinars not started yet have
/// none and start from their first page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebinarsCheckpoint {
    webinars: BTreeMap<String, Checkpoint>,
}

impl WebinarsCheckpoint {
    /// The checkpoint of one webinar, if it was started.
    pub fn get(&self, webinar_id: &str) -> Option<&Checkpoint> {
        self.webinars.get(webinar_id)
    }

    /// Every started webinar with its checkpoint.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Checkpoint)> {
        self.webinars.iter().map(|(id, c)| (id.as_str(), c))
    }
}

/// A fan-out checkpoint from webinars and their checkpoints: a caller that keeps its own
/// record of the webinars done (an ordered export, say, that keeps only where it stands in
/// its list) gives back the one in progress this way.
impl FromIterator<(String, Checkpoint)> for WebinarsCheckpoint {
    fn from_iter<I: IntoIterator<Item = (String, Checkpoint)>>(iter: I) -> Self {
        WebinarsCheckpoint {
            webinars: iter.into_iter().collect(),
        }
    }
}

impl WebinarsRequest {
    /// How many webinars are streamed at once (at least 1), default 4.
    pub fn concurrency(mut self, webinars: usize) -> Self {
        self.concurrency = webinars.max(1);
        self
    }

    /// Yields the webinars one after the other, in the order given, each whole (default:
    /// as their pages arrive). The next webinars are still fetched ahead, as far as
    /// [`prefetch`](WebinarsRequest::prefetch) allows, so the output is the same run after
    /// run (what a durable export needs) at some cost in speed.
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// As [`ParticipantsRequest::webinar_type`](crate::ParticipantsRequest::webinar_type).
    pub fn webinar_type(mut self, kind: WebinarType) -> Self {
        self.options.webinar_type = Some(kind);
        self
    }

    /// As [`ParticipantsRequest::page_size`](crate::ParticipantsRequest::page_size).
    pub fn page_size(mut self, size: u32) -> Self {
        self.options.page_size = size;
        self
    }

    /// As [`ParticipantsRequest::include_registrant_id`](crate::ParticipantsRequest::include_registrant_id).
    pub fn include_registrant_id(mut self) -> Self {
        self.options.include_registrant_id = true;
        self
    }

    /// As [`ParticipantsRequest::prefetch`](crate::ParticipantsRequest::prefetch), for each webinar.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.options.prefetch = pages;
        self
    }

    /// As [`ParticipantsRequest::limit`](crate::ParticipantsRequest::limit), for each webinar.
    pub fn limit(mut self, n: u64) -> Self {
        self.options.limit = Some(n);
        self
    }

    /// Keeps only participants with this status; as [`ParticipantStream::status`].
    pub fn status(mut self, status: Status) -> Self {
        self.criteria.add_status(status);
        self
    }

    /// Keeps only participants with this role; as [`ParticipantStream::role`].
    pub fn role(mut self, role: Role) -> Self {
        self.criteria.add_role(role);
        self
    }

    /// Continues from a [`WebinarsCheckpoint`] of the same request: each started webinar
    /// resumes from its own checkpoint (with the guarantees of
    /// [`ParticipantsRequest::resume`](crate::ParticipantsRequest::resume)), finished
    /// ones are not requested again, the others start from their first page.
    pub fn resume(mut self, checkpoint: WebinarsCheckpoint) -> Self {
        self.resume = Some(checkpoint);
        self
    }

    /// Streams the webinars. Lazy: nothing is requested before the first poll.
    pub fn stream(self) -> WebinarsStream {
        self.stream_of()
    }

    /// As [`stream`](WebinarsRequest::stream), with each row as Zoom sent it
    /// ([`RawRow`]).
    pub fn stream_raw(self) -> WebinarsStream<RawRow> {
        self.stream_of()
    }

    fn stream_of<T: FromRow>(self) -> WebinarsStream<T> {
        let WebinarsRequest {
            client,
            ids,
            options,
            criteria,
            concurrency,
            resume,
            ordered,
        } = self;
        WebinarsStream {
            pending: ids.into(),
            active: Vec::new(),
            ended: BTreeMap::new(),
            saved: resume.unwrap_or_default().webinars,
            concurrency,
            ordered,
            next: 0,
            open: Box::new(move |id: &str, start: Start| {
                ParticipantStream::from_plan(options.plan(&client, id, start, &criteria))
            }),
        }
    }
}

type Open<T> = Box<dyn Fn(&str, Start) -> ParticipantStream<T> + Send>;

/// The participants of many webinars as `(webinar ID, participant)` pairs.
///
/// Unlike a [`ParticipantStream`], an error does not end it: the error of one webinar is
/// yielded as an [`Error::Webinar`] naming it, that webinar stops, and the others go on.
/// [`checkpoint`](WebinarsStream::checkpoint) tells where every webinar stands.
#[must_use = "streams do nothing unless polled"]
pub struct WebinarsStream<T = Participant> {
    pending: VecDeque<String>,
    active: Vec<(String, ParticipantStream<T>)>,
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

impl<T: FromRow> WebinarsStream<T> {
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
            let Some(id) = self.pending.pop_front() else {
                return;
            };
            let start = match self.saved.remove(&id) {
                Some(checkpoint) if checkpoint.is_finished() => {
                    self.ended.insert(id, checkpoint);
                    continue;
                }
                Some(checkpoint) => Start::Checkpoint(checkpoint),
                None => Start::First,
            };
            let stream = (self.open)(&id, start);
            self.active.push((id, stream));
        }
    }
}

impl<T: FromRow> Stream for WebinarsStream<T> {
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
                                return Poll::Ready(Some(Err(err.for_webinar(&id))));
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

impl<T: FromRow> FusedStream for WebinarsStream<T> {
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
