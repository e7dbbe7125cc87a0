//! What both instance lists (webinars and meetings) derive their objects from: an
//! instance's UUID, start and duration, and the properties Zoom's schemas share.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// An instance in one of the lists.
pub(super) trait Listed {
    /// The instance's UUID.
    fn uuid(&self) -> &str;
    /// When it started.
    fn start_time(&self) -> DateTime<Utc>;
    /// A one-person meeting (listed by `type=pastOne` only).
    fn one_person(&self) -> bool {
        false
    }
    /// How long it runs, when given.
    fn given_duration(&self) -> Option<std::time::Duration> {
        None
    }
}

/// FNV-1a: a hash that is the same in every build, so derived fields are stable.
pub(super) fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How long the instance runs: as given, or 30 minutes to 2 hours from its UUID.
pub(super) fn duration<T: Listed + ?Sized>(instance: &T) -> chrono::Duration {
    instance
        .given_duration()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .unwrap_or_else(|| {
            chrono::Duration::seconds(1_800 + (stable_hash(instance.uuid()) % 5_400) as i64)
        })
}

pub(super) fn end_time<T: Listed + ?Sized>(instance: &T) -> DateTime<Utc> {
    instance.start_time() + duration(instance)
}

/// The properties both lists' objects have (Zoom's webinar schema, which the meeting
/// schema extends), derived from the UUID where not given; and, on instances of an even
/// number, a field Zoom may add later, which a client must keep.
pub(super) fn instance_json<T: Listed>(
    instance: &T,
    id: u64,
    topic: &str,
    participants: u64,
) -> serde_json::Map<String, Value> {
    const HOSTS: &[(&str, &str, &str)] = &[
        ("Riya Sharma", "riya@example.com", "Marketing"),
        ("Zoë Ångström", "zoe@example.com", "Product"),
        ("李小龍", "xiaolong@example.com", ""),
    ];
    let hash = stable_hash(instance.uuid());
    let bit = |n: u32| hash >> n & 1 == 1;
    let (host, email, dept) = HOSTS[(id % HOSTS.len() as u64) as usize];
    let seconds = duration(instance).num_seconds();
    let instant = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let custom_keys = if bit(8) {
        json!([{ "key": "campaign", "value": "2026-q1" }])
    } else {
        json!([])
    };
    let object = json!({
        "uuid": instance.uuid(),
        "id": id,
        "topic": topic,
        "host": host,
        "email": email,
        "user_type": if bit(9) { "Basic" } else { "Licensed" },
        "start_time": instant(instance.start_time()),
        "end_time": instant(end_time(instance)),
        "duration": format!("{:02}:{:02}:{:02}", seconds / 3_600, seconds / 60 % 60, seconds % 60),
        "participants": participants,
        "has_pstn": bit(0),
        "has_voip": true,
        "has_3rd_party_audio": bit(1),
        "has_video": bit(2),
        "has_screen_share": bit(3),
        "has_recording": bit(4),
        "has_sip": bit(5),
        "dept": dept,
        "custom_keys": custom_keys,
    });
    let Value::Object(mut object) = object else {
        return serde_json::Map::new();
    };
    if id.is_multiple_of(2) {
        object.insert("x_engagement_score".into(), json!(hash % 100));
    }
    object
}
