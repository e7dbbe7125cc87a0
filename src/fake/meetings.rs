//! Meeting instances of the Dashboard meeting list (`GET /v2/metrics/meetings`) and the
//! ready-made demo quarter of meetings.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{Value, json};

use super::instances::{Listed, instance_json, stable_hash};

/// One meeting instance in the fake's Dashboard meeting list.
///
/// The list object carries every property of Zoom's schema; those not given here (host,
/// end time, duration, the `has_*` flags, `in_room_participants`, department, custom keys,
/// tracking fields, and an unknown field on some rows) are derived from the UUID, so they
/// are the same on every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeMeeting {
    /// The instance's UUID (may contain `/`, `+`, `=`).
    pub uuid: String,
    /// The meeting number; the instances of a recurring meeting share it.
    pub id: u64,
    /// The topic.
    pub topic: String,
    /// When the instance started.
    pub start_time: DateTime<Utc>,
    /// How many participant rows the instance has (served under its UUID).
    pub participants: u64,
    /// A meeting attended by one person (Zoom's `pastOne`): listed only by `type=pastOne`,
    /// its rows (the host's connections) served only with `type=pastOne`, and not by the
    /// Report API.
    pub one_person: bool,
    /// How long it runs; `None`: 30 minutes to 2 hours, derived from the UUID. An instance
    /// that has not ended yet is not listed with `type=past`.
    pub duration: Option<std::time::Duration>,
}

impl Listed for FakeMeeting {
    fn uuid(&self) -> &str {
        &self.uuid
    }

    fn start_time(&self) -> DateTime<Utc> {
        self.start_time
    }

    fn one_person(&self) -> bool {
        self.one_person
    }

    fn given_duration(&self) -> Option<std::time::Duration> {
        self.duration
    }
}

/// The list object of one meeting instance, with every property of Zoom's schema;
/// `tracking_fields` only when asked for (`include_fields=tracking_fields`).
pub(super) fn meeting_json(meeting: &FakeMeeting, tracking_fields: bool) -> Value {
    let mut object = instance_json(meeting, meeting.id, &meeting.topic, meeting.participants);
    let hash = stable_hash(&meeting.uuid);
    let in_room = if meeting.one_person || hash >> 12 & 3 != 0 {
        0
    } else {
        2 + hash % 6
    };
    object.insert("in_room_participants".into(), json!(in_room));
    if tracking_fields {
        let fields = if hash >> 10 & 1 == 1 {
            json!([
                { "field": "Cost center", "value": format!("CC-{}", 100 + hash % 900) },
                { "field": "Region", "value": "EMEA" },
            ])
        } else {
            json!([])
        };
        object.insert("tracking_fields".into(), fields);
    }
    Value::Object(object)
}

/// A UUID-like text of 22 characters and `==`, from a label; never `/` (the demo places
/// its slashed UUIDs by hand).
fn demo_uuid(label: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+";
    let mut hash = stable_hash(label);
    let mut uuid = String::with_capacity(24);
    for _ in 0..22 {
        uuid.push(char::from(
            ALPHABET[(hash % ALPHABET.len() as u64) as usize],
        ));
        hash = hash.wrapping_mul(0x0100_0000_01b3) ^ (hash >> 29);
    }
    uuid + "=="
}

/// The weekly stand-up's number, and the other demo series'.
const STANDUP: u64 = 71_234_567_890;
const ALL_HANDS: u64 = 72_345_678_901;
const RETRO: u64 = 73_456_789_012;
const FOCUS: u64 = 74_567_890_123;

impl FakeMeeting {
    /// The quarter 2026-01-01 to 2026-03-31 of meetings that
    /// [`FakeZoomBuilder::demo_period`](super::FakeZoomBuilder::demo_period) lists, plus one
    /// instance on 2025-12-31 and one on 2026-04-01 that a listing of the quarter must not
    /// return:
    ///
    /// - a weekly stand-up (`71234567890`), Mondays at 09:00Z, 13 instances of 6 to 14 rows;
    /// - a monthly all-hands (`72345678901`) at 00:00Z on the 1st (a month boundary), of 95
    ///   to 140 rows, its January UUID starting with `/`;
    /// - a month-end retro (`73456789012`) at 23:30Z on the last day of the month, its
    ///   March UUID containing `//`;
    /// - focus time (`74567890123`), one-person meetings every other Friday (`type=pastOne`
    ///   only), one of them with the host rejoining (2 rows);
    /// - a few one-off meetings.
    pub fn demo_period() -> Vec<FakeMeeting> {
        let at =
            |day: NaiveDate, h: u32, m: u32| day.and_hms_opt(h, m, 0).unwrap_or_default().and_utc();
        let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let meeting =
            |uuid: String, id: u64, topic: &str, start, participants, one_person| FakeMeeting {
                uuid,
                id,
                topic: topic.to_owned(),
                start_time: start,
                participants,
                one_person,
                duration: None,
            };
        let mut all = vec![meeting(
            demo_uuid("before the quarter"),
            STANDUP,
            "Weekly stand-up",
            at(date(2025, 12, 31), 23, 50),
            5,
            false,
        )];
        // Mondays of the quarter: 2026-01-05 to 2026-03-30.
        let mut monday = date(2026, 1, 5);
        let mut week = 0;
        while monday <= date(2026, 3, 31) {
            debug_assert_eq!(monday.weekday(), Weekday::Mon);
            let uuid = if week == 3 {
                "sT4nd+Up0Q1w2E3r4T5y6u==".to_owned()
            } else {
                demo_uuid(&format!("stand-up {monday}"))
            };
            let start = at(monday, 9, 0);
            all.push(meeting(
                uuid,
                STANDUP,
                "Weekly stand-up",
                start,
                6 + week % 9,
                false,
            ));
            monday += Duration::days(7);
            week += 1;
        }
        for (month, uuid, participants) in [
            (1, "/aLlHaNdS8q0w1e2r3t4y5==".to_owned(), 95),
            (2, demo_uuid("all-hands 2026-02"), 120),
            (3, demo_uuid("all-hands 2026-03"), 140),
        ] {
            let start = at(date(2026, month, 1), 0, 0);
            all.push(meeting(
                uuid,
                ALL_HANDS,
                "All-hands",
                start,
                participants,
                false,
            ));
        }
        for (day, uuid, participants) in [
            (date(2026, 1, 31), demo_uuid("retro 2026-01"), 7),
            (date(2026, 2, 28), demo_uuid("retro 2026-02"), 9),
            (date(2026, 3, 31), "rEtR0//q8w7e6r5t4y3uIo==".to_owned(), 8),
        ] {
            all.push(meeting(
                uuid,
                RETRO,
                "Month-end retro",
                at(day, 23, 30),
                participants,
                false,
            ));
        }
        // Every other Friday from 2026-01-09: the host alone.
        let mut friday = date(2026, 1, 9);
        while friday <= date(2026, 3, 31) {
            let rows = if friday == date(2026, 2, 6) { 2 } else { 1 };
            let uuid = demo_uuid(&format!("focus {friday}"));
            all.push(meeting(
                uuid,
                FOCUS,
                "Focus time",
                at(friday, 14, 0),
                rows,
                true,
            ));
            friday += Duration::days(14);
        }
        for (uuid, id, topic, start, participants) in [
            (
                "kIcK0ff+A1b2C3d4E5f6G7==",
                75_111_222_333,
                "Kick-off",
                at(date(2026, 1, 12), 15, 0),
                23,
            ),
            (
                "bUdGeT9z8Y7x6W5v4U3t2s==",
                76_222_333_444,
                "Budget review",
                at(date(2026, 2, 17), 10, 30),
                4,
            ),
            (
                "iNtErViEw1q2W3e4R5t6Y7==",
                77_333_444_555,
                "Interview",
                at(date(2026, 3, 18), 16, 0),
                2,
            ),
        ] {
            all.push(meeting(
                uuid.to_owned(),
                id,
                topic,
                start,
                participants,
                false,
            ));
        }
        all.push(meeting(
            demo_uuid("after the quarter"),
            77_333_444_555,
            "Interview",
            at(date(2026, 4, 1), 0, 0),
            3,
            false,
        ));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::super::list::{ListType, listing};
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_demo_quarter_of_meetings_has_what_tests_need() {
        let demo = FakeMeeting::demo_period();
        let (from, to) = (day("2026-01-01"), day("2026-03-31"));
        let past = listing(&demo, ListType::Past, from, to, Utc::now());
        let one = listing(&demo, ListType::PastOne, from, to, Utc::now());
        assert_eq!(
            past.len() + one.len(),
            demo.len() - 2,
            "one before, one after"
        );
        assert_eq!((past.len(), one.len()), (22, 6));
        assert!(one.iter().all(|m| m.one_person && m.id == FOCUS));
        assert!(past.iter().any(|m| m.uuid.starts_with('/')));
        assert!(past.iter().any(|m| m.uuid.contains("//")));
        assert_eq!(past.iter().filter(|m| m.id == STANDUP).count(), 13);
        let mut uuids: Vec<_> = demo.iter().map(|m| &m.uuid).collect();
        uuids.sort();
        uuids.dedup();
        assert_eq!(uuids.len(), demo.len(), "UUIDs are distinct");
        assert!(
            demo.iter()
                .all(|m| m.uuid.len() == 24 && m.uuid.ends_with("=="))
        );
    }

    #[test]
    fn a_meeting_object_has_every_property_of_zooms_schema() {
        let demo = FakeMeeting::demo_period();
        let keys = [
            "uuid",
            "id",
            "topic",
            "host",
            "email",
            "user_type",
            "start_time",
            "end_time",
            "duration",
            "participants",
            "has_pstn",
            "has_voip",
            "has_3rd_party_audio",
            "has_video",
            "has_screen_share",
            "has_recording",
            "has_sip",
            "in_room_participants",
            "dept",
            "custom_keys",
        ];
        for meeting in &demo {
            let object = meeting_json(meeting, false);
            for key in keys {
                assert!(object.get(key).is_some(), "{key} missing");
            }
            assert!(object.get("tracking_fields").is_none());
            assert!(meeting_json(meeting, true)["tracking_fields"].is_array());
        }
        let tracked = demo
            .iter()
            .filter(|m| meeting_json(m, true)["tracking_fields"][0]["field"].is_string())
            .count();
        assert!(0 < tracked && tracked < demo.len(), "{tracked}");
        assert!(
            demo.iter()
                .any(|m| meeting_json(m, false)["in_room_participants"] != 0)
        );
    }
}
