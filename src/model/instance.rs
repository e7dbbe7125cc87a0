//! Instance rows of the Dashboard lists: webinars and meetings.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use super::Extra;
use crate::field::{FieldSeed, Slot};

row_model! {
    /// One webinar instance of the Dashboard list (`GET /metrics/webinars`), as Zoom reports it.
    ///
    /// A recurring webinar has one row per occurrence, each with its own
    /// [`uuid`](Webinar::uuid); the [`id`](Webinar::id) (the webinar number) is shared. The
    /// same tolerant rules as [`Participant`] apply: every field may be absent, and what does
    /// not have the documented type, or is not known, is kept in [`extra`](Webinar::extra).
    pub struct Webinar("webinar") {
        /// The instance's UUID; may contain `/`, `+` and `=`.
        uuid: String,
        /// The webinar number (shared by every occurrence of a recurring webinar).
        id: i64,
        /// Topic.
        topic: String,
        /// The host's display name.
        host: String,
        /// The host's email address.
        email: String,
        /// The host's user type.
        user_type: String,
        /// When the webinar started.
        start_time: DateTime<Utc>,
        /// When the webinar ended.
        end_time: DateTime<Utc>,
        /// How long it lasted, as Zoom writes it: `hh:mm:ss`, or `mm:ss` under an hour.
        duration: String,
        /// How many participants it had.
        participants: u64,
        /// Whether PSTN (phone) audio was used.
        has_pstn: bool,
        /// Whether VoIP (computer) audio was used.
        has_voip: bool,
        /// Whether third-party (TSP) audio was used.
        has_3rd_party_audio: bool,
        /// Whether video was used.
        has_video: bool,
        /// Whether the screen was shared.
        has_screen_share: bool,
        /// Whether it was recorded.
        has_recording: bool,
        /// Whether SIP was used.
        has_sip: bool,
        /// The host's department.
        dept: String,
        /// Custom keys and values assigned to the webinar (at most 10).
        custom_keys: Vec<CustomKey>,
        /// Whether a participant from outside the host's account joined (newer field).
        has_external_participant: bool,
    }
}

row_model! {
    /// A custom key and its value, assigned to a webinar.
    pub struct CustomKey("custom key") {
        /// The key (at most 64 characters).
        key: String,
        /// The value (at most 256 characters).
        value: String,
    }
}

row_model! {
    /// One meeting instance of the Dashboard list (`GET /metrics/meetings`), as Zoom reports it.
    ///
    /// A recurring meeting has one row per occurrence, each with its own
    /// [`uuid`](Meeting::uuid); the [`id`](Meeting::id) (the meeting number) is shared. The
    /// tolerant rules of [`Webinar`] apply.
    pub struct Meeting("meeting") {
        /// The instance's UUID; may contain `/`, `+` and `=`.
        uuid: String,
        /// The meeting number (shared by every occurrence of a recurring meeting).
        id: i64,
        /// Topic.
        topic: String,
        /// The host's display name.
        host: String,
        /// The host's email address.
        email: String,
        /// The host's user type.
        user_type: String,
        /// When the meeting started.
        start_time: DateTime<Utc>,
        /// When the meeting ended.
        end_time: DateTime<Utc>,
        /// How long it lasted, as Zoom writes it: `hh:mm:ss`, or `mm:ss` under an hour.
        duration: String,
        /// How many participants it had.
        participants: u64,
        /// Whether PSTN (phone) audio was used.
        has_pstn: bool,
        /// Whether VoIP (computer) audio was used.
        has_voip: bool,
        /// Whether third-party (TSP) audio was used.
        has_3rd_party_audio: bool,
        /// Whether video was used.
        has_video: bool,
        /// Whether the screen was shared.
        has_screen_share: bool,
        /// Whether it was recorded.
        has_recording: bool,
        /// Whether SIP was used.
        has_sip: bool,
        /// How many Zoom Rooms participants it had.
        in_room_participants: u64,
        /// The host's department.
        dept: String,
        /// Custom keys and values assigned to the meeting (at most 10).
        custom_keys: Vec<CustomKey>,
        /// Tracking fields and their values; sent only with `include_fields=tracking_fields`.
        tracking_fields: Vec<TrackingField>,
    }
}

row_model! {
    /// A tracking field and its value, assigned to a meeting.
    pub struct TrackingField("tracking field") {
        /// The field's label (at most 64 characters).
        field: String,
        /// The value (at most 256 characters).
        value: String,
    }
}

row_model! {
    /// One ended instance of a webinar or meeting number, from
    /// `GET /past_webinars/{webinarId}/instances` or `GET /past_meetings/{meetingId}/instances`
    /// ([`Client::past_webinar_instances`](crate::Client::past_webinar_instances)). Its
    /// [`uuid`](PastInstance::uuid) reaches that occurrence's participants, where the number
    /// alone reaches only the latest. The tolerant rules of [`Webinar`] apply.
    pub struct PastInstance("past instance") {
        /// The instance's UUID; may contain `/`, `+` and `=`.
        uuid: String,
        /// When the instance started.
        start_time: DateTime<Utc>,
    }
}
