//! Zoom's participant webhooks, verified: joins and leaves as they happen.
//!
//! Two ways in. [`Verifier`] checks one delivery (signature over the raw body in constant
//! time, a 5-minute replay window, a body cap, JSON) and answers Zoom's
//! `endpoint.url_validation`, with no HTTP server of its own: call it from the server you
//! already run. `listen` (feature `webhook`, on with `cli`) is the crate's own endpoint:
//! it answers Zoom within its 3 seconds, yields each event once as a
//! `Stream<Item = Result<ParticipantEvent>>`, answers 503 when its consumer falls behind
//! (Zoom retries later) and keeps its memory bounded under a flood.
//!
//! The events are [`ParticipantEvent`]s, the same type a live follow
//! ([`ParticipantsRequest::follow`](crate::ParticipantsRequest::follow)) yields, so the two
//! compose: merge them, fold them into a live board, or pair joins and leaves back into
//! connection rows with [`connections`] and fold those with
//! [`attendance`](crate::attendance), as an export is.
//!
//! ```
//! use zoom_participants::webhook::{Delivery, EventKind, Verifier};
//!
//! let verifier = Verifier::new("secret-token-from-the-app-page");
//! let body = br#"{"event":"webinar.participant_joined","event_ts":1767268800123,
//!   "payload":{"account_id":"acc","object":{"uuid":"u==","id":"95204914252","topic":"Launch",
//!   "participant":{"user_name":"Riya","join_time":"2026-01-01T12:00:00Z"}}}}"#;
//! # let timestamp = "1767268800";
//! # let signature = verifier.sign(timestamp, body);
//! let headers = [("x-zm-request-timestamp", timestamp), ("x-zm-signature", &signature)];
//! match verifier.verify_at(&headers[..], body, 1_767_268_801)? {
//!     Delivery::Event(event) => {
//!         assert_eq!(event.kind, EventKind::Joined);
//!         assert_eq!(event.participant.user_name.as_deref(), Some("Riya"));
//!     }
//!     other => unreachable!("{other:?}"),
//! }
//! # Ok::<(), zoom_participants::Error>(())
//! ```

mod connections;
mod event;
#[cfg(feature = "webhook")]
mod listen;
mod verify;

pub use connections::connections;
pub use event::{EventIdentity, EventKind, Instance, InstanceKind, ParticipantEvent};
#[cfg(feature = "webhook")]
pub use listen::{
    CloseHandle, DEFAULT_BUFFER, DEFAULT_MAX_CONNECTIONS, DEFAULT_REMEMBER,
    DEFAULT_REQUEST_TIMEOUT, EventStream, Listener, ListenerStats, listen,
};
pub use verify::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_WINDOW, Delivery, Headers, Refusal, SIGNATURE_HEADER,
    TIMESTAMP_HEADER, Verifier,
};
