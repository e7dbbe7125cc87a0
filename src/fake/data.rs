//! Generated participants: deterministic from a seed and a row number, so a webinar of a
//! million rows costs no memory and a test can compute what it should receive.

use chrono::{DateTime, Duration, Utc};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::model::{AudioCall, Participant, Role, Status};

const NAMES: &[&str] = &[
    "Riya Sharma",
    "Zoë Ångström",
    "李小龍",
    "O'Brien, \"Pat\"",
    "Line\nBreak",
    "Émile Zola",
    "Ngozi Okonjo",
    "Björk Guðmundsdóttir",
    "Анна Каренина",
    "محمد علي",
    "Kim, Min-jun",
    "🎤 Speaker",
];
const DEVICES: &[&str] = &["Windows", "Mac", "iOS", "Android", "Linux", "Web"];
const NETWORKS: &[&str] = &["Wired", "Wifi", "PPP", "Cellular", "Others"];
const QUALITIES: &[&str] = &["good", "fair", "poor", "bad", " "];

/// The start of every generated webinar.
fn webinar_start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_268_800, 0).unwrap_or_default() // 2026-01-01T12:00:00Z
}

/// `t` plus `by`, or the latest instant a clock holds.
fn later_by(t: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    t.checked_add_signed(by).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Row `index` of the webinar generated from `seed`. Rows are people joining: some rejoin
/// (the same person again, as Zoom reports it), some are blanked as for HIPAA accounts or
/// external users, some carry values and fields this crate does not know.
pub(crate) fn participant(seed: u64, index: u64, with_registrant_id: bool) -> Participant {
    // A rejoin repeats the person of three rows earlier with a later join time.
    let rejoin = index >= 3 && index % 7 == 3;
    let person = if rejoin { index - 3 } else { index };
    let mut rng = fastrand::Rng::with_seed(seed ^ person.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let pick = |rng: &mut fastrand::Rng, list: &[&str]| list[rng.usize(..list.len())].to_owned();

    let name = format!("{} {}", pick(&mut rng, NAMES), person);
    let email = format!("user{person}@example.com");
    let device = pick(&mut rng, DEVICES);
    let network = pick(&mut rng, NETWORKS);
    // Saturating: a row number past what a clock holds (a webinar of u64::MAX rows and a
    // page token far into it) gives a late instant, not a panic in the handler.
    let after_start = i64::try_from(index)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_537)
        .saturating_add(rng.i64(0..1_000));
    let joined = later_by(webinar_start(), Duration::milliseconds(after_start));
    let left = later_by(joined, Duration::seconds(rng.i64(60..7_200)));
    let user_id = format!("{}", 16_778_240_u64.wrapping_add(person));

    let status = match index % 17 {
        16 => Status::Other("in_breakout_room".into()),
        n if n % 4 == 1 => Status::InWaitingRoom,
        _ => Status::InMeeting,
    };
    let role = match index {
        0 => Role::Host,
        i if i % 19 == 18 => Role::Other("co-host".into()),
        i if i % 5 == 2 => Role::Panelist,
        _ => Role::Attendee,
    };
    let hipaa = index % 11 == 10;
    let external = index % 13 == 12;
    let blank_if = |blank: bool, value: String| if blank { String::new() } else { value };

    let mut p = Participant {
        id: Some(if index % 9 == 8 {
            String::new() // not signed in
        } else {
            format!("p{person:x}{seed:x}")
        }),
        user_id: Some(user_id),
        user_name: Some(blank_if(hipaa, name)),
        device: Some(blank_if(external, device.clone())),
        ip_address: Some(blank_if(hipaa, format!("198.51.100.{}", person % 250))),
        internal_ip_addresses: Some(vec![format!("10.0.{}.{}", person % 200, index % 250)]),
        location: Some(blank_if(hipaa, "San Jose (US)".into())),
        network_type: Some(network),
        microphone: Some(blank_if(external, "Plantronics BT600".into())),
        camera: Some("FaceTime HD Camera".into()),
        speaker: Some(blank_if(external, "Plantronics BT600".into())),
        data_center: Some("SC".into()),
        full_data_center: Some("United States;SC (Main)".into()),
        connection_type: Some(
            if index.is_multiple_of(2) {
                "P2P"
            } else {
                "UDP"
            }
            .into(),
        ),
        join_time: Some(joined),
        leave_time: Some(left),
        share_application: Some(rng.bool()),
        share_desktop: Some(rng.bool()),
        share_whiteboard: Some(false),
        recording: Some(index.is_multiple_of(29)),
        status: Some(status),
        pc_name: Some(format!("PC-{person}")),
        domain: Some(blank_if(external, "example.com".into())),
        mac_addr: Some(blank_if(
            external,
            format!("00:0a:95:9d:{:02x}:{:02x}", person % 256, index % 256),
        )),
        harddisk_id: Some(blank_if(external, format!("HD{person:08}"))),
        version: Some("6.2.5.40000".into()),
        leave_reason: Some(format!(
            "{} left the webinar.<br>Reason: left the meeting, with \"quotes\", commas",
            person
        )),
        sip_uri: None,
        from_sip_uri: None,
        role: Some(role),
        email: Some(blank_if(hipaa || index % 3 == 2, email)),
        registrant_id: with_registrant_id.then(|| format!("reg-{person}")),
        audio_quality: Some(pick(&mut rng, QUALITIES)),
        video_quality: Some(pick(&mut rng, QUALITIES)),
        screen_share_quality: Some(pick(&mut rng, QUALITIES)),
        customer_key: Some(format!("ck{}", person % 1000)),
        participant_user_id: Some(format!("u{person:x}")),
        participant_uuid: Some(format!("uuid-{seed:x}-{index:x}")),
        os: Some(device),
        os_version: Some("14.4".into()),
        device_name: Some(format!("Device {person}")),
        client: Some("Zoom Workplace".into()),
        has_archiving: Some(false),
        optional_archiving: Some("false".into()),
        bo_mtg_id: Some(String::new()),
        audio_call: None,
        extra: Default::default(),
    };
    if index % 6 == 5 {
        p.audio_call = Some(vec![AudioCall {
            call_number: Some(format!("+1 555 01{:02}", person % 100)),
            call_type: Some("call-in".into()),
            zoom_number: Some("+1 669 900 6833".into()),
            extra: Default::default(),
        }]);
        p.sip_uri = Some(format!("sip:{person}@zoomcrc.com"));
    }
    if index % 13 == 4 {
        // Fields Zoom may send that the model does not have: none may be lost.
        p.camera = None;
        p.version = None;
        p.extra.insert("x_engagement_score", json!(index % 100));
        p.extra
            .insert("x_devices", Value::Array(vec![json!({"kind": "headset"})]));
    }
    if index % 10 == 7 {
        // Values a `serde_json::Value` would change: a pass-through must keep their text.
        for (name, text) in [
            ("x_big_id", "123456789012345678901234567890"),
            ("x_ratio", "1.50"),
            (
                "x_note",
                r#""tab\there \u00e9 \"quoted\" \\ \u0001 \ud83d\ude00 end""#,
            ),
        ] {
            if let Ok(raw) = RawValue::from_string(text.to_owned()) {
                p.extra.insert_raw(name, raw);
            }
        }
    }
    p
}

/// Row `index` of a meeting generated from `seed`: the webinar row of the same number as a
/// meeting has it (no panelists; `in_room_participants`, the people a Zoom Room brought in,
/// 0 for everyone else). A one-person meeting (`one_person`, Zoom's `pastOne`) is the host
/// alone, rejoining: row `index` is the host's `index`-th connection.
///
/// The row is what a client decoding the served JSON gets (it went through the model once),
/// so that what the fake serves and what it says it serves cannot drift apart.
pub(crate) fn meeting_participant(
    seed: u64,
    index: u64,
    with_registrant_id: bool,
    one_person: bool,
) -> Participant {
    let mut p = if one_person {
        let mut host = participant(seed, 0, with_registrant_id);
        let minutes = i64::try_from(index).unwrap_or(i64::MAX).saturating_mul(90);
        let later = Duration::try_minutes(minutes).unwrap_or(Duration::MAX);
        host.join_time = host.join_time.map(|t| later_by(t, later));
        host.leave_time = host.leave_time.map(|t| later_by(t, later));
        host.participant_uuid = Some(format!("uuid-{seed:x}-{index:x}"));
        host.status = Some(Status::InMeeting);
        host
    } else {
        participant(seed, index, with_registrant_id)
    };
    if p.role == Some(Role::Panelist) {
        p.role = Some(Role::Attendee);
    }
    p.leave_reason = p
        .leave_reason
        .map(|reason| reason.replace("left the webinar", "left the meeting"));
    let in_room = if !one_person && index % 8 == 6 {
        3 + index % 5
    } else {
        0
    };
    p.extra.insert("in_room_participants", json!(in_room));
    serde_json::to_vec(&p)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(p)
}
