//! Participant rows: the Dashboard's and the Report API's.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use super::{Extra, Role, Status};
use crate::field::{FieldSeed, Slot};

row_model! {
    /// One row of a webinar's participant list, exactly as Zoom reports it.
    ///
    /// Every field may be absent (`None`) and every string may be empty: Zoom blanks names,
    /// emails and addresses for HIPAA accounts and device details for external users. A person
    /// who rejoins is another row; nothing is de-duplicated. Fields this version does not know
    /// are kept in [`extra`](Participant::extra) as Zoom wrote them, and so is the value of a known
    /// field that does not have the documented type (a number where a string is documented, an
    /// instant that does not parse): that field is `None` and its value is in `extra` under its
    /// own name. Re-serializing a participant gives what Zoom sent, up to key order, `null`
    /// values and the textual form of an instant.
    pub struct Participant("participant") {
        /// Participant ID in the webinar; blank when the participant did not sign in.
        id: String,
        /// Participant's ID within this webinar instance.
        user_id: String,
        /// Display name.
        user_name: String,
        /// Device type (`Windows`, `Mac`, `iOS`, …).
        device: String,
        /// IP address.
        ip_address: String,
        /// Internal IP addresses.
        internal_ip_addresses: Vec<String>,
        /// Location.
        location: String,
        /// Network type: `Wired`, `Wifi`, `PPP`, `Cellular`, `Others`.
        network_type: String,
        /// Microphone device.
        microphone: String,
        /// Camera device.
        camera: String,
        /// Speaker device.
        speaker: String,
        /// Data center.
        data_center: String,
        /// Full data center name.
        full_data_center: String,
        /// Connection type.
        connection_type: String,
        /// When the participant joined.
        join_time: DateTime<Utc>,
        /// When the participant left.
        leave_time: DateTime<Utc>,
        /// Whether the participant shared an application.
        share_application: bool,
        /// Whether the participant shared the desktop.
        share_desktop: bool,
        /// Whether the participant shared the whiteboard.
        share_whiteboard: bool,
        /// Whether the participant recorded.
        recording: bool,
        /// Participant status: in the webinar or in the waiting room.
        status: Status,
        /// PC name.
        pc_name: String,
        /// Domain.
        domain: String,
        /// MAC address.
        mac_addr: String,
        /// Hard disk ID.
        harddisk_id: String,
        /// Client version.
        version: String,
        /// Why the participant left; may hold `<br>`.
        leave_reason: String,
        /// SIP URI.
        sip_uri: String,
        /// SIP URI the participant called from.
        from_sip_uri: String,
        /// Role: host, attendee, panelist, or another value Zoom adds.
        role: Role,
        /// Email address; often empty.
        email: String,
        /// Registrant ID; sent only with `include_fields=registrant_id`.
        registrant_id: String,
        /// Audio quality: `good`, `fair`, `poor`, `bad`, or `" "` when unknown.
        audio_quality: String,
        /// Video quality: `good`, `fair`, `poor`, `bad`, or `" "` when unknown.
        video_quality: String,
        /// Screen-share quality: `good`, `fair`, `poor`, `bad`, or `" "` when unknown.
        screen_share_quality: String,
        /// Customer key (at most 15 characters).
        customer_key: String,
        /// The participant's Zoom user ID.
        participant_user_id: String,
        /// The participant's UUID.
        participant_uuid: String,
        /// Operating system.
        os: String,
        /// Operating system version.
        os_version: String,
        /// Device name.
        device_name: String,
        /// Client.
        client: String,
        /// Whether archiving is on for this participant.
        has_archiving: bool,
        /// Optional archiving.
        optional_archiving: String,
        /// Breakout-room meeting ID.
        bo_mtg_id: String,
        /// Phone calls of the participant.
        audio_call: Vec<AudioCall>,
    }
}

row_model! {
    /// One phone call of a participant.
    pub struct AudioCall("audio call") {
        /// The number called from.
        call_number: String,
        /// The kind of call.
        call_type: String,
        /// The Zoom number called.
        zoom_number: String,
    }
}

row_model! {
    /// One row of the Report API's participant list (`GET /report/webinars/{id}/participants`
    /// or `GET /report/meetings/{id}/participants`), as Zoom reports it.
    ///
    /// The Report API names people differently from the Dashboard (`name`, `user_email`) and
    /// carries each connection's `duration` in seconds. A person who rejoins is another
    /// row. The tolerant rules of [`Participant`] apply: every field may be absent, and
    /// what is not known, or does not have the documented type, is kept in
    /// [`extra`](ReportParticipant::extra).
    pub struct ReportParticipant("report participant") {
        /// The participant's user ID if they signed in to Zoom; blank otherwise.
        id: String,
        /// The participant's ID, valid for this instance only.
        user_id: String,
        /// Display name (blank for HIPAA accounts).
        name: String,
        /// Email address (blank for HIPAA accounts).
        user_email: String,
        /// When the participant joined.
        join_time: DateTime<Utc>,
        /// When the participant left.
        leave_time: DateTime<Utc>,
        /// How long the connection lasted, in seconds.
        duration: i64,
        /// Whether a failover happened during the session.
        failover: bool,
        /// Participant status: in the session or in the waiting room.
        status: Status,
        /// Customer key (at most 15 characters).
        customer_key: String,
        /// Registrant ID; sent only with `include_fields=registrant_id`.
        registrant_id: String,
        /// The participant's Zoom user ID.
        participant_user_id: String,
        /// Breakout-room meeting ID.
        bo_mtg_id: String,
    }
}
