//! [`ParticipantEvent`]: one join or leave (or another event Zoom sent), from a webhook
//! body or from the difference of two live snapshots.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::model::{Extra, Participant};
use crate::row::Decode;

/// What happened to the participant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `meeting.participant_joined`, `webinar.participant_joined`, or a connection that
    /// appeared in a live snapshot.
    Joined,
    /// `meeting.participant_left`, `webinar.participant_left`, or a connection that
    /// disappeared from the live list (or was still in it when the session ended).
    Left,
    /// Any other event, kept under Zoom's full event name
    /// (`webinar.participant_role_changed`, `meeting.participant_jbh_joined`, …).
    Other(String),
}

impl EventKind {
    /// The kind of Zoom's event `name`: only `<meeting|webinar>.participant_joined` and
    /// `…_left` are joins and leaves.
    pub fn of_event(name: &str) -> EventKind {
        match name.split_once('.') {
            Some(("meeting" | "webinar", "participant_joined")) => EventKind::Joined,
            Some(("meeting" | "webinar", "participant_left")) => EventKind::Left,
            _ => EventKind::Other(name.to_owned()),
        }
    }

    /// `joined`, `left`, or the event name of another kind.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Joined => "joined",
            EventKind::Left => "left",
            EventKind::Other(name) => name,
        }
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.as_str() {
            "joined" => EventKind::Joined,
            "left" => EventKind::Left,
            _ => EventKind::Other(text),
        })
    }
}

/// Whether the session is a meeting or a webinar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InstanceKind {
    /// A meeting (events `meeting.*`, `/metrics/meetings/…`).
    Meeting,
    /// A webinar (events `webinar.*`, `/metrics/webinars/…`).
    Webinar,
    /// Another prefix of an event name, kept as sent (empty when there was none).
    Other(String),
}

impl InstanceKind {
    /// `meeting`, `webinar`, or the prefix kept.
    pub fn as_str(&self) -> &str {
        match self {
            InstanceKind::Meeting => "meeting",
            InstanceKind::Webinar => "webinar",
            InstanceKind::Other(prefix) => prefix,
        }
    }

    fn of_prefix(prefix: &str) -> InstanceKind {
        match prefix {
            "meeting" => InstanceKind::Meeting,
            "webinar" => InstanceKind::Webinar,
            other => InstanceKind::Other(other.to_owned()),
        }
    }
}

impl Serialize for InstanceKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InstanceKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(InstanceKind::of_prefix(&String::deserialize(deserializer)?))
    }
}

/// The meeting or webinar instance an event belongs to (Zoom's `payload.object`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Meeting or webinar.
    pub kind: InstanceKind,
    /// The instance's UUID, when Zoom sent it (webhooks do; a live snapshot does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The meeting or webinar number (or, for a follow, the ID the request was made
    /// with), as text: Zoom sends it as a number in some payloads and a string in others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The topic, when Zoom sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Every other member of the object (`host_id`, `start_time`, `timezone`, …), as sent.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// One participant event: who joined or left which instance, when.
///
/// From a webhook ([`Verifier`](crate::webhook::Verifier), `listen`) every member of the
/// body is kept: the participant as sent (members the model does not know are in
/// [`Participant::extra`]), the object's other members in [`Instance::extra`], the
/// payload's other members in [`extra`](ParticipantEvent::extra). Serialized, it is one
/// JSON object (`kind`, `event`, `event_ts`, `account_id`, `instance`, `participant`,
/// `extra`): what the CLI writes as a line of NDJSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantEvent {
    /// Joined, left, or another kind kept.
    pub kind: EventKind,
    /// Zoom's event name (`webinar.participant_joined`, …); a follow gives the name a
    /// webhook of the same change would have.
    pub event: String,
    /// When it happened, in milliseconds since the Unix epoch: Zoom's `event_ts`, or for a
    /// follow the moment the snapshot that showed the change was complete.
    pub event_ts: i64,
    /// The Zoom account, when the webhook named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The meeting or webinar instance.
    pub instance: Instance,
    /// The participant exactly as Zoom sent it (a follow: the live list's row).
    pub participant: Participant,
    /// The payload's members other than `account_id` and `object`, as sent.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// How an event is told apart from another: two deliveries with the same identity are
/// one event delivered twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventIdentity(pub [u8; 16]);

impl ParticipantEvent {
    /// The identity used to drop redeliveries: for a join or a leave, SHA-256 (cut to 128
    /// bits) of the event name, `event_ts`, the instance's UUID and ID, and the
    /// participant's `user_id`, `participant_uuid`, `id`, `participant_user_id`,
    /// `registrant_id`, `email`, `user_name`, `join_time` and `leave_time` (so a retry that
    /// carries a field the first delivery did not, or a new signature and timestamp, is
    /// still the same event); for any other kind, of the whole event as serialized.
    pub fn identity(&self) -> EventIdentity {
        let mut hash = Sha256::new();
        let mut put = |part: Option<&str>| {
            let part = part.unwrap_or("\u{0}absent");
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        };
        match self.kind {
            EventKind::Joined | EventKind::Left => {
                let p = &self.participant;
                let instant = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map(|t| t.timestamp_millis().to_string())
                };
                put(Some(&self.event));
                put(Some(&self.event_ts.to_string()));
                put(self.instance.uuid.as_deref());
                put(self.instance.id.as_deref());
                for field in [
                    &p.user_id,
                    &p.participant_uuid,
                    &p.id,
                    &p.participant_user_id,
                    &p.registrant_id,
                    &p.email,
                    &p.user_name,
                ] {
                    put(field.as_deref());
                }
                put(instant(p.join_time).as_deref());
                put(instant(p.leave_time).as_deref());
            }
            EventKind::Other(_) => {
                let text = serde_json::to_string(self).unwrap_or_default();
                put(Some(&text));
            }
        }
        let digest = hash.finalize();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        EventIdentity(id)
    }

    /// Reads a webhook body (already verified) into an event; an error (what is wrong,
    /// never the value) when it is not one: invalid JSON, no `event` name, no `event_ts`.
    pub(crate) fn from_body(body: &str) -> std::result::Result<ParticipantEvent, String> {
        #[derive(Deserialize)]
        struct Body<'a> {
            event: Option<String>,
            event_ts: Option<i64>,
            #[serde(borrow)]
            payload: Option<&'a RawValue>,
        }
        let body: Body = serde_json::from_str(body).map_err(|e| crate::envelope::describe(&e))?;
        let event = body
            .event
            .filter(|e| !e.is_empty())
            .ok_or("the body has no event name")?;
        let event_ts = body
            .event_ts
            .ok_or("the body has no event_ts in milliseconds")?;
        let mut members = body.payload.map(object_members).unwrap_or_default();
        let account_id = take_text(&mut members, "account_id");
        let mut object = match members.remove("object") {
            Some(raw) if raw.get().trim_start().starts_with('{') => object_members(&raw),
            Some(other) => {
                members.insert("object".into(), other);
                BTreeMap::new()
            }
            None => BTreeMap::new(),
        };
        let participant = match object.remove("participant") {
            Some(raw) if raw.get().trim_start().starts_with('{') => Participant::decode(raw.get()),
            Some(other) => {
                object.insert("participant".into(), other);
                Participant::default()
            }
            None => Participant::default(),
        };
        let prefix = event.split_once('.').map_or("", |(prefix, _)| prefix);
        let instance = Instance {
            kind: InstanceKind::of_prefix(prefix),
            uuid: take_text(&mut object, "uuid"),
            id: take_text(&mut object, "id"),
            topic: take_text(&mut object, "topic"),
            extra: extra_of(object),
        };
        Ok(ParticipantEvent {
            kind: EventKind::of_event(&event),
            event,
            event_ts,
            account_id,
            instance,
            participant,
            extra: extra_of(members),
        })
    }
}

/// The members of a JSON object; anything else has none.
fn object_members(raw: &RawValue) -> BTreeMap<String, Box<RawValue>> {
    serde_json::from_str(raw.get()).unwrap_or_default()
}

/// Takes member `name` out of `members` as text when it is a string or a number; any other
/// value stays where it is (and so ends up in an `extra`).
fn take_text(members: &mut BTreeMap<String, Box<RawValue>>, name: &str) -> Option<String> {
    let text = text_of(members.get(name)?)?;
    members.remove(name);
    Some(text)
}

/// A string's text, or a number's; `None` for anything else.
fn text_of(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        serde_json::from_str(text).ok()
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Some(text.to_owned())
    } else {
        None
    }
}

fn extra_of(members: BTreeMap<String, Box<RawValue>>) -> Extra {
    let mut extra = Extra::default();
    for (name, raw) in members {
        extra.insert_raw(name, raw);
    }
    extra
}

impl fmt::Display for ParticipantEvent {
    /// One line for logs: the kind, the instance and who (name, or an ID when blank).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.participant;
        let who = [&p.user_name, &p.email, &p.participant_uuid, &p.user_id]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .map_or("(unnamed)", String::as_str);
        let instance = self
            .instance
            .uuid
            .as_deref()
            .or(self.instance.id.as_deref())
            .unwrap_or("?");
        write!(
            f,
            "{} {} in {} {instance} at {}",
            who,
            self.kind.as_str(),
            self.instance.kind.as_str(),
            self.event_ts
        )
    }
}
