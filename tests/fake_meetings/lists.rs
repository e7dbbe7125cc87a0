//! The Dashboard meeting list, its instances' participants, and the per-minute limit the
//! two lists share.

use super::*;

/// Every meeting of one window of the meeting list, following the tokens.
async fn meeting_window(zoom: &FakeZoom, query: &[(&str, &str)]) -> Vec<Value> {
    let answers = pages(zoom, "/metrics/meetings", query).await;
    rows(&answers, "meetings")
}

fn uuids(meetings: &[Value]) -> Vec<&str> {
    meetings.iter().filter_map(|m| m["uuid"].as_str()).collect()
}

#[tokio::test]
async fn the_meeting_list_lists_each_instance_once_in_the_window_of_its_utc_start_date() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    let mut quarter = Vec::new();
    let mut by_month = Vec::new();
    for (from, to) in [
        ("2026-01-01", "2026-01-31"),
        ("2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-31"),
    ] {
        let query = [
            ("type", "past"),
            ("from", from),
            ("to", to),
            ("page_size", "4"),
        ];
        let month = meeting_window(&zoom, &query).await;
        quarter.extend(month.iter().cloned());
        by_month.push(month);
    }
    let expected = zoom.expected_meetings(day("2026-01-01"), day("2026-03-31"));
    assert_eq!(expected.len(), 22);
    assert_eq!(quarter, expected);
    assert_eq!(by_month.iter().map(Vec::len).collect::<Vec<_>>(), [7, 7, 8]);
    // Month boundaries: the all-hands at 00:00Z on the 1st, the retro at 23:30Z on the last day.
    assert_eq!(by_month[0][0]["uuid"], "/aLlHaNdS8q0w1e2r3t4y5==");
    assert_eq!(by_month[0][0]["start_time"], "2026-01-01T00:00:00Z");
    assert_eq!(by_month[0][6]["topic"], "Month-end retro");
    assert_eq!(by_month[0][6]["start_time"], "2026-01-31T23:30:00Z");
    assert_eq!(by_month[1][0]["start_time"], "2026-02-01T00:00:00Z");
    assert_eq!(by_month[2][7]["uuid"], "rEtR0//q8w7e6r5t4y3uIo==");
    let starts: Vec<&str> = quarter
        .iter()
        .filter_map(|m| m["start_time"].as_str())
        .collect();
    assert!(starts.iter().all(|s| s.starts_with("2026-0")), "{starts:?}");
    assert!(!starts.iter().any(|s| s.starts_with("2026-04")));
    assert_eq!(
        quarter
            .iter()
            .filter(|m| m["id"] == 71_234_567_890_u64)
            .count(),
        13
    );
    for meeting in &quarter {
        for key in [
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
        ] {
            assert!(meeting.get(key).is_some(), "{key}: {meeting}");
        }
        assert!(meeting.get("tracking_fields").is_none());
    }

    // One-person meetings: `type=pastOne` only.
    let mut alone = Vec::new();
    for (from, to) in [
        ("2026-01-01", "2026-02-01"),
        ("2026-02-02", "2026-03-01"),
        ("2026-03-02", "2026-03-31"),
    ] {
        let query = [("type", "pastOne"), ("from", from), ("to", to)];
        alone.extend(meeting_window(&zoom, &query).await);
    }
    assert_eq!(alone.len(), 6);
    assert_eq!(
        alone,
        zoom.expected_meeting_listing(day("2026-01-01"), day("2026-03-31"), true, false)
    );
    assert!(alone.iter().all(|m| m["topic"] == "Focus time"));
    assert!(uuids(&alone).iter().all(|u| !uuids(&quarter).contains(u)));

    // Tracking fields only when asked for, and bound to the token.
    let query = [
        ("type", "past"),
        ("from", "2026-02-01"),
        ("to", "2026-02-28"),
        ("include_fields", "tracking_fields"),
        ("page_size", "2"),
    ];
    let tracked = meeting_window(&zoom, &query).await;
    assert_eq!(
        tracked,
        zoom.expected_meeting_listing(day("2026-02-01"), day("2026-02-28"), false, true)
    );
    assert!(tracked.iter().all(|m| m["tracking_fields"].is_array()));
    assert!(
        tracked
            .iter()
            .any(|m| m["tracking_fields"][0]["field"].is_string())
    );
    assert_eq!(uuids(&tracked), uuids(&by_month[1]));

    // Zoom's default type is `live`: nothing of 2026's first quarter is in progress.
    let live = get(
        &zoom,
        "/metrics/meetings",
        &[("from", "2026-01-01"), ("to", "2026-01-31")],
    )
    .await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["total_records"], 0);
    assert_eq!(live.json()["meetings"], Value::Array(Vec::new()));
}

#[tokio::test]
async fn the_meeting_list_refuses_long_ranges_bad_dates_and_unknown_types() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    for (from, to) in [("2026-01-01", "2026-02-02"), ("2026-02-01", "2026-01-31")] {
        let answer = get(
            &zoom,
            "/metrics/meetings",
            &[("type", "past"), ("from", from), ("to", to)],
        )
        .await;
        assert_zoom_error(
            &answer,
            StatusCode::BAD_REQUEST,
            300,
            "The date range is invalid. The range from `from` to `to` may span at most one month.",
        );
    }
    let answer = get(
        &zoom,
        "/metrics/meetings",
        &[("type", "past"), ("to", "2026-01-31")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["errors"][0]["field"], "from");
    let answer = get(
        &zoom,
        "/metrics/meetings",
        &[
            ("type", "ended"),
            ("from", "2026-01-01"),
            ("to", "2026-01-31"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["errors"][0]["field"], "type");
    // pastOne is the meeting list's alone.
    let answer = get(
        &zoom,
        "/metrics/webinars",
        &[
            ("type", "pastOne"),
            ("from", "2026-01-01"),
            ("to", "2026-01-31"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["errors"][0]["field"], "type");
    let unauthorized = reqwest::Client::new()
        .get(format!("{}/metrics/meetings", zoom.base_url()))
        .query(&[
            ("type", "past"),
            ("from", "2026-01-01"),
            ("to", "2026-01-31"),
        ])
        .send()
        .await
        .expect("fake answers");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn listed_meetings_serve_their_participants_by_uuid_and_their_number_the_latest() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    let (from, to) = (day("2026-01-01"), day("2026-03-31"));
    let listed = zoom.expected_meetings(from, to);
    let alone = zoom.expected_meeting_listing(from, to, true, false);
    for (meeting, kind) in listed
        .iter()
        .map(|m| (m, "past"))
        .chain(alone.iter().map(|m| (m, "pastOne")))
    {
        let uuid = meeting["uuid"].as_str().expect("uuid");
        let answers = pages(
            &zoom,
            &meeting_path(uuid),
            &[("type", kind), ("page_size", "300")],
        )
        .await;
        let served = rows(&answers, "participants");
        assert_eq!(
            Some(served.len() as u64),
            meeting["participants"].as_u64(),
            "{uuid}"
        );
        let expected: Vec<Value> = zoom
            .expected_meeting_participants(uuid, false)
            .iter()
            .map(|p| serde_json::to_value(p).expect("serializes"))
            .collect();
        assert_eq!(served, expected, "{uuid}");
    }
    // A one-person meeting of two rows: the host rejoining.
    let rejoined = alone
        .iter()
        .find(|m| m["participants"] == 2)
        .and_then(|m| m["uuid"].as_str())
        .expect("a one-person meeting with a rejoin");
    let rows = zoom.expected_meeting_participants(rejoined, false);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].user_id, rows[1].user_id);
    assert!(rows[0].leave_time < rows[1].join_time);

    // The stand-up's number is its latest instance, 2026-03-30.
    let latest = listed
        .iter()
        .filter(|m| m["id"] == 71_234_567_890_u64)
        .max_by_key(|m| m["start_time"].as_str().map(str::to_owned))
        .expect("stand-ups");
    assert_eq!(latest["start_time"], "2026-03-30T09:00:00Z");
    let uuid = latest["uuid"].as_str().expect("uuid");
    let by_number = get(
        &zoom,
        &meeting_path("71234567890"),
        &[("type", "past"), ("page_size", "300")],
    )
    .await;
    let by_uuid = get(
        &zoom,
        &meeting_path(uuid),
        &[("type", "past"), ("page_size", "300")],
    )
    .await;
    assert_eq!(
        by_number.raw_rows("participants"),
        by_uuid.raw_rows("participants")
    );
    assert_eq!(
        zoom.expected_meeting_participants("71234567890", false),
        zoom.expected_meeting_participants(uuid, false)
    );
}

#[tokio::test]
async fn the_webinar_and_meeting_lists_share_one_per_minute_limit() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .meeting("85000000000", 3)
        .list_rate_limit_per_minute(3)
        .start()
        .await
        .expect("fake");
    let query = [
        ("type", "past"),
        ("from", "2026-01-01"),
        ("to", "2026-01-31"),
    ];
    for path in [
        "/metrics/webinars",
        "/metrics/meetings",
        "/metrics/webinars",
    ] {
        assert_eq!(
            get(&zoom, path, &query).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    for path in ["/metrics/meetings", "/metrics/webinars"] {
        let answer = get(&zoom, path, &query).await;
        assert_zoom_error(
            &answer,
            StatusCode::TOO_MANY_REQUESTS,
            429,
            "You have reached the maximum per-minute rate limit for this API. Try again later.",
        );
        let header = |name: &str| answer.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header("x-ratelimit-category"), Some("Resource-intensive"));
        assert_eq!(header("x-ratelimit-limit"), Some("3"));
        let retry_after: u64 = header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!((59..=60).contains(&retry_after), "{retry_after}");
    }
    let paths: Vec<String> = zoom.list_requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v2/metrics/webinars",
            "/v2/metrics/meetings",
            "/v2/metrics/webinars",
            "/v2/metrics/meetings",
            "/v2/metrics/webinars",
        ]
    );
    // The participants endpoints are not limited by the lists' budget.
    let answer = get(&zoom, &meeting_path("85000000000"), &[("type", "past")]).await;
    assert_eq!(answer.json()["total_records"], 3);
    let answer = get(&zoom, &report_path(ReportKind::Meeting, "85000000000"), &[]).await;
    assert_eq!(answer.json()["total_records"], 3);
    assert_eq!(zoom.requests().len(), 2);
}

#[tokio::test]
async fn listed_meetings_set_meeting_and_set_seed_change_what_is_served() {
    let meeting = FakeMeeting {
        uuid: "Mt1vB2nM3aS4dF5gH6jK7l==".into(),
        id: 87_000_000_001,
        topic: "Durable export".into(),
        start_time: "2026-02-10T15:00:00Z".parse().expect("instant"),
        participants: 5,
        one_person: false,
        duration: None,
    };
    let uuid = meeting.uuid.clone();
    let zoom = FakeZoom::builder()
        .listed_meeting(meeting)
        .start()
        .await
        .expect("fake");
    let path = meeting_path(&uuid);
    let fetch = || async {
        let answers = pages(&zoom, &path, &[("type", "past")]).await;
        raw_rows(&answers, "participants")
    };
    let before = fetch().await;
    assert_eq!(before.len(), 5);
    zoom.set_meeting(&uuid, 3);
    assert_eq!(fetch().await, before[..3].to_vec());
    let listed = zoom.expected_meetings(day("2026-02-01"), day("2026-02-28"));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["participants"], 3);
    let served = meeting_window(
        &zoom,
        &[
            ("type", "past"),
            ("from", "2026-02-01"),
            ("to", "2026-02-28"),
        ],
    )
    .await;
    assert_eq!(served, listed);
    zoom.set_seed(7);
    let reseeded = fetch().await;
    assert_eq!(reseeded.len(), 3);
    assert_ne!(reseeded, before[..3].to_vec());
    let report = pages(&zoom, &report_path(ReportKind::Meeting, &uuid), &[]).await;
    assert_eq!(
        raw_rows(&report, "participants"),
        zoom.expected_report_participants_raw(ReportKind::Meeting, &uuid, false)
    );
}
