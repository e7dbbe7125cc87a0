//! The open enums of rows (unknown values kept) and the `type` of each list.

use std::fmt;

use serde::de::Visitor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

open_enum! {
    /// Where a participant is: in the webinar, in the waiting room, or elsewhere.
    Status {
        /// `in_meeting`
        InMeeting => "in_meeting",
        /// `in_waiting_room`
        InWaitingRoom => "in_waiting_room",
    }
}

open_enum! {
    /// A participant's role in the webinar.
    Role {
        /// `host`
        Host => "host",
        /// `attendee`
        Attendee => "attendee",
        /// `panelist`
        Panelist => "panelist",
    }
}

/// Which webinar list to read: the one in progress or one that has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebinarType {
    /// `type=live`: the webinar in progress (Zoom's default).
    Live,
    /// `type=past`: a webinar that has ended.
    Past,
}

impl WebinarType {
    /// The value sent as `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebinarType::Live => "live",
            WebinarType::Past => "past",
        }
    }
}

/// Which meeting list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingType {
    /// `type=live`: the meeting in progress (Zoom's default).
    Live,
    /// `type=past`: a meeting that has ended, with two or more participants.
    Past,
    /// `type=pastOne`: a meeting that has ended with a single participant.
    PastOne,
}

impl MeetingType {
    /// The value sent as `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingType::Live => "live",
            MeetingType::Past => "past",
            MeetingType::PastOne => "pastOne",
        }
    }
}

/// Deserializes a string through a function without allocating a copy of it.
pub(crate) struct StrVisitor<F>(pub(crate) F);

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> Visitor<'de> for StrVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        (self.0)(text).map_err(E::custom)
    }
}
