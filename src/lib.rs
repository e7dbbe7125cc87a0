//! Stream the participants of a Zoom webinar out of Zoom's Dashboard API
//! (`GET /metrics/webinars/{webinarId}/participants`), page after page, as a
//! [`futures::Stream`] of [`Result<Participant>`].
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use zoom_participants::{Client, Role, Status, WebinarType};
//!
//! # async fn run(token: String) -> zoom_participants::Result<()> {
//! let client = Client::builder()
//!     .bearer_token(token)                 // or .server_to_server_oauth(account_id, client_id, client_secret)
//!     .build()?;                           // base_url defaults to https://api.zoom.us/v2
//!
//! let mut participants = client
//!     .webinar_participants("95204914252") // webinar ID or UUID, raw: the crate encodes it
//!     .webinar_type(WebinarType::Past)
//!     .page_size(300)
//!     .stream()                            // ParticipantStream: nothing is requested until it is polled
//!     .status(Status::InMeeting)
//!     .role(Role::Panelist);
//!
//! while let Some(p) = participants.try_next().await? {
//!     println!("{:?} {:?}", p.user_name, p.join_time);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The stream is lazy (nothing is requested before the first poll, and a page only when
//! the previous one is drained), ends at the last page, refuses a `next_page_token` that
//! repeats, and ends after an error with [`ParticipantStream::next_page_token`] telling
//! where to resume. Transient failures (429 per-second limits, 5xx, connection errors,
//! timeouts) are retried by a [`RetryPolicy`]; all streams of one [`Client`] share one
//! connection pool, token cache and [`RateLimit`].
//!
//! Rows are connections, not people: [`attendance`] folds a stream of rows into one
//! [`Attendance`] per person (time attended as the union of their connections).
//!
//! Zoom facts worth knowing: the endpoint needs the `dashboard_webinars:read:admin` scope
//! and a Business, Education or API plan with the Webinar add-on; it is rate-limit label
//! *Heavy*; a `next_page_token` expires after 15 minutes.
//!
//! The same core reads the Dashboard's meeting participants
//! ([`Client::meeting_participants`]), both Dashboard instance lists ([`Client::webinars`],
//! [`Client::meetings`]) and the Report API's participant lists, which Pro accounts have
//! without the Dashboard ([`Client::report_webinar_participants`],
//! [`Client::report_meeting_participants`]): each list is one description (path, array,
//! rate-limit label, query) and a row type, with the same laziness, read-ahead, limit,
//! checkpoints and resume.
//!
//! Live attendance, while a session runs: [`webhook`] verifies Zoom's participant webhooks
//! ([`webhook::Verifier`] for any server, `webhook::listen` for the crate's own, feature
//! `webhook`), and [`ParticipantsRequest::follow`] polls the live list; both yield
//! [`webhook::ParticipantEvent`]s.
#![warn(missing_docs)]

mod attendance;
mod auth;
mod body;
mod checkpoint;
mod client;
mod criteria;
mod encode;
mod endpoint;
mod envelope;
mod error;
#[cfg(feature = "fake")]
pub mod fake;
mod fanout;
mod field;
mod follow;
mod http;
mod json;
mod lists;
mod lock;
mod model;
mod paginate;
mod participants;
mod past;
mod rate_limit;
mod redact;
mod request;
mod retry;
mod row;
mod secret;
pub mod webhook;

pub use attendance::{Attendance, Connection, PersonKey, attendance};
pub use checkpoint::Checkpoint;
pub use checkpoint::WebinarsCheckpoint;
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_TOKEN_URL};
pub use envelope::{MAX_ROWS_PER_PAGE, RawRow};
pub use error::{Error, RateLimitKind, Result};
pub use fanout::{WebinarsRequest, WebinarsStream};
pub use follow::{FollowStream, MIN_POLL_INTERVAL};
pub use lists::{
    InstanceListRequest, InstanceListStream, Listed, MeetingListRequest, MeetingListStream,
    WebinarListRequest, WebinarListStream,
};
pub use model::{
    AudioCall, CustomKey, Extra, Meeting, MeetingType, Participant, PastInstance,
    ReportParticipant, Role, Status, TrackingField, Webinar, WebinarType,
};
pub use paginate::{MAX_PREFETCH, Page, PageStream};
pub use participants::{MAX_PAGE_SIZE, ParticipantStream};
pub use past::{PastInstanceStream, PastInstancesRequest};
pub use rate_limit::RateLimit;
pub use redact::{Redactor, one_line};
pub use request::ParticipantsRequest;
pub use retry::RetryPolicy;
pub use row::Row;
/// The former name of [`Row`].
#[doc(hidden)]
pub use row::Row as FromRow;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
