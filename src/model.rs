//! What Zoom sends: the participant, the webinar, their enums, and the page envelope.
//!
//! Every row type is declared once, with [`row_model!`], from one list of fields: the struct,
//! its `FIELDS`, and its tolerant `Serialize`/`Deserialize` all come from that list.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::rows::{FieldSeed, FieldValue, Slot};

/// Declares a Zoom row type from its list of fields (each `Option` of its type), with
/// `extra: Extra`, `FIELDS`, `Serialize` and a tolerant `Deserialize`.
///
/// Decoding one row is one typed pass over its text; only if that pass fails (a value of an
/// unexpected type, a lone surrogate escape) is the row decoded again field by field, each
/// value that cannot be typed going to `extra` under its own name as Zoom wrote it.
macro_rules! row_model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($what:literal) {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Every field this version does not know, and every value of a known field that
            /// does not have the documented type, kept as Zoom wrote it.
            pub extra: Extra,
        }

        impl $name {
            /// Zoom's names of every field the model knows, in the order of the model.
            // Not every row type is exported from the crate root yet.
            #[allow(dead_code)]
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The JSON Schema of the row as it serializes: an object with every known
            /// field, each nullable, from the same list as the struct (so the two cannot
            /// drift). The fields kept in `extra` are not described: other properties are
            /// allowed.
            #[allow(dead_code)]
            pub fn json_schema() -> serde_json::Value {
                let mut properties = serde_json::Map::new();
                $(properties.insert(
                    stringify!($field).to_owned(),
                    crate::rows::nullable(<$ty as FieldValue>::json_schema()),
                );)*
                serde_json::json!({ "type": "object", "properties": properties })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                $(if let Some(value) = &self.$field {
                    map.serialize_entry(stringify!($field), value)?;
                })*
                for (name, value) in self.extra.iter() {
                    // A typed value wins over a stale raw one: one key per name.
                    if !self.has_typed(name) {
                        map.serialize_entry(name, value)?;
                    }
                }
                map.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// Keeps the row's text, then decodes it tolerantly: with serde_json, a value of
            /// an unexpected type never fails the row.
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = Box::<RawValue>::deserialize(deserializer)?;
                $name::decode_object(raw.get()).ok_or_else(|| {
                    <D::Error as serde::de::Error>::custom(concat!("a ", $what, " must be a JSON object"))
                })
            }
        }

        const _: () = {
            impl $name {
            /// Whether the typed field of this name holds a value.
            fn has_typed(&self, name: &str) -> bool {
                match name {
                    $(stringify!($field) => self.$field.is_some(),)*
                    _ => false,
                }
            }

            /// Decodes the text of one object; `None` if it is not an object.
            pub(crate) fn decode_object(raw: &str) -> Option<Self> {
                let mut de = serde_json::Deserializer::from_str(raw);
                let fast = de
                    .deserialize_map(FastVisitor)
                    .and_then(|row| de.end().map(|()| row));
                match fast {
                    Ok(row) => Some(row),
                    Err(_) => Self::decode_slowly(raw),
                }
            }

            /// Decodes an object member by member, keeping what does not type in `extra`.
            fn decode_slowly(raw: &str) -> Option<Self> {
                let mut row = $name::default();
                for member in crate::rows::members(raw)? {
                    let name = crate::rows::decode_key(member.key);
                    match name.as_ref() {
                        $(stringify!($field) => {
                            match crate::rows::field_from_raw::<$ty>(member.value) {
                                Slot::Typed(value) => row.$field = Some(value),
                                Slot::Null => row.$field = None,
                                Slot::Raw(raw) => {
                                    row.$field = None;
                                    row.extra.insert_raw(name.into_owned(), raw);
                                }
                            }
                        })*
                        _ => {
                            row.extra
                                .insert_raw(name.into_owned(), crate::rows::raw_box(member.value));
                        }
                    }
                }
                Some(row)
            }
            }

            /// A key of the row: one of the known fields, or another name.
            #[allow(non_camel_case_types)]
            enum Key {
                $($field,)*
                Other(String),
            }

            impl Key {
                fn of(name: &str) -> Option<Key> {
                    Some(match name {
                        $(stringify!($field) => Key::$field,)*
                        _ => return None,
                    })
                }
            }

            impl<'de> Deserialize<'de> for Key {
                fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    deserializer.deserialize_identifier(KeyVisitor)
                }
            }

            struct KeyVisitor;

            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key;

                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a field name")
                }

                fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Key, E> {
                    Ok(Key::of(name).unwrap_or_else(|| Key::Other(name.to_owned())))
                }

                fn visit_string<E: serde::de::Error>(self, name: String) -> Result<Key, E> {
                    Ok(Key::of(&name).unwrap_or(Key::Other(name)))
                }
            }

            /// The typed pass: strict about every known field's type.
            struct FastVisitor;

            impl<'de> Visitor<'de> for FastVisitor {
                type Value = $name;

                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str(concat!("a ", $what, " object"))
                }

                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                    let mut row = $name::default();
                    while let Some(found) = map.next_key::<Key>()? {
                        match found {
                            $(Key::$field => {
                                match map.next_value_seed(FieldSeed::<$ty>::new())? {
                                    Slot::Typed(value) => row.$field = Some(value),
                                    Slot::Null => row.$field = None,
                                    Slot::Raw(raw) => {
                                        row.$field = None;
                                        row.extra.insert_raw(stringify!($field), raw);
                                    }
                                }
                            })*
                            Key::Other(name) => {
                                let value: Box<RawValue> = map.next_value()?;
                                row.extra.insert_raw(name, value);
                            }
                        }
                    }
                    Ok(row)
                }
            }
        };
    };
}

/// Fields of a row kept as Zoom wrote them: name → the value's exact JSON text, in name
/// order.
///
/// Numbers keep their text (`123456789012345678901234567890`, `1e400`, `1.50`), strings
/// their escapes. Two `Extra`s are equal when they hold the same names with the same texts.
#[derive(Clone, Debug, Default)]
pub struct Extra(BTreeMap<String, Box<RawValue>>);

impl Extra {
    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The raw JSON of a field.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.0.get(name).map(|raw| &**raw)
    }

    /// A field parsed as a [`Value`]; `None` if absent or if a `Value` cannot represent it
    /// (a number out of `f64` range, a lone surrogate escape).
    pub fn value(&self, name: &str) -> Option<Value> {
        serde_json::from_str(self.get(name)?.get()).ok()
    }

    /// Whether there is a field of this name.
    pub fn contains_key(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Sets a field to a value; returns the raw JSON it replaces.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) -> Option<Box<RawValue>> {
        // A `Value`'s text is always valid JSON, so the fallback is never taken.
        let raw =
            RawValue::from_string(value.to_string()).unwrap_or_else(|_| RawValue::NULL.to_owned());
        self.insert_raw(name, raw)
    }

    /// Sets a field to raw JSON, kept verbatim; returns the raw JSON it replaces.
    pub fn insert_raw(
        &mut self,
        name: impl Into<String>,
        raw: Box<RawValue>,
    ) -> Option<Box<RawValue>> {
        self.0.insert(name.into(), raw)
    }

    /// Removes a field; returns its raw JSON.
    pub fn remove(&mut self, name: &str) -> Option<Box<RawValue>> {
        self.0.remove(name)
    }

    /// The fields in name order, with their raw JSON.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> + '_ {
        self.0.iter().map(|(name, raw)| (name.as_str(), &**raw))
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl From<Map<String, Value>> for Extra {
    fn from(map: Map<String, Value>) -> Self {
        let mut extra = Extra::default();
        for (name, value) in map {
            extra.insert(name, value);
        }
        extra
    }
}

impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::deserialize(deserializer).map(Extra)
    }
}

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

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        (self.0)(text).map_err(E::custom)
    }
}

/// Zoom's instants: RFC 3339 (or without an offset, meaning UTC). `null` means "not
/// known"; so does a blank text, which is kept in `extra` so that nothing Zoom sent is lost.
impl FieldValue for DateTime<Utc> {
    fn visit<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error> {
        deserializer.deserialize_option(InstantVisitor)
    }

    fn json_schema() -> Value {
        serde_json::json!({ "type": "string", "format": "date-time" })
    }
}

struct InstantVisitor;

impl<'de> Visitor<'de> for InstantVisitor {
    type Value = Slot<DateTime<Utc>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 instant or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Null)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Slot::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(StrVisitor(|text: &str| {
            if text.trim().is_empty() {
                return RawValue::from_string(crate::rows::json_string(text))
                    .map(Slot::Raw)
                    .map_err(|_| "a blank instant".to_owned());
            }
            // The message names no value: decode errors must not quote Zoom's data.
            parse_instant(text.trim())
                .map(Slot::Typed)
                .ok_or_else(|| "an instant that is not RFC 3339".to_owned())
        }))
    }
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // Seen in the wild: no offset at all, meaning UTC.
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc())
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

    /// The JSON text of a string: arbitrary unicode, or a mix of escape sequences (lone
    /// surrogates included).
    fn string_text() -> impl Strategy<Value = String> {
        let piece = proptest::sample::select(vec![
            r#"\""#,
            r#"\\"#,
            r#"\/"#,
            r#"\n"#,
            r#"\t"#,
            r#"\u00e9"#,
            r#"\ud83d"#,
            r#"\ude00"#,
            r#"\ud83d\ude00"#,
            r#"\u0000"#,
            "a",
            "é",
            "😀",
            " ",
            "2019-09-07T13:15:02Z",
        ]);
        prop_oneof![
            any::<String>().prop_map(|s| crate::rows::json_string(&s)),
            prop::collection::vec(piece, 0..8).prop_map(|parts| format!("\"{}\"", parts.concat())),
        ]
    }

    /// The JSON text of a number: huge, tiny, negative, with an exponent.
    fn number_text() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "123456789012345678901234567890",
                "-123456789012345678901234567890",
                "1e400",
                "-1e400",
                "1e-400",
                "1.50",
                "-0",
                "0",
                "1E+2",
                "2.5e-3",
                "18446744073709551616",
                "-9223372036854775809",
            ])
            .prop_map(str::to_owned),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| Value::from(f).to_string()),
        ]
    }

    fn value_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            string_text(),
            number_text(),
            proptest::sample::select(vec!["true", "false", "\"2019-09-07T13:15:02.837Z\""])
                .prop_map(str::to_owned),
        ];
        leaf.prop_recursive(2, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(inner, 0..4).prop_map(|v| {
                    let members: Vec<String> = v
                        .iter()
                        .enumerate()
                        .map(|(i, t)| format!("\"k{i}\":{t}"))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    /// An object row: known and unknown keys, each holding any of the values above.
    fn row() -> impl Strategy<Value = (Vec<(String, String)>, String)> {
        let key = prop_oneof![
            proptest::sample::select(Participant::FIELDS).prop_map(str::to_owned),
            "[a-z_]{1,8}",
        ];
        prop::collection::btree_map(key, value_text(), 0..12).prop_map(|members| {
            let members: Vec<(String, String)> = members.into_iter().collect();
            let text: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{v}", crate::rows::json_string(k)))
                .collect();
            (members, format!("{{{}}}", text.join(",")))
        })
    }

    proptest! {
        #[test]
        fn odd_values_never_lose_a_row_nor_a_key((members, text) in row()) {
            use crate::rows::Row;
            let p = Participant::decode(&text);
            let via_serde: Participant = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&via_serde, &p);
            for (name, value) in &members {
                if !Participant::FIELDS.contains(&name.as_str()) {
                    prop_assert_eq!(p.extra.get(name).map(RawValue::get), Some(value.as_str()));
                }
            }
            let out = serde_json::to_string(&p).unwrap();
            let keys: Vec<String> = crate::rows::members(&out)
                .unwrap()
                .iter()
                .map(|m| crate::rows::decode_key(m.key).into_owned())
                .collect();
            prop_assert_eq!(keys.len(), members.len(), "{}", out);
            for (name, _) in &members {
                prop_assert_eq!(keys.iter().filter(|k| *k == name).count(), 1, "{} in {}", name, out);
            }
            prop_assert_eq!(Participant::decode(&out), p);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = crate::envelope::split(bytes::Bytes::from(bytes.clone()), "participants", 1);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                use crate::rows::Row;
                let _ = Participant::decode(text);
                let _ = crate::rows::status_and_role(text);
                let mut out = Vec::new();
                crate::rows::write_row(text, &[("webinar_id", "\"1\"")], &mut out);
            }
        }

        #[test]
        fn arbitrary_json_never_panics_and_accepted_rows_round_trip(value in json()) {
            let text = value.to_string();
            let _ = crate::envelope::split(bytes::Bytes::from(text.clone()), "participants", 1);
            if let Ok(p) = serde_json::from_str::<Participant>(&text) {
                let again: Participant = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
                prop_assert_eq!(again, p);
            }
        }
    }
}
