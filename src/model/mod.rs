//! What Zoom sends: the row types (participants, report participants, webinars, meetings),
//! their open enums, and the fields kept as sent.
//!
//! Every row type is declared once, with `row_model!`, from one list of fields: the struct,
//! its `FIELDS`, and its tolerant `Serialize`/`Deserialize` all come from that list.

#[macro_use]
mod macros;
mod enums;
mod extra;
mod instance;
mod instant;
mod participant;

pub use enums::{MeetingType, Role, Status, WebinarType};
pub use extra::Extra;
pub use instance::{CustomKey, Meeting, PastInstance, TrackingField, Webinar};
pub use participant::{AudioCall, Participant, ReportParticipant};

#[cfg(test)]
mod decode_properties {
    //! The page decoder meets arbitrary bytes and arbitrary JSON: it errors, never panics,
    //! and whatever it accepts re-serializes without loss of unknown fields.
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;
    use serde_json::value::RawValue;

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
            any::<String>().prop_map(|s| crate::json::json_string(&s)),
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
                .map(|(k, v)| format!("{}:{v}", crate::json::json_string(k)))
                .collect();
            (members, format!("{{{}}}", text.join(",")))
        })
    }

    proptest! {
        #[test]
        fn odd_values_never_lose_a_row_nor_a_key((members, text) in row()) {
            use crate::row::Decode;
            let p = Participant::decode(&text);
            let via_serde: Participant = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&via_serde, &p);
            for (name, value) in &members {
                if !Participant::FIELDS.contains(&name.as_str()) {
                    prop_assert_eq!(p.extra.get(name).map(RawValue::get), Some(value.as_str()));
                }
            }
            let out = serde_json::to_string(&p).unwrap();
            let keys: Vec<String> = crate::json::members(&out)
                .unwrap()
                .iter()
                .map(|m| crate::json::decode_key(m.key).into_owned())
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
                use crate::row::Decode;
                let _ = Participant::decode(text);
                let _ = crate::criteria::status_and_role(text);
                let mut out = Vec::new();
                crate::json::write_row(text, &[("webinar_id", "\"1\"")], &mut out);
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
