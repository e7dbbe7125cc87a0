//! The request for participant lists: one builder for one instance and many, holding the
//! per-instance options once. What a request for one instance does is in `participants`,
//! for many in `fanout`.

use std::collections::HashSet;
use std::marker::PhantomData;

use crate::checkpoint::WebinarsCheckpoint;
use crate::client::Client;
use crate::criteria::Criteria;
use crate::endpoint::{Endpoint, Query};
use crate::model::{MeetingType, Participant, Role, Status, WebinarType};
use crate::paginate::{Plan, Start, fetcher};
use crate::row::Row;

/// The per-instance options: the query, the filters, read-ahead and limit. One value,
/// shared by a request for one instance and a request for many.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub query: Query,
    pub criteria: Criteria,
    pub prefetch: usize,
    pub limit: Option<u64>,
}

/// One instance's participant list: which endpoint, which webinar or meeting.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub endpoint: &'static Endpoint,
    pub id: String,
}

impl Options {
    /// The plan for one instance's participants, starting at `start`.
    pub(crate) fn plan(&self, client: &Client, target: &Target, start: Start) -> Plan {
        let Target { endpoint, id } = target;
        let url = endpoint.first_page(&client.transport, Some(id), &self.query, &[]);
        Plan {
            fetch: fetcher(&client.transport, url, endpoint.array, endpoint.label),
            request: endpoint.request_name(&format!("{id:?}"), &self.query),
            start,
            filter: self.criteria.filter(),
            limit: self.limit,
            prefetch: self.prefetch,
        }
    }
}

/// One instance's request: its target and where it starts.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct One {
    pub(crate) target: Target,
    pub(crate) start: Start,
}

impl One {
    /// Which endpoint and instance.
    pub(crate) fn target(&self) -> &Target {
        &self.target
    }
}

/// A request for participants: of one webinar or meeting ([`stream`](ParticipantsRequest::stream)
/// runs it), or of many ([`WebinarsRequest`](crate::WebinarsRequest), the same builder
/// with a fan-out). `R` is the row type: [`Participant`] for the Dashboard,
/// [`ReportParticipant`](crate::ReportParticipant) for the Report API.
///
/// The options (type, page size, registrant IDs, filters, read-ahead, limit) are the same
/// for one instance and many. An option an endpoint does not take (`pastOne` for webinars,
/// any type for the Report API) is an error of the stream's first poll, with no request.
#[must_use = "a request does nothing until it is streamed"]
pub struct ParticipantsRequest<R = Participant, S = One> {
    pub(crate) client: Client,
    pub(crate) scope: S,
    pub(crate) options: Options,
    _rows: PhantomData<fn() -> R>,
}

impl<R, S: Clone> Clone for ParticipantsRequest<R, S> {
    fn clone(&self) -> Self {
        ParticipantsRequest {
            client: self.client.clone(),
            scope: self.scope.clone(),
            options: self.options.clone(),
            _rows: PhantomData,
        }
    }
}

impl<R, S: std::fmt::Debug> std::fmt::Debug for ParticipantsRequest<R, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParticipantsRequest")
            .field("scope", &self.scope)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<R: Row> ParticipantsRequest<R> {
    pub(crate) fn one(client: Client, endpoint: &'static Endpoint, id: String) -> Self {
        ParticipantsRequest::with_scope(
            client,
            One {
                target: Target { endpoint, id },
                start: Start::First,
            },
        )
    }
}

impl<R, S> ParticipantsRequest<R, S> {
    pub(crate) fn with_scope(client: Client, scope: S) -> Self {
        ParticipantsRequest {
            client,
            scope,
            options: Options::default(),
            _rows: PhantomData,
        }
    }

    /// `type=live` or `type=past`. When never called, no `type` is sent and Zoom answers
    /// for the live session. The Report API takes no type.
    pub fn webinar_type(mut self, kind: WebinarType) -> Self {
        self.options.query.kind = Some(kind.as_str());
        self
    }

    /// `type=live`, `type=past` or `type=pastOne` (a meeting that ended with one
    /// participant: only the Dashboard's meeting participants take it).
    pub fn meeting_type(mut self, kind: MeetingType) -> Self {
        self.options.query.kind = Some(kind.as_str());
        self
    }

    /// Rows per page, 1..=300, default 300. Out of range is an error from the stream's
    /// first poll, with no request made.
    pub fn page_size(mut self, size: u32) -> Self {
        self.options.query.page_size = size;
        self
    }

    /// Asks Zoom for each participant's `registrant_id` (`include_fields=registrant_id`).
    pub fn include_registrant_id(mut self) -> Self {
        self.options.query.include = true;
        self
    }

    /// Fetches up to `pages` pages ahead (at most [`MAX_PREFETCH`](crate::MAX_PREFETCH)),
    /// on a task of its own that only fetches, while the caller decodes and handles the
    /// current one (with many instances: per instance). Default 0: a page is requested
    /// only when the caller has taken every row of the one before. Needs a tokio runtime.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.options.prefetch = pages;
        self
    }

    /// Stops after `n` rows (after filters; with many instances: per instance),
    /// requesting no page beyond the one that holds the `n`th, with or without read-ahead.
    pub fn limit(mut self, n: u64) -> Self {
        self.options.limit = Some(n);
        self
    }

    /// Keeps only rows with this status, as [`ParticipantStream::status`].
    pub fn status(mut self, status: Status) -> Self {
        self.options.criteria.add_status(status);
        self
    }

    /// Keeps only rows with this role, as [`ParticipantStream::role`].
    pub fn role(mut self, role: Role) -> Self {
        self.options.criteria.add_role(role);
        self
    }
}

/// The instances of a fan-out and how they are streamed.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct Many {
    pub(crate) targets: Vec<Target>,
    pub(crate) concurrency: usize,
    pub(crate) resume: Option<WebinarsCheckpoint>,
    pub(crate) ordered: bool,
}

impl Many {
    pub(crate) fn new(mut targets: Vec<Target>) -> Self {
        let mut seen = HashSet::new();
        targets.retain(|t| seen.insert(t.id.clone()));
        Many {
            targets,
            concurrency: 4,
            resume: None,
            ordered: false,
        }
    }
}
