//! The ended instances of a webinar or meeting number (`GET /past_webinars/{id}/instances`,
//! `GET /past_meetings/{id}/instances`): the way to every occurrence of a recurring
//! webinar or meeting without the Dashboard, on the generic core.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream, StreamExt};

use crate::client::Client;
use crate::endpoint::{Endpoint, PAST_MEETING_INSTANCES, PAST_WEBINAR_INSTANCES};
use crate::envelope::RawRow;
use crate::error::Result;
use crate::model::PastInstance;
use crate::paginate::{Items, Start};
use crate::request::{Options, Target};
use crate::row::Row;

impl Client {
    /// The ended instances of webinar number `id` (`GET /past_webinars/{id}/instances`,
    /// scope `webinar:read:admin`, any paid plan): each occurrence's UUID and start, for
    /// [`report_webinar_participants`](Client::report_webinar_participants) or
    /// [`webinar_participants`](Client::webinar_participants) of each. A number alone
    /// reaches only the latest occurrence everywhere else. Zoom answers in one page; a UUID
    /// instead of a number is an error of the first poll, with no request. Its rate-limit
    /// label is *Light*, counted with the per-second rate
    /// ([`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)).
    pub fn past_webinar_instances(&self, id: impl Into<String>) -> PastInstancesRequest {
        PastInstancesRequest::new(self.clone(), &PAST_WEBINAR_INSTANCES, id.into())
    }

    /// The ended instances of meeting number `id` (`GET /past_meetings/{id}/instances`,
    /// scope `meeting:read:admin`), as
    /// [`past_webinar_instances`](Client::past_webinar_instances) does for webinars; label
    /// *Medium*, counted with the per-second rate.
    pub fn past_meeting_instances(&self, id: impl Into<String>) -> PastInstancesRequest {
        PastInstancesRequest::new(self.clone(), &PAST_MEETING_INSTANCES, id.into())
    }
}

/// A request for the ended instances of one webinar or meeting number; see
/// [`Client::past_webinar_instances`].
#[derive(Clone)]
#[must_use = "a request does nothing until it is streamed"]
pub struct PastInstancesRequest {
    client: Client,
    target: Target,
}

impl std::fmt::Debug for PastInstancesRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PastInstancesRequest")
            .field("list", &self.target.endpoint.name)
            .field("id", &self.target.id)
            .finish_non_exhaustive()
    }
}

impl PastInstancesRequest {
    fn new(client: Client, endpoint: &'static Endpoint, id: String) -> Self {
        PastInstancesRequest {
            client,
            target: Target { endpoint, id },
        }
    }

    /// The instances one by one, in Zoom's order. Lazy: nothing is requested before the
    /// first poll.
    pub fn stream(self) -> PastInstanceStream<PastInstance> {
        self.stream_of()
    }

    /// The instances as Zoom sent them ([`RawRow`]).
    pub fn stream_raw(self) -> PastInstanceStream<RawRow> {
        self.stream_of()
    }

    fn stream_of<T: Row>(self) -> PastInstanceStream<T> {
        // The plan of a participant list of one instance, with none of its options: no
        // filter, no limit, no read-ahead (there is one page).
        let plan = Options::default().plan(&self.client, &self.target, Start::First);
        PastInstanceStream {
            items: Items::new(plan),
        }
    }
}

/// The ended instances of one number: a `Stream<Item = Result<PastInstance>>` (or of
/// [`RawRow`]s). Zoom answers in one page; should it ever send a `next_page_token`, the
/// stream follows it with the core's guard against a repeated token, so nothing is cut
/// off. An error ends the stream.
#[must_use = "streams do nothing unless polled"]
pub struct PastInstanceStream<T = PastInstance> {
    items: Items<T>,
}

impl<T: Row> Stream for PastInstanceStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.poll_next_unpin(cx)
    }
}

impl<T: Row> FusedStream for PastInstanceStream<T> {
    fn is_terminated(&self) -> bool {
        self.items.is_terminated()
    }
}

impl<T> std::fmt::Debug for PastInstanceStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PastInstanceStream").finish_non_exhaustive()
    }
}
