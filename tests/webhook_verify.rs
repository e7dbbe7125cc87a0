//! `webhook::Verifier` against vectors computed outside this crate (Python's `hmac` and
//! `openssl dgst -sha256 -hmac`, run once; the values are pasted here).

use zoom_participants::Error;
use zoom_participants::webhook::{Delivery, EventKind, InstanceKind, Refusal, Verifier};

const SECRET: &str = "zoom-webhook-secret-8c1f";
const TIMESTAMP: &str = "1767268800";
const NOW: i64 = 1_767_268_800;
const BODY: &str = r#"{"event":"webinar.participant_joined","event_ts":1767268800123,"payload":{"account_id":"AcC-1","object":{"uuid":"4444AAAiAAAAAiAiAiiAii==","id":"95204914252","host_id":"z8yCxjabcdEFGHfp8uQ","topic":"Launch","type":5,"start_time":"2026-01-01T12:00:00Z","timezone":"UTC","duration":60,"participant":{"user_id":"16778240","user_name":"Riya Sharma","id":"iFxeBPYun6SAiWUzBcEkX","participant_uuid":"55D3C2F0","email":"riya@example.com","join_time":"2026-01-01T12:00:00Z","registrant_id":"reg-1","customer_key":"ck1","phone_number":"+15550100","x_new":{"a":1}}}}}"#;
/// `v0=` + HMAC-SHA256(SECRET, "v0:1767268800:" + BODY).
const SIGNATURE: &str = "v0=ec25953e5cf1f79e5f12ade4de9577ee074a3b4f9953c38994f09e895cff21a1";
/// The same with the body's "Riya" changed to "Riyb" (one byte).
const SIGNATURE_OF_CHANGED_BODY: &str =
    "v0=e307334dbf8cfdd0af2209a14282b26559395ba132feea07c83ac02f581c5025";
/// The same body signed at 1767268801.
const SIGNATURE_AT_NEXT_SECOND: &str =
    "v0=a2038de1b7e75fe03af0b5c2fbe011cd5e850d55c57ebcd555dcd50c14439bbc";
/// The same body and timestamp signed with the secret's last byte changed (`…8c1g`).
const SIGNATURE_OF_OTHER_SECRET: &str =
    "v0=9ffc2636f7e6a4ec6a3e93e5da0788800acb01a838239379cd7c5e10e841d2fa";
/// hex(HMAC-SHA256(SECRET, "qgg8vlvZRS6UYooatFL8Aw")).
const ENCRYPTED_TOKEN: &str = "92a1c42416780f80f98af65985ebe8c99aab7987ac7d448e99f4d9e0ea620f6e";

fn headers<'a>(timestamp: &'a str, signature: &'a str) -> [(&'static str, &'a str); 2] {
    [
        ("x-zm-request-timestamp", timestamp),
        ("x-zm-signature", signature),
    ]
}

fn refusal(result: zoom_participants::Result<Delivery>) -> Refusal {
    match result {
        Err(Error::Webhook(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_independent_vector_verifies_and_reads_every_member() {
    let verifier = Verifier::new(SECRET);
    assert_eq!(verifier.sign(TIMESTAMP, BODY.as_bytes()), SIGNATURE);
    let delivery = verifier
        .verify_at(&headers(TIMESTAMP, SIGNATURE), BODY.as_bytes(), NOW)
        .expect("a good delivery");
    let Delivery::Event(event) = delivery else {
        panic!("expected an event, got {delivery:?}");
    };
    assert_eq!(event.kind, EventKind::Joined);
    assert_eq!(event.event, "webinar.participant_joined");
    assert_eq!(event.event_ts, 1_767_268_800_123);
    assert_eq!(event.account_id.as_deref(), Some("AcC-1"));
    assert_eq!(event.instance.kind, InstanceKind::Webinar);
    assert_eq!(
        event.instance.uuid.as_deref(),
        Some("4444AAAiAAAAAiAiAiiAii==")
    );
    assert_eq!(event.instance.id.as_deref(), Some("95204914252"));
    assert_eq!(event.instance.topic.as_deref(), Some("Launch"));
    let object: Vec<(&str, &str)> = event
        .instance
        .extra
        .iter()
        .map(|(k, v)| (k, v.get()))
        .collect();
    assert_eq!(
        object,
        [
            ("duration", "60"),
            ("host_id", "\"z8yCxjabcdEFGHfp8uQ\""),
            ("start_time", "\"2026-01-01T12:00:00Z\""),
            ("timezone", "\"UTC\""),
            ("type", "5"),
        ]
    );
    let p = &event.participant;
    assert_eq!(p.user_id.as_deref(), Some("16778240"));
    assert_eq!(p.user_name.as_deref(), Some("Riya Sharma"));
    assert_eq!(p.id.as_deref(), Some("iFxeBPYun6SAiWUzBcEkX"));
    assert_eq!(p.participant_uuid.as_deref(), Some("55D3C2F0"));
    assert_eq!(p.email.as_deref(), Some("riya@example.com"));
    assert_eq!(p.registrant_id.as_deref(), Some("reg-1"));
    assert_eq!(p.customer_key.as_deref(), Some("ck1"));
    assert_eq!(
        p.join_time.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-01-01T12:00:00+00:00")
    );
    let unknown: Vec<(&str, &str)> = p.extra.iter().map(|(k, v)| (k, v.get())).collect();
    assert_eq!(
        unknown,
        [("phone_number", "\"+15550100\""), ("x_new", "{\"a\":1}")]
    );
    assert!(event.extra.is_empty());
}

#[test]
fn a_one_byte_change_of_the_body_is_refused() {
    let verifier = Verifier::new(SECRET);
    let changed = BODY.replace("Riya", "Riyb");
    assert_eq!(
        refusal(verifier.verify_at(&headers(TIMESTAMP, SIGNATURE), changed.as_bytes(), NOW)),
        Refusal::BadSignature
    );
    // The changed body under its own (independently computed) signature is good.
    let good = verifier.verify_at(
        &headers(TIMESTAMP, SIGNATURE_OF_CHANGED_BODY),
        changed.as_bytes(),
        NOW,
    );
    assert!(
        matches!(good, Ok(Delivery::Event(e)) if e.participant.user_name.as_deref() == Some("Riyb Sharma"))
    );
}

#[test]
fn a_one_byte_change_of_a_header_is_refused() {
    let verifier = Verifier::new(SECRET);
    let body = BODY.as_bytes();
    // The signature's last hex digit.
    let mut signature = SIGNATURE.to_owned();
    signature.pop();
    signature.push('0');
    assert_eq!(
        refusal(verifier.verify_at(&headers(TIMESTAMP, &signature), body, NOW)),
        Refusal::BadSignature
    );
    // The scheme.
    let v1 = SIGNATURE.replacen("v0=", "v1=", 1);
    assert_eq!(
        refusal(verifier.verify_at(&headers(TIMESTAMP, &v1), body, NOW)),
        Refusal::BadSignature
    );
    // The timestamp, one second on: the signature no longer matches.
    assert_eq!(
        refusal(verifier.verify_at(&headers("1767268801", SIGNATURE), body, NOW)),
        Refusal::BadSignature
    );
    assert!(
        verifier
            .verify_at(&headers("1767268801", SIGNATURE_AT_NEXT_SECOND), body, NOW)
            .is_ok()
    );
    // Upper-case hex is the same signature.
    let upper = format!("v0={}", SIGNATURE[3..].to_uppercase());
    assert!(
        verifier
            .verify_at(&headers(TIMESTAMP, &upper), body, NOW)
            .is_ok()
    );
}

#[test]
fn a_one_byte_change_of_the_secret_is_refused() {
    let other = Verifier::new("zoom-webhook-secret-8c1g");
    assert_eq!(
        refusal(other.verify_at(&headers(TIMESTAMP, SIGNATURE), BODY.as_bytes(), NOW)),
        Refusal::BadSignature
    );
    assert!(
        other
            .verify_at(
                &headers(TIMESTAMP, SIGNATURE_OF_OTHER_SECRET),
                BODY.as_bytes(),
                NOW
            )
            .is_ok()
    );
}

#[test]
fn timestamps_more_than_five_minutes_away_are_refused() {
    let verifier = Verifier::new(SECRET);
    let h = headers(TIMESTAMP, SIGNATURE);
    let body = BODY.as_bytes();
    assert!(verifier.verify_at(&h, body, NOW + 300).is_ok());
    assert!(verifier.verify_at(&h, body, NOW - 300).is_ok());
    assert_eq!(
        refusal(verifier.verify_at(&h, body, NOW + 301)),
        Refusal::Stale {
            seconds: -301,
            window: 300
        }
    );
    assert_eq!(
        refusal(verifier.verify_at(&h, body, NOW - 301)),
        Refusal::Stale {
            seconds: 301,
            window: 300
        }
    );
    // Now, not 2026-01-01: the vector is stale.
    assert!(matches!(
        refusal(verifier.verify(&h[..], body)),
        Refusal::Stale { .. }
    ));
}

#[test]
fn missing_and_malformed_headers_are_refused() {
    let verifier = Verifier::new(SECRET);
    let body = BODY.as_bytes();
    let only_signature = [("X-ZM-Signature", SIGNATURE)];
    assert_eq!(
        refusal(verifier.verify_at(&only_signature[..], body, NOW)),
        Refusal::MissingHeader("x-zm-request-timestamp")
    );
    let only_timestamp = [("x-zm-request-timestamp", TIMESTAMP)];
    assert_eq!(
        refusal(verifier.verify_at(&only_timestamp[..], body, NOW)),
        Refusal::MissingHeader("x-zm-signature")
    );
    for bad in [
        "",
        "-1",
        "1767268800.0",
        " 1767268800",
        "17672688000000000000",
    ] {
        assert_eq!(
            refusal(verifier.verify_at(&headers(bad, SIGNATURE), body, NOW)),
            Refusal::BadTimestamp,
            "{bad:?}"
        );
    }
    for bad in [
        "",
        "v0=",
        "v0=zz",
        &SIGNATURE[..60],
        &format!("{SIGNATURE}00"),
    ] {
        assert_eq!(
            refusal(verifier.verify_at(&headers(TIMESTAMP, bad), body, NOW)),
            Refusal::BadSignature,
            "{bad:?}"
        );
    }
}

#[test]
fn http_header_maps_work_with_any_case() {
    let verifier = Verifier::new(SECRET);
    let mut map = reqwest::header::HeaderMap::new();
    map.insert("X-Zm-Request-Timestamp", TIMESTAMP.parse().expect("value"));
    map.insert("X-Zm-Signature", SIGNATURE.parse().expect("value"));
    assert!(verifier.verify_at(&map, BODY.as_bytes(), NOW).is_ok());
}

#[test]
fn a_body_over_the_cap_is_refused_before_any_other_check() {
    let verifier = Verifier::new(SECRET).max_body_bytes(BODY.len() - 1);
    assert_eq!(
        refusal(verifier.verify_at(&[("a", "b")][..], BODY.as_bytes(), NOW)),
        Refusal::BodyTooLarge {
            limit: BODY.len() - 1
        }
    );
    let exact = Verifier::new(SECRET).max_body_bytes(BODY.len());
    assert!(
        exact
            .verify_at(&headers(TIMESTAMP, SIGNATURE), BODY.as_bytes(), NOW)
            .is_ok()
    );
    assert_eq!(Refusal::BodyTooLarge { limit: 1 }.http_status(), 413);
    assert_eq!(Refusal::BadSignature.http_status(), 401);
}

#[test]
fn signed_bodies_that_are_not_events_are_refused_as_json() {
    let verifier = Verifier::new(SECRET);
    for (body, why) in [
        ("{\"event\":", "the body ends before its JSON does"),
        ("[1,2]", "the body has a value of an unexpected type"),
        ("{\"event_ts\":1}", "the body has no event name"),
        (
            "{\"event\":\"meeting.started\"}",
            "the body has no event_ts in milliseconds",
        ),
        ("\u{0}\u{ff}", "the body is not valid JSON"),
    ] {
        let signature = verifier.sign(TIMESTAMP, body.as_bytes());
        let refused =
            refusal(verifier.verify_at(&headers(TIMESTAMP, &signature), body.as_bytes(), NOW));
        assert!(
            matches!(&refused, Refusal::BadJson(m) if m.starts_with(why)),
            "{body:?}: {refused:?}"
        );
        assert_eq!(refused.http_status(), 400);
    }
    let not_utf8 = b"{\"event\":\"\xff\"}";
    let signature = verifier.sign(TIMESTAMP, not_utf8);
    assert_eq!(
        refusal(verifier.verify_at(&headers(TIMESTAMP, &signature), not_utf8, NOW)),
        Refusal::BadJson("the body is not UTF-8".into())
    );
}

#[test]
fn url_validation_is_answered_with_the_independent_token() {
    let verifier = Verifier::new(SECRET);
    let body = r#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let signature = verifier.sign(TIMESTAMP, body.as_bytes());
    let delivery = verifier
        .verify_at(&headers(TIMESTAMP, &signature), body.as_bytes(), NOW)
        .expect("a validation");
    assert_eq!(
        delivery,
        Delivery::UrlValidation {
            plain_token: "qgg8vlvZRS6UYooatFL8Aw".into(),
            encrypted_token: ENCRYPTED_TOKEN.into(),
        }
    );
    let answer: serde_json::Value =
        serde_json::from_str(&delivery.response_body().expect("a body")).expect("JSON");
    assert_eq!(
        answer,
        serde_json::json!({"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": ENCRYPTED_TOKEN})
    );
    // Unsigned, it is refused like anything else.
    assert_eq!(
        refusal(verifier.verify_at(&headers(TIMESTAMP, SIGNATURE), body.as_bytes(), NOW)),
        Refusal::BadSignature
    );
}

#[test]
fn unknown_event_kinds_and_odd_payloads_are_kept() {
    let verifier = Verifier::new(SECRET);
    let body = r#"{"event":"webinar.participant_role_changed","event_ts":5,"payload":{"account_id":"a","operator":"x@example.com","object":{"uuid":null,"id":95204914252,"participant":{"user_name":"P","old_role":"attendee","new_role":"panelist"}}},"extra_top":1}"#;
    let signature = verifier.sign(TIMESTAMP, body.as_bytes());
    let Ok(Delivery::Event(event)) =
        verifier.verify_at(&headers(TIMESTAMP, &signature), body.as_bytes(), NOW)
    else {
        panic!("expected an event");
    };
    assert_eq!(
        event.kind,
        EventKind::Other("webinar.participant_role_changed".into())
    );
    assert_eq!(
        event.instance.id.as_deref(),
        Some("95204914252"),
        "a number kept as text"
    );
    assert_eq!(event.instance.uuid, None);
    assert_eq!(
        event.instance.extra.get("uuid").map(|v| v.get()),
        Some("null"),
        "a value of an odd type is kept in extra"
    );
    assert_eq!(
        event.extra.get("operator").map(|v| v.get()),
        Some("\"x@example.com\"")
    );
    assert_eq!(
        event.participant.extra.get("new_role").map(|v| v.get()),
        Some("\"panelist\"")
    );
    // An event with no participant at all.
    let body = r#"{"event":"meeting.started","event_ts":7,"payload":{"object":{"id":"1"}}}"#;
    let signature = verifier.sign(TIMESTAMP, body.as_bytes());
    let Ok(Delivery::Event(event)) =
        verifier.verify_at(&headers(TIMESTAMP, &signature), body.as_bytes(), NOW)
    else {
        panic!("expected an event");
    };
    assert_eq!(event.kind, EventKind::Other("meeting.started".into()));
    assert_eq!(event.instance.kind, InstanceKind::Meeting);
    assert_eq!(event.participant, Default::default());
}

#[test]
fn the_identity_ignores_the_signature_and_tells_events_apart() {
    let verifier = Verifier::new(SECRET);
    let event = |body: &str| match verifier.verify_at(
        &headers(TIMESTAMP, &verifier.sign(TIMESTAMP, body.as_bytes())),
        body.as_bytes(),
        NOW,
    ) {
        Ok(Delivery::Event(e)) => e,
        other => panic!("{other:?}"),
    };
    let first = event(BODY);
    let again = event(BODY);
    assert_eq!(first.identity(), again.identity());
    let later = event(&BODY.replace("1767268800123", "1767268800124"));
    assert_ne!(first.identity(), later.identity());
    let other_person = event(&BODY.replace("55D3C2F0", "55D3C2F1"));
    assert_ne!(first.identity(), other_person.identity());
    // A retry that carries one more field the identity does not read is the same event.
    let richer = event(&BODY.replace("\"ck1\"", "\"ck1\",\"x_more\":2"));
    assert_eq!(first.identity(), richer.identity());
}

#[test]
fn the_secret_never_shows() {
    let verifier = Verifier::new(SECRET);
    let debug = format!("{verifier:?}");
    assert!(
        !debug.contains(SECRET) && debug.contains("[redacted]"),
        "{debug}"
    );
    let err = verifier
        .verify_at(&headers(TIMESTAMP, SIGNATURE), b"{}", NOW)
        .expect_err("bad signature");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains(&SIGNATURE[3..]),
        "{shown}"
    );
    assert_eq!(
        err.to_string(),
        "webhook delivery refused: the x-zm-signature does not match the body"
    );
}

mod no_panic {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    /// Any JSON value, with keys Zoom's payload uses so that the reader's paths are taken.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            ".{0,12}".prop_map(Value::String),
            Just(json!("webinar.participant_joined")),
            Just(json!("2026-01-01T12:00:00Z")),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            let key = prop_oneof![
                Just("event".to_owned()),
                Just("event_ts".to_owned()),
                Just("payload".to_owned()),
                Just("object".to_owned()),
                Just("participant".to_owned()),
                Just("uuid".to_owned()),
                Just("id".to_owned()),
                Just("join_time".to_owned()),
                Just("plainToken".to_owned()),
                ".{0,6}",
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(key, inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn no_bytes_or_headers_make_it_panic(
            body in proptest::collection::vec(any::<u8>(), 0..1024),
            timestamp in ".{0,16}",
            signature in ".{0,80}",
        ) {
            let verifier = Verifier::new(SECRET).max_body_bytes(512);
            let forged = [("x-zm-request-timestamp", timestamp.as_str()), ("x-zm-signature", signature.as_str())];
            prop_assert!(verifier.verify_at(&forged[..], &body, NOW).is_err());
            let signed = verifier.sign(TIMESTAMP, &body);
            let _ = verifier.verify_at(&headers(TIMESTAMP, &signed), &body, NOW);
        }

        #[test]
        fn no_signed_json_makes_it_panic(
            event in value(), event_ts in value(), object in value(), participant in value(),
            validation in any::<bool>(),
        ) {
            let verifier = Verifier::new(SECRET);
            let body = if validation {
                json!({"event": "endpoint.url_validation", "payload": {"plainToken": event}})
            } else {
                json!({"event": event, "event_ts": event_ts,
                       "payload": {"account_id": participant.clone(), "object": object,
                                   "extra": {"object": {"participant": participant}}}})
            };
            let body = body.to_string();
            let signed = verifier.sign(TIMESTAMP, body.as_bytes());
            if let Ok(Delivery::Event(event)) = verifier.verify_at(&headers(TIMESTAMP, &signed), body.as_bytes(), NOW) {
                let _ = event.identity();
                let line = serde_json::to_string(&event).expect("an event serializes");
                let back: zoom_participants::webhook::ParticipantEvent =
                    serde_json::from_str(&line).expect("and reads back");
                prop_assert_eq!(back.identity(), event.identity());
            }
        }
    }
}

#[test]
fn headers_and_bodies_come_in_any_usual_shape() {
    let verifier = Verifier::new(SECRET);
    let pairs: Vec<(String, String)> = headers(TIMESTAMP, SIGNATURE)
        .iter()
        .map(|(k, v)| (k.to_uppercase(), v.to_string()))
        .collect();
    assert!(
        verifier.verify_at(&pairs, BODY, NOW).is_ok(),
        "a Vec and a &str"
    );
    let map: std::collections::HashMap<&str, &str> =
        headers(TIMESTAMP, SIGNATURE).into_iter().collect();
    let owned: String = BODY.into();
    assert!(
        verifier.verify_at(&map, owned, NOW).is_ok(),
        "a HashMap and a String"
    );
    let tree: std::collections::BTreeMap<&str, &str> =
        headers(TIMESTAMP, SIGNATURE).into_iter().collect();
    let bytes = bytes::Bytes::from(BODY);
    assert!(
        verifier.verify_at(&tree, &bytes, NOW).is_ok(),
        "a BTreeMap and Bytes"
    );
    assert_eq!(verifier.sign(TIMESTAMP, BODY), SIGNATURE);
}
