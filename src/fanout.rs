//! Many webinars at once: each one's pages in order, several webinars in flight.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream, Stream, StreamExt};

use crate::client::Client;
use crate::error::Result;
use crate::model::{Participant, Role, Status, WebinarType};
use crate::participants::{Criteria, Options, ParticipantStream};

impl Client {
    /// The participants of many webinars, streamed with bounded concurrency; see
    /// [`WebinarsRequest`].
    pub fn webinars_participants<I, S>(&self, ids: I) -> WebinarsRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        WebinarsRequest {
            client: self.clone(),
            ids: ids.into_iter().map(Into::into).collect(),
            options: Options::default(),
            criteria: Criteria::default(),
            concurrency: 4,
        }
    }
}

/// A request for the participants of many webinars. Takes the options of a one-webinar
/// request, applied to each webinar, and streams `(webinar ID, participant)` pairs: each
/// webinar's participants in order, up to [`concurrency`](WebinarsRequest::concurrency)
/// webinars at a time, all under the client's one rate limit.
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is streamed"]
pub struct WebinarsRequest {
    client: Client,
    ids: Vec<String>,
    options: Options,
    criteria: Criteria,
    concurrency: usize,
}

impl WebinarsRequest {
    /// How many webinars are streamed at once (at least 1), default 4.
    pub fn concurrency(mut self, webinars: usize) -> Self {
        self.concurrency = webinars.max(1);
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

    /// Streams the webinars. Lazy: nothing is requested before the first poll.
    pub fn stream(self) -> WebinarsStream {
        let WebinarsRequest {
            client,
            ids,
            options,
            criteria,
            concurrency,
        } = self;
        let webinars = ids.into_iter().map(move |id| {
            let plan = options.plan(&client, &id, None, &criteria);
            ParticipantStream::from_plan(plan).map(move |item| match item {
                Ok(p) => Ok((id.clone(), p)),
                Err(e) => Err(e.for_webinar(&id)),
            })
        });
        WebinarsStream {
            inner: stream::iter(webinars)
                .flatten_unordered(concurrency)
                .boxed(),
        }
    }
}

/// The participants of many webinars as `(webinar ID, participant)` pairs.
///
/// Unlike a [`ParticipantStream`], an error does not end it: the error of one webinar is
/// yielded as an [`Error::Webinar`](crate::Error::Webinar) naming it, that webinar stops,
/// and the others go on.
#[must_use = "streams do nothing unless polled"]
pub struct WebinarsStream {
    inner: BoxStream<'static, Result<(String, Participant)>>,
}

impl Stream for WebinarsStream {
    type Item = Result<(String, Participant)>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for WebinarsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebinarsStream").finish_non_exhaustive()
    }
}
