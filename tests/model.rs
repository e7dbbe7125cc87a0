//! The participant model: every field, unknown fields and values kept, HIPAA blanks intact.
#![recursion_limit = "256"]

use serde_json::{Value, json};
use zoom_participants::{Participant, Role, Status};

#[test]
fn every_documented_field_deserializes_into_its_typed_field() {
    let zoom = json!({
        "id": "30R7kT7bTIKSNUFEuH_Qlg", "user_id": "16778240", "user_name": "Riya",
        "device": "Windows", "ip_address": "127.0.0.1", "internal_ip_addresses": ["10.0.0.2"],
        "location": "San Jose (US)", "network_type": "Wired", "microphone": "Plantronics",
        "camera": "FaceTime HD", "speaker": "Plantronics", "data_center": "SC",
        "full_data_center": "United States;SC", "connection_type": "P2P",
        "join_time": "2019-09-07T13:15:02.837Z", "leave_time": "2019-09-07T13:15:09Z",
        "share_application": false, "share_desktop": true, "share_whiteboard": true,
        "recording": false, "status": "in_waiting_room", "pc_name": "riya-pc", "domain": "zoom.us",
        "mac_addr": "00:0a:95:9d:68:16", "harddisk_id": "hd1", "version": "5.9.0",
        "leave_reason": "Riya left the webinar.<br>Reason: Host ended the webinar.",
        "sip_uri": "sip:1@zoom.us", "from_sip_uri": "sip:2@zoom.us", "role": "panelist",
        "email": "riya@example.com", "registrant_id": "r-1", "audio_quality": "good",
        "video_quality": " ", "screen_share_quality": "poor", "customer_key": "ck-1",
        "participant_user_id": "pu-1", "participant_uuid": "uuid-1", "os": "Windows",
        "os_version": "10", "device_name": "Surface", "client": "zoom", "has_archiving": false,
        "optional_archiving": "no", "bo_mtg_id": "bo-1",
        "audio_call": [{"call_number": "+1 555", "call_type": "call-in", "zoom_number": "+1 666"}]
    });
    let p: Participant = serde_json::from_value(zoom.clone()).unwrap();
    assert_eq!(p.status, Some(Status::InWaitingRoom));
    assert_eq!(p.role, Some(Role::Panelist));
    assert_eq!(p.join_time.unwrap().timestamp_millis(), 1567862102837);
    assert_eq!(p.video_quality.as_deref(), Some(" "));
    assert_eq!(p.internal_ip_addresses, Some(vec!["10.0.0.2".to_owned()]));
    assert_eq!(
        p.audio_call.as_ref().unwrap()[0].zoom_number.as_deref(),
        Some("+1 666")
    );
    assert!(p.extra.is_empty(), "every field is known: {:?}", p.extra);
    let keys: Vec<&str> = zoom
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut known = Participant::FIELDS.to_vec();
    known.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, known, "FIELDS lists exactly the model's fields");

    let mut back = serde_json::to_value(&p).unwrap();
    back["join_time"] = json!("2019-09-07T13:15:02.837Z");
    back["leave_time"] = json!("2019-09-07T13:15:09Z");
    assert_eq!(back, zoom);
}

#[test]
fn unknown_fields_and_enum_values_round_trip() {
    let zoom = json!({
        "id": "a", "status": "in_breakout_room", "role": "co-host",
        "new_field": {"nested": [1, 2]}, "flag": true, "audio_call": [{"call_type": "x", "carrier": "c"}]
    });
    let p: Participant = serde_json::from_value(zoom.clone()).unwrap();
    assert_eq!(p.status, Some(Status::Other("in_breakout_room".into())));
    assert_eq!(p.role, Some(Role::Other("co-host".into())));
    assert_eq!(p.extra.value("new_field"), Some(json!({"nested": [1, 2]})));
    assert_eq!(
        p.extra.get("new_field").unwrap().get(),
        r#"{"nested":[1,2]}"#
    );
    assert_eq!(serde_json::to_value(&p).unwrap(), zoom);
}

#[test]
fn hipaa_blanks_stay_empty_strings_and_missing_fields_stay_absent() {
    let zoom =
        json!({"user_name": "", "ip_address": "", "location": "", "email": "", "device": ""});
    let p: Participant = serde_json::from_value(zoom.clone()).unwrap();
    assert_eq!(p.user_name.as_deref(), Some(""));
    assert_eq!(p.email.as_deref(), Some(""));
    assert_eq!(p.id, None);
    assert_eq!(p.join_time, None);
    assert_eq!(serde_json::to_value(&p).unwrap(), zoom);

    let empty: Participant = serde_json::from_value(json!({})).unwrap();
    assert_eq!(empty, Participant::default());
    assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
}

#[test]
fn null_and_empty_instants_mean_unknown() {
    let p: Participant =
        serde_json::from_value(json!({"join_time": null, "leave_time": ""})).unwrap();
    assert_eq!((p.join_time, p.leave_time), (None, None));
    // The blank text is kept, so the row re-serializes as Zoom sent it.
    assert_eq!(p.extra.get("leave_time").unwrap().get(), r#""""#);
    assert_eq!(serde_json::to_value(&p).unwrap(), json!({"leave_time": ""}));
}

#[test]
fn known_enum_values_serialize_as_zoom_writes_them() {
    for (status, text) in [
        (Status::InMeeting, "in_meeting"),
        (Status::InWaitingRoom, "in_waiting_room"),
    ] {
        assert_eq!(serde_json::to_value(&status).unwrap(), Value::from(text));
        assert_eq!(Status::from(text), status);
    }
    for (role, text) in [
        (Role::Host, "host"),
        (Role::Attendee, "attendee"),
        (Role::Panelist, "panelist"),
    ] {
        assert_eq!(serde_json::to_value(&role).unwrap(), Value::from(text));
    }
}

#[test]
fn unknown_numbers_keep_their_exact_text_both_ways() {
    let zoom = r#"{"id":"a","big":123456789012345678901234567890,"huge":1e400,"ratio":1.50,"tiny":-1E-400}"#;
    let p: Participant = serde_json::from_str(zoom).unwrap();
    assert_eq!(p.id.as_deref(), Some("a"));
    assert_eq!(p.extra.len(), 4);
    assert_eq!(
        p.extra.get("big").unwrap().get(),
        "123456789012345678901234567890"
    );
    assert_eq!(p.extra.get("huge").unwrap().get(), "1e400");
    assert_eq!(p.extra.value("huge"), None, "no Value holds 1e400");
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"id":"a","big":123456789012345678901234567890,"huge":1e400,"ratio":1.50,"tiny":-1E-400}"#
    );
    let again: Participant = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(again, p);
}

#[test]
fn a_known_field_of_an_unexpected_type_is_kept_in_extra_under_its_name_once() {
    let zoom = r#"{"user_name":12345678901234567890123,"share_desktop":{"a":1},"join_time":"yesterday","email":"e@x"}"#;
    let p: Participant = serde_json::from_str(zoom).unwrap();
    assert_eq!(p.user_name, None);
    assert_eq!(p.share_desktop, None);
    assert_eq!(p.join_time, None);
    assert_eq!(p.email.as_deref(), Some("e@x"));
    assert_eq!(
        p.extra.get("user_name").unwrap().get(),
        "12345678901234567890123"
    );
    assert_eq!(p.extra.get("share_desktop").unwrap().get(), r#"{"a":1}"#);
    assert_eq!(p.extra.get("join_time").unwrap().get(), r#""yesterday""#);
    let text = serde_json::to_string(&p).unwrap();
    assert_eq!(
        text,
        r#"{"email":"e@x","join_time":"yesterday","share_desktop":{"a":1},"user_name":12345678901234567890123}"#
    );
    assert_eq!(text.matches("\"user_name\"").count(), 1);
}

#[test]
fn a_lone_surrogate_decodes_as_the_replacement_character() {
    let p: Participant =
        serde_json::from_str(r#"{"user_name":"Ann \ud83d","location":"\ud83d\ude00 \ude00x"}"#)
            .unwrap();
    assert_eq!(p.user_name.as_deref(), Some("Ann \u{FFFD}"));
    assert_eq!(p.location.as_deref(), Some("\u{1F600} \u{FFFD}x"));
    assert!(p.extra.is_empty());
}

#[test]
fn a_decode_error_never_quotes_the_value() {
    for text in [
        r#"["secret-token-1"]"#,
        r#""secret-token-1""#,
        r#"{"user_name":"secret-token-1""#,
        r#"{"user_name":"secret-token-1",}"#,
    ] {
        let err = serde_json::from_str::<Participant>(text).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
