//! The Report API's participants: the report's own field names, row for row the Dashboard's.

use super::*;

/// The keys of a report row that carries no unknown field.
const REPORT_KEYS: [&str; 12] = [
    "bo_mtg_id",
    "customer_key",
    "duration",
    "failover",
    "id",
    "join_time",
    "leave_time",
    "name",
    "participant_user_id",
    "status",
    "user_email",
    "user_id",
];

#[tokio::test]
async fn report_rows_have_the_reports_field_names_and_match_the_dashboard_rows() {
    let zoom = FakeZoom::builder()
        .webinar("95204914252", 40)
        .meeting("84000000000", 30)
        .start()
        .await
        .expect("fake");
    for (kind, id) in [
        (ReportKind::Webinar, "95204914252"),
        (ReportKind::Meeting, "84000000000"),
    ] {
        let path = report_path(kind, id);
        let answers = pages(&zoom, &path, &[("page_size", "7")]).await;
        let expected_pages = if kind == ReportKind::Webinar { 6 } else { 5 };
        assert_eq!(answers.len(), expected_pages);
        let first = answers[0].json();
        assert_eq!(first["page_size"], 7);
        assert_eq!(
            first["total_records"],
            if kind == ReportKind::Webinar { 40 } else { 30 }
        );
        assert_eq!(
            raw_rows(&answers, "participants"),
            zoom.expected_report_participants_raw(kind, id, false)
        );
        let report = rows(&answers, "participants");
        assert_eq!(report, zoom.expected_report_participants(kind, id, false));

        // The report's own names, no Dashboard names, registrant IDs only when asked for.
        let plain = report
            .iter()
            .find(|row| row.as_object().is_some_and(|o| o.len() == 12))
            .expect("a row without unknown fields");
        let keys: BTreeSet<&str> = plain
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, REPORT_KEYS.into_iter().collect());
        for row in &report {
            for dashboard_only in [
                "user_name",
                "email",
                "registrant_id",
                "in_room_participants",
            ] {
                assert!(row.get(dashboard_only).is_none(), "{dashboard_only}: {row}");
            }
            assert!(row["duration"].is_u64(), "{row}");
            assert!(row["failover"].is_boolean(), "{row}");
        }
        assert_eq!(report[22]["failover"], true);
        assert_eq!(report[21]["failover"], false);

        // Row for row the Dashboard's: same people, same times.
        let dashboard: Vec<Value> = match kind {
            ReportKind::Webinar => zoom.expected_participants(id, false),
            ReportKind::Meeting => zoom.expected_meeting_participants(id, false),
        }
        .iter()
        .map(|p| serde_json::to_value(p).expect("serializes"))
        .collect();
        assert_eq!(dashboard.len(), report.len());
        for (d, r) in dashboard.iter().zip(&report) {
            assert_eq!(r["id"], d["id"]);
            assert_eq!(r["user_id"], d["user_id"]);
            assert_eq!(r["name"], d["user_name"]);
            assert_eq!(r["user_email"], d["email"]);
            assert_eq!(r["join_time"], d["join_time"]);
            assert_eq!(r["leave_time"], d["leave_time"]);
            assert_eq!(r["status"], d["status"]);
            assert_eq!(r["customer_key"], d["customer_key"]);
            assert_eq!(r["participant_user_id"], d["participant_user_id"]);
            let instant = |v: &Value| {
                chrono::DateTime::parse_from_rfc3339(v.as_str().expect("instant"))
                    .expect("RFC 3339")
            };
            let seconds = (instant(&d["leave_time"]) - instant(&d["join_time"])).num_seconds();
            assert_eq!(r["duration"], seconds);
        }

        let with = pages(&zoom, &path, &[("include_fields", "registrant_id")]).await;
        let with = rows(&with, "participants");
        assert_eq!(with, zoom.expected_report_participants(kind, id, true));
        assert_eq!(
            with[3]["registrant_id"], "reg-0",
            "row 3 is row 0 rejoining"
        );
        assert_eq!(with[4]["registrant_id"], "reg-4");

        // No `type` on the Report API: whatever is sent is ignored.
        let typed = get(&zoom, &path, &[("type", "pastOne"), ("page_size", "300")]).await;
        assert_eq!(typed.status, StatusCode::OK);
        assert_eq!(
            typed.raw_rows("participants"),
            zoom.expected_report_participants_raw(kind, id, false)
        );
    }
    let unknown = [
        (ReportKind::Webinar, "Webinar 1 not found or has expired."),
        (ReportKind::Meeting, "Meeting 1 not found or has expired."),
    ];
    for (kind, message) in unknown {
        let answer = get(&zoom, &report_path(kind, "1"), &[]).await;
        assert_zoom_error(&answer, StatusCode::NOT_FOUND, 3001, message);
    }
    let paths: BTreeSet<String> = zoom.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.contains("/v2/report/webinars/95204914252/participants"));
    assert!(paths.contains("/v2/report/meetings/84000000000/participants"));
}
