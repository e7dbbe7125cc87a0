//! The Report API's participant rows (`GET /v2/report/{webinars,meetings}/{id}/participants`).
//!
//! A report row is the Dashboard row of the same number told the Report API's way, so a test
//! can cross-check the two sources of one instance: the same people (`id`, `user_id`,
//! `customer_key`, `participant_user_id`, `registrant_id`), `user_name` as `name`, `email` as
//! `user_email`, the same `join_time` and `leave_time` texts, and `duration` the whole
//! seconds between them. `failover` is true on every 23rd row (`index % 23 == 22`), and the
//! fields the Dashboard row carries that this crate does not know (big numbers, `1.50`,
//! escapes) are carried over verbatim; `in_room_participants` is the Dashboard's alone.

use serde_json::Value;

use super::data;
use crate::model::Participant;

/// Which Report API endpoint: `/report/webinars/{id}/participants` or
/// `/report/meetings/{id}/participants`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// `GET /v2/report/webinars/{webinarId}/participants`: every webinar the fake serves.
    Webinar,
    /// `GET /v2/report/meetings/{meetingId}/participants`: every meeting the fake serves
    /// but the one-person ones (Zoom reports those on the Dashboard only, with `pastOne`).
    Meeting,
}

/// A JSON string literal.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Report row `index` of a webinar or meeting generated from `seed`, as the exact JSON text
/// served.
pub(super) fn report_text(
    kind: ReportKind,
    seed: u64,
    index: u64,
    with_registrant_id: bool,
) -> String {
    let dashboard = match kind {
        ReportKind::Webinar => data::participant(seed, index, with_registrant_id),
        ReportKind::Meeting => data::meeting_participant(seed, index, with_registrant_id, false),
    };
    report_row(&dashboard, index, with_registrant_id)
}

/// The report row of Dashboard row `index`, as the exact JSON text served.
pub(super) fn report_row(dashboard: &Participant, index: u64, with_registrant_id: bool) -> String {
    // The instants as the Dashboard row serializes them, so both sources show the same text.
    let served = serde_json::to_value(dashboard).unwrap_or_default();
    let instant = |key: &str| {
        served
            .get(key)
            .filter(|v| v.is_string())
            .map(Value::to_string)
    };
    let text = |value: &Option<String>| value.as_deref().map(quoted);
    let duration = match (dashboard.join_time, dashboard.leave_time) {
        (Some(join), Some(leave)) => Some((leave - join).num_seconds().max(0).to_string()),
        _ => None,
    };
    let registrant_id = if with_registrant_id {
        text(&dashboard.registrant_id)
    } else {
        None
    };
    let fields = [
        ("id", text(&dashboard.id)),
        ("user_id", text(&dashboard.user_id)),
        ("name", text(&dashboard.user_name)),
        ("user_email", text(&dashboard.email)),
        ("join_time", instant("join_time")),
        ("leave_time", instant("leave_time")),
        ("duration", duration),
        ("failover", Some((index % 23 == 22).to_string())),
        (
            "status",
            dashboard.status.as_ref().map(|s| quoted(s.as_str())),
        ),
        ("customer_key", text(&dashboard.customer_key)),
        ("registrant_id", registrant_id),
        ("participant_user_id", text(&dashboard.participant_user_id)),
        ("bo_mtg_id", text(&dashboard.bo_mtg_id)),
    ];
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    // An extra field of a report field's name (a known field whose value the model could
    // not type, such as an instant past year 9999) is already among the report's fields.
    let unknown = dashboard
        .extra
        .iter()
        .filter(|(name, _)| *name != "in_room_participants" && !names.contains(name))
        .map(|(name, raw)| (name.to_owned(), raw.get().to_owned()));
    let known = fields
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?)));
    let members: Vec<String> = known
        .chain(unknown)
        .map(|(name, value)| format!("{}:{value}", quoted(&name)))
        .collect();
    format!("{{{}}}", members.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_row_is_its_dashboard_row_told_the_reports_way() {
        let dashboard = data::participant(42, 7, true);
        let row: Value = serde_json::from_str(&report_row(&dashboard, 7, true)).unwrap_or_default();
        let served = serde_json::to_value(&dashboard).unwrap_or_default();
        assert_eq!(row["name"], served["user_name"]);
        assert_eq!(row["user_email"], served["email"]);
        assert_eq!(row["join_time"], served["join_time"]);
        assert_eq!(row["leave_time"], served["leave_time"]);
        assert_eq!(row["registrant_id"], "reg-7");
        assert_eq!(row["failover"], false);
        let (join, leave) = (dashboard.join_time, dashboard.leave_time);
        let seconds = leave.zip(join).map(|(l, j)| (l - j).num_seconds());
        assert_eq!(row["duration"].as_i64(), seconds);
        assert!(row.get("user_name").is_none() && row.get("email").is_none());

        let text = report_row(&dashboard, 7, false);
        assert!(!text.contains("registrant_id"));
        assert!(
            text.contains(r#""x_big_id":123456789012345678901234567890"#),
            "unknown fields verbatim: {text}"
        );
        assert!(text.contains(r#""x_ratio":1.50"#), "{text}");
        assert!(report_row(&dashboard, 22, false).contains(r#""failover":true"#));
    }
}
