//! The one row trait: what a stream can hand out, built from one row of a fetched page.

use crate::envelope::{RawPage, RawRow};
use crate::model::{Extra, Meeting, Participant, PastInstance, ReportParticipant, Webinar};

/// A row type a stream can hand out: [`Participant`], [`ReportParticipant`], [`Webinar`],
/// [`Meeting`], [`PastInstance`] or [`RawRow`]. Sealed: built from one row of a fetched page, which only this
/// crate sees.
pub trait Row: Sized + Send + 'static + sealed::Sealed {
    #[doc(hidden)]
    fn from_row(page: &RawPage, index: usize) -> Self;
}

pub(crate) mod sealed {
    /// Keeps [`Row`](super::Row) to this crate's row types.
    pub trait Sealed {}
}

/// A row type decoded from JSON text, tolerantly.
pub(crate) trait Decode: Sized {
    /// Decodes one row from its raw JSON text, never failing: a value that cannot be typed
    /// stays in the row's `extra` under its own name; a text that is not a JSON object is
    /// kept whole in `extra` under `"_row"`.
    fn decode(raw: &str) -> Self;
}

macro_rules! typed_rows {
    ($($ty:ident),*) => {$(
        impl sealed::Sealed for $ty {}

        impl Decode for $ty {
            fn decode(raw: &str) -> Self {
                $ty::decode_object(raw).unwrap_or_else(|| $ty {
                    extra: whole_row(raw),
                    ..$ty::default()
                })
            }
        }

        impl Row for $ty {
            fn from_row(page: &RawPage, index: usize) -> Self {
                $ty::decode(page.row(index))
            }
        }
    )*};
}

typed_rows!(
    Participant,
    ReportParticipant,
    Webinar,
    Meeting,
    PastInstance
);

impl sealed::Sealed for RawRow {}

impl Row for RawRow {
    fn from_row(page: &RawPage, index: usize) -> Self {
        RawRow::new(page, index)
    }
}

fn whole_row(raw: &str) -> Extra {
    let mut extra = Extra::default();
    extra.insert_raw("_row", crate::json::raw_box(raw));
    extra
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use serde_json::value::RawValue;

    #[test]
    fn decode_keeps_odd_values_in_extra_and_types_the_rest() {
        let raw = r#"{"user_name":"Ann \ud83d","email":5,"join_time":"yesterday","status":"in_meeting","big":123456789012345678901234567890,"huge":1e400,"x":"\ud83d"}"#;
        let p = Participant::decode(raw);
        assert_eq!(p.user_name.as_deref(), Some("Ann \u{FFFD}"));
        assert_eq!(p.email, None);
        assert_eq!(p.extra.get("email").map(RawValue::get), Some("5"));
        assert_eq!(
            p.extra.get("join_time").map(RawValue::get),
            Some("\"yesterday\"")
        );
        assert_eq!(p.status, Some(Status::InMeeting));
        assert_eq!(p.extra.get("x").map(RawValue::get), Some(r#""\ud83d""#));
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"user_name":"Ann �","status":"in_meeting","big":123456789012345678901234567890,"email":5,"huge":1e400,"join_time":"yesterday","x":"\ud83d"}"#
        );
    }

    #[test]
    fn a_webinar_row_types_every_listed_field_and_keeps_the_rest() {
        let raw = r#"{"uuid":"/ajXp112QmuoKj4854875==","id":95204914252,"topic":"Q&A","host":"Riya","email":"r@x","user_type":"Pro","start_time":"2026-01-01T12:00:00Z","end_time":"2026-01-01 13:30:00","duration":"01:30:00","participants":250,"has_pstn":false,"has_voip":true,"has_3rd_party_audio":false,"has_video":true,"has_screen_share":true,"has_recording":false,"has_sip":false,"dept":"","custom_keys":[{"key":"k","value":"v","x":1.50}],"has_external_participant":true,"new":1e400}"#;
        let w = Webinar::decode(raw);
        assert_eq!(w.id, Some(95_204_914_252));
        assert_eq!(w.participants, Some(250));
        assert_eq!(w.duration.as_deref(), Some("01:30:00"));
        assert_eq!(w.end_time.map(|t| t.timestamp()), Some(1_767_274_200));
        assert_eq!(w.has_external_participant, Some(true));
        let keys = w.custom_keys.as_deref().unwrap_or_default();
        assert_eq!(keys[0].value.as_deref(), Some("v"));
        assert_eq!(keys[0].extra.get("x").map(RawValue::get), Some("1.50"));
        assert_eq!(w.extra.len(), 1);
        assert_eq!(w.extra.get("new").map(RawValue::get), Some("1e400"));
        assert_eq!(Webinar::FIELDS.len(), 20);

        let odd = Webinar::decode(r#"{"id":"95204914252","participants":-1,"has_sip":"no"}"#);
        assert_eq!((odd.id, odd.participants, odd.has_sip), (None, None, None));
        assert_eq!(
            serde_json::to_string(&odd).unwrap(),
            r#"{"has_sip":"no","id":"95204914252","participants":-1}"#
        );
    }

    #[test]
    fn row_schemas_describe_every_known_field_as_nullable() {
        use serde_json::json;
        let schema = Webinar::json_schema();
        let properties = schema["properties"].as_object().unwrap();
        let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut fields = Webinar::FIELDS.to_vec();
        names.sort_unstable();
        fields.sort_unstable();
        assert_eq!(names, fields);
        assert_eq!(properties["id"], json!({ "type": ["integer", "null"] }));
        assert_eq!(
            properties["end_time"],
            json!({ "type": ["string", "null"], "format": "date-time" })
        );
        assert_eq!(
            properties["custom_keys"]["items"]["properties"]["value"],
            json!({ "type": ["string", "null"] })
        );
        let participant = Participant::json_schema();
        assert_eq!(
            participant["properties"].as_object().unwrap().len(),
            Participant::FIELDS.len()
        );
        assert_eq!(
            participant["properties"]["audio_call"]["type"],
            json!(["array", "null"])
        );
    }

    #[test]
    fn decode_keeps_a_row_that_is_not_an_object() {
        let p = Participant::decode("[1, 2]");
        assert_eq!(p.extra.get("_row").map(RawValue::get), Some("[1, 2]"));
        let w = Webinar::decode("\"x\"");
        assert_eq!(w.extra.get("_row").map(RawValue::get), Some("\"x\""));
    }

    #[test]
    fn error_descriptions_name_the_position_not_the_value() {
        let err = serde_json::from_str::<u8>("\"secret-token\"").unwrap_err();
        let text = crate::envelope::describe(&err);
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("line 1, column 14"), "{text}");
    }
}
