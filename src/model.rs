//! What Zoom sends: the participant, its enums, and the page envelope.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::Visitor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// One row of a webinar's participant list, exactly as Zoom reports it.
///
/// Every field may be absent (`None`) and every string may be empty: Zoom blanks names,
/// emails and addresses for HIPAA accounts and device details for external users. A person
/// who rejoins is another row; nothing is de-duplicated. Fields this version does not know
/// are kept in [`extra`](Participant::extra) and serialized back, so re-serializing a
/// participant gives what Zoom sent (up to key order, `null` values, and the textual form of
/// an instant).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    /// Participant ID in the webinar; blank when the participant did not sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Participant's ID within this webinar instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Device type (`Windows`, `Mac`, `iOS`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Internal IP addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_ip_addresses: Option<Vec<String>>,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Network type: `Wired`, `Wifi`, `PPP`, `Cellular`, `Others`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_type: Option<String>,
    /// Microphone device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microphone: Option<String>,
    /// Camera device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// Speaker device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// Data center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_center: Option<String>,
    /// Full data center name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_data_center: Option<String>,
    /// Connection type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    /// When the participant joined.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "instant::deserialize"
    )]
    pub join_time: Option<DateTime<Utc>>,
    /// When the participant left.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "instant::deserialize"
    )]
    pub leave_time: Option<DateTime<Utc>>,
    /// Whether the participant shared an application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_application: Option<bool>,
    /// Whether the participant shared the desktop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_desktop: Option<bool>,
    /// Whether the participant shared the whiteboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_whiteboard: Option<bool>,
    /// Whether the participant recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<bool>,
    /// Participant status: in the webinar or in the waiting room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// PC name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pc_name: Option<String>,
    /// Domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// MAC address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_addr: Option<String>,
    /// Hard disk ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harddisk_id: Option<String>,
    /// Client version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why the participant left; may hold `<br>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_reason: Option<String>,
    /// SIP URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_uri: Option<String>,
    /// SIP URI the participant called from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_sip_uri: Option<String>,
    /// Role: host, attendee, panelist, or another value Zoom adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Email address; often empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Registrant ID; sent only with `include_fields=registrant_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrant_id: Option<String>,
    /// Audio quality: `good`, `fair`, `poor`, `bad`, or `" "` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_quality: Option<String>,
    /// Video quality: `good`, `fair`, `poor`, `bad`, or `" "` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_quality: Option<String>,
    /// Screen-share quality: `good`, `fair`, `poor`, `bad`, or `" "` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_share_quality: Option<String>,
    /// Customer key (at most 15 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_key: Option<String>,
    /// The participant's Zoom user ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_user_id: Option<String>,
    /// The participant's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_uuid: Option<String>,
    /// Operating system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Operating system version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Device name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// Client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Whether archiving is on for this participant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_archiving: Option<bool>,
    /// Optional archiving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional_archiving: Option<String>,
    /// Breakout-room meeting ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bo_mtg_id: Option<String>,
    /// Phone calls of the participant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_call: Option<Vec<AudioCall>>,
    /// Every field this version does not know, kept as Zoom sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Participant {
    /// Zoom's names of every field the model knows, in the order of the model.
    pub const FIELDS: &'static [&'static str] = &[
        "id",
        "user_id",
        "user_name",
        "device",
        "ip_address",
        "internal_ip_addresses",
        "location",
        "network_type",
        "microphone",
        "camera",
        "speaker",
        "data_center",
        "full_data_center",
        "connection_type",
        "join_time",
        "leave_time",
        "share_application",
        "share_desktop",
        "share_whiteboard",
        "recording",
        "status",
        "pc_name",
        "domain",
        "mac_addr",
        "harddisk_id",
        "version",
        "leave_reason",
        "sip_uri",
        "from_sip_uri",
        "role",
        "email",
        "registrant_id",
        "audio_quality",
        "video_quality",
        "screen_share_quality",
        "customer_key",
        "participant_user_id",
        "participant_uuid",
        "os",
        "os_version",
        "device_name",
        "client",
        "has_archiving",
        "optional_archiving",
        "bo_mtg_id",
        "audio_call",
    ];
}

/// One phone call of a participant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioCall {
    /// The number called from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_number: Option<String>,
    /// The kind of call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_type: Option<String>,
    /// The Zoom number called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoom_number: Option<String>,
    /// Fields this version does not know, kept as Zoom sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Declares a string enum whose unknown values are kept and serialized back unchanged.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know, kept as Zoom sent it.
            Other(String),
        }

        impl $name {
            /// The value as Zoom writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(StrVisitor(|text: &str| Ok($name::from(text))))
            }
        }
    };
}

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

/// Deserializes a string through a function without allocating a copy of it.
struct StrVisitor<F>(F);

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> Visitor<'de> for StrVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        (self.0)(text).map_err(E::custom)
    }
}

/// Zoom's instants: RFC 3339, but absent, `null` and `""` all mean "not known".
mod instant {
    use super::*;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<DateTime<Utc>>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 instant or null")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(StrVisitor(|text: &str| {
                let text = text.trim();
                if text.is_empty() {
                    return Ok(None);
                }
                parse(text)
                    .map(Some)
                    .ok_or_else(|| format!("invalid instant {text:?}: expected RFC 3339"))
            }))
        }
    }

    fn parse(text: &str) -> Option<DateTime<Utc>> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(t.with_timezone(&Utc));
        }
        // Seen in the wild: no offset at all, meaning UTC.
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            .map(|t| t.and_utc())
    }
}

#[cfg(test)]
mod decode_properties {
    //! The page decoder meets arbitrary bytes and arbitrary JSON: it errors, never panics,
    //! and whatever it accepts re-serializes without loss of unknown fields.
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            Just(Value::String("2019-09-07T13:15:02.837Z".into())),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            let key = prop_oneof![
                proptest::sample::select(Participant::FIELDS).prop_map(str::to_owned),
                Just("participants".to_owned()),
                Just("next_page_token".to_owned()),
                "[a-z_]{1,8}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key, inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = serde_json::from_slice::<Participant>(&bytes);
        }

        #[test]
        fn arbitrary_json_never_panics_and_accepted_rows_round_trip(value in json()) {
            let text = value.to_string();
            let _ = serde_json::from_str::<Participant>(&text);
            if let Ok(p) = serde_json::from_str::<Participant>(&text) {
                let again: Participant = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
                prop_assert_eq!(again.extra, p.extra);
            }
        }
    }
}
