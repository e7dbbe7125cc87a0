//! The binary's meeting and Report API sources against the fake Zoom, as a process: exact
//! rows (byte for byte what was served), the requests that fetched them, `--type pastOne`,
//! Zoom's double-encoding of UUIDs, a fan-out of webinars and meetings, report rows in CSV
//! and per person, and page tokens bound to their endpoint. The usage errors of the new
//! flags are in `cli_sources_usage`.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use futures::TryStreamExt;
use zoom_participants::fake::{FakeZoom, ReportKind};
use zoom_participants::{
    Attendance, Client, MeetingType, Participant, RateLimit, ReportParticipant, attendance,
};

const WEBINAR: &str = "95204914252";
const MEETING: &str = "85746065432";
const ALONE: &str = "81112223334";

/// The exact JSON texts of the Dashboard rows of meeting `id`.
fn meeting_texts(zoom: &FakeZoom, id: &str, registrant: bool) -> Vec<String> {
    texts(&zoom.expected_meeting_participants(id, registrant))
}

#[tokio::test]
async fn meeting_participants_are_passed_through_byte_for_byte() {
    let zoom = FakeZoom::builder()
        .meeting(MEETING, 700)
        .start()
        .await
        .unwrap();
    let out = run(
        &zoom,
        &["--meeting", MEETING, "--type", "past", "--page-size", "100"],
    )
    .await;
    assert_quiet_success(&out);
    let expected = ndjson_of(&meeting_texts(&zoom, MEETING, false));
    assert_eq!(expected.lines().count(), 700);
    for served in ["123456789012345678901234567890", "\\u0001", "1.50"] {
        assert!(expected.contains(served), "the fake serves {served}");
    }
    assert!(expected.contains("\"in_room_participants\":"));
    assert_eq!(stdout(&out), expected);

    let requests = zoom.requests();
    assert_eq!(requests.len(), 7, "700 rows in pages of 100");
    let path = format!("/v2/metrics/meetings/{MEETING}/participants");
    for (i, r) in requests.iter().enumerate() {
        assert_eq!(r.path, path);
        assert_eq!(r.query_value("type"), Some("past"));
        assert_eq!(r.query_value("page_size"), Some("100"));
        let want = if i == 0 {
            vec!["type", "page_size"]
        } else {
            vec!["type", "page_size", "next_page_token"]
        };
        assert_eq!(keys(r), want, "request {i}");
    }
}

#[tokio::test]
async fn past_one_reads_a_one_person_meeting_that_past_and_the_report_do_not_have() {
    let zoom = FakeZoom::builder()
        .one_person_meeting(ALONE)
        .start()
        .await
        .unwrap();
    let out = run(&zoom, &["--meeting", ALONE, "--type", "pastOne"]).await;
    assert_quiet_success(&out);
    let expected = meeting_texts(&zoom, ALONE, false);
    assert_eq!(expected.len(), 1, "the host alone");
    assert_eq!(stdout(&out), ndjson_of(&expected));
    let requests = zoom.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path,
        format!("/v2/metrics/meetings/{ALONE}/participants")
    );
    assert_eq!(keys(&requests[0]), ["type", "page_size"]);
    assert_eq!(requests[0].query_value("type"), Some("pastOne"));

    // `type=past` does not list a meeting of one person: Zoom's 404, exit 5.
    let out = run(&zoom, &["--meeting", ALONE, "--type", "past"]).await;
    assert_failure(
        &out,
        5,
        &["404", "3001", &format!("Meeting does not exist: {ALONE}.")],
    );
    // Nor does the Report API, which has meetings of two people or more.
    let out = run(&zoom, &["--source", "report", "--meeting", ALONE]).await;
    assert_failure(&out, 5, &["404", "3001", "not found or has expired"]);
    let requests = zoom.requests();
    assert_eq!(requests.len(), 3, "one request each, no retry of a 404");
    assert_eq!(requests[1].query_value("type"), Some("past"));
    assert_eq!(
        requests[2].path,
        format!("/v2/report/meetings/{ALONE}/participants")
    );
    assert_eq!(
        keys(&requests[2]),
        ["page_size"],
        "the report takes no type"
    );
}

#[tokio::test]
async fn uuids_with_slashes_are_double_encoded_for_meetings_and_reports() {
    const MEETING_UUID: &str = "/mEeT//x+y9Q1w2E3r4T5y==";
    const MEETING_SEGMENT: &str = "%252FmEeT%252F%252Fx%252By9Q1w2E3r4T5y%253D%253D";
    const WEBINAR_UUID: &str = "wEb//iN+a1S2d3F4g5H6j7==";
    const WEBINAR_SEGMENT: &str = "wEb%252F%252FiN%252Ba1S2d3F4g5H6j7%253D%253D";
    let zoom = FakeZoom::builder()
        .meeting(MEETING_UUID, 12)
        .webinar(WEBINAR_UUID, 9)
        .start()
        .await
        .unwrap();

    let out = run(&zoom, &["--meeting", MEETING_UUID, "--type", "past"]).await;
    assert_quiet_success(&out);
    assert_eq!(
        stdout(&out),
        ndjson_of(&meeting_texts(&zoom, MEETING_UUID, false))
    );
    let out = run(&zoom, &["--source", "report", "--meeting", MEETING_UUID]).await;
    assert_quiet_success(&out);
    let report = zoom.expected_report_participants_raw(ReportKind::Meeting, MEETING_UUID, false);
    assert_eq!(report.len(), 12);
    assert_eq!(stdout(&out), ndjson_of(&report));
    let out = run(&zoom, &["--source", "report", "--webinar", WEBINAR_UUID]).await;
    assert_quiet_success(&out);
    let report = zoom.expected_report_participants_raw(ReportKind::Webinar, WEBINAR_UUID, false);
    assert_eq!(report.len(), 9);
    assert_eq!(stdout(&out), ndjson_of(&report));

    assert_eq!(
        paths(&zoom.requests()),
        [
            format!("/v2/metrics/meetings/{MEETING_SEGMENT}/participants"),
            format!("/v2/report/meetings/{MEETING_SEGMENT}/participants"),
            format!("/v2/report/webinars/{WEBINAR_SEGMENT}/participants"),
        ]
    );
}

#[tokio::test]
async fn a_fan_out_of_webinars_and_meetings_tags_each_row_with_its_own_id() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 25)
        .meeting(MEETING, 13)
        .start()
        .await
        .unwrap();
    let args = [
        "--webinar",
        WEBINAR,
        "--meeting",
        MEETING,
        "--page-size",
        "10",
        "--type",
        "past",
    ];
    let out = run(&zoom, &args).await;
    assert_quiet_success(&out);
    // In the order given, each row as served with its tag first.
    let webinar_rows = texts(&zoom.expected_participants(WEBINAR, false));
    let meeting_rows = meeting_texts(&zoom, MEETING, false);
    let mut want = Vec::new();
    for row in &webinar_rows {
        want.push(tagged(&[("webinar_id", format!("{WEBINAR:?}"))], row));
    }
    for row in &meeting_rows {
        want.push(tagged(&[("meeting_id", format!("{MEETING:?}"))], row));
    }
    assert_eq!(want.len(), 38);
    assert_eq!(lines(&out), want);
    let mut seen = paths(&zoom.requests());
    seen.sort();
    let webinar_path = format!("/v2/metrics/webinars/{WEBINAR}/participants");
    let meeting_path = format!("/v2/metrics/meetings/{MEETING}/participants");
    assert_eq!(
        seen,
        [
            meeting_path.clone(),
            meeting_path.clone(),
            webinar_path.clone(),
            webinar_path.clone(),
            webinar_path.clone(),
        ]
    );
    assert!(
        zoom.requests()
            .iter()
            .all(|r| r.query_value("type") == Some("past"))
    );

    // CSV: both columns on every row, the other kind's empty.
    let mut csv_args = args.to_vec();
    csv_args.extend(["--format", "csv"]);
    let out = run(&zoom, &csv_args).await;
    assert_quiet_success(&out);
    let (header, records) = csv_of(&out.stdout);
    assert_eq!(
        header,
        header_of(&[&["webinar_id", "meeting_id"], Participant::FIELDS])
    );
    let mut want = Vec::new();
    for row in &webinar_rows {
        let mut cells = vec![WEBINAR.to_owned(), String::new()];
        cells.extend(cells_of(row, Participant::FIELDS));
        want.push(cells);
    }
    for row in &meeting_rows {
        let mut cells = vec![String::new(), MEETING.to_owned()];
        cells.extend(cells_of(row, Participant::FIELDS));
        want.push(cells);
    }
    assert_eq!(records, want);
}

#[tokio::test]
async fn report_rows_in_csv_have_the_report_s_columns_and_ndjson_is_as_sent() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 50)
        .meeting(MEETING, 30)
        .start()
        .await
        .unwrap();
    let out = run(
        &zoom,
        &[
            "--source",
            "report",
            "--webinar",
            WEBINAR,
            "--format",
            "csv",
            "--include-registrant-id",
            "--page-size",
            "20",
        ],
    )
    .await;
    assert_quiet_success(&out);
    let (header, records) = csv_of(&out.stdout);
    assert_eq!(header, header_of(&[ReportParticipant::FIELDS]));
    assert_eq!(
        &header[..13],
        [
            "id",
            "user_id",
            "name",
            "user_email",
            "join_time",
            "leave_time",
            "duration",
            "failover",
            "status",
            "customer_key",
            "registrant_id",
            "participant_user_id",
            "bo_mtg_id"
        ]
    );
    let rows = zoom.expected_report_participants_raw(ReportKind::Webinar, WEBINAR, true);
    let want: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cells_of(r, ReportParticipant::FIELDS))
        .collect();
    assert_eq!(records.len(), 50);
    assert_eq!(records, want);
    // Spot checks of what the report tells its own way.
    assert_eq!(records[7][10], "reg-7", "registrant_id");
    assert_eq!(records[22][7], "true", "failover on every 23rd row");
    assert!(records[1][6].parse::<u64>().is_ok(), "duration in seconds");
    assert!(records[4][13].contains("\"x_engagement_score\":4"), "extra");
    let requests = zoom.requests();
    assert_eq!(requests.len(), 3);
    for (i, r) in requests.iter().enumerate() {
        assert_eq!(
            r.path,
            format!("/v2/report/webinars/{WEBINAR}/participants")
        );
        let mut want = vec!["page_size", "include_fields"];
        if i > 0 {
            want.push("next_page_token");
        }
        assert_eq!(keys(r), want);
        assert_eq!(r.query_value("include_fields"), Some("registrant_id"));
    }

    let out = run(&zoom, &["--source", "report", "--meeting", MEETING]).await;
    assert_quiet_success(&out);
    let rows = zoom.expected_report_participants_raw(ReportKind::Meeting, MEETING, false);
    assert_eq!(stdout(&out), ndjson_of(&rows));
    assert!(!stdout(&out).contains("in_room_participants"));
    assert!(stdout(&out).contains("\"user_email\":"));
}

/// What `attendance` makes of the report rows of one instance.
async fn report_people(zoom: &FakeZoom, kind: ReportKind, id: &str, reg: bool) -> Vec<Attendance> {
    let rows: Vec<ReportParticipant> = zoom
        .expected_report_participants_raw(kind, id, reg)
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    attendance(futures::stream::iter(rows.into_iter().map(Ok)), None)
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn per_person_on_report_rows_gives_each_person_once_by_the_report_s_identity() {
    let zoom = FakeZoom::builder()
        .meeting(MEETING, 200)
        .webinar(WEBINAR, 60)
        .start()
        .await
        .unwrap();
    for registrant in [false, true] {
        let mut args = vec!["--source", "report", "--meeting", MEETING, "--per-person"];
        if registrant {
            args.push("--include-registrant-id");
        }
        let out = run(&zoom, &args).await;
        assert_quiet_success(&out);
        let people = report_people(&zoom, ReportKind::Meeting, MEETING, registrant).await;
        assert_eq!(lines(&out), texts(&people), "registrant ids: {registrant}");
        assert!(people.len() < 200, "rejoins are folded");
        assert!(people.iter().filter(|p| p.connections > 1).count() > 10);
        let kind = if registrant { "registrant" } else { "user" };
        assert!(
            people.iter().all(|p| p.key.kind() == kind),
            "identity by {kind}"
        );
    }
    // The same people, for the same time, as the Dashboard's rows of the meeting give.
    let out = run(
        &zoom,
        &["--meeting", MEETING, "--type", "past", "--per-person"],
    )
    .await;
    assert_quiet_success(&out);
    let report = report_people(&zoom, ReportKind::Meeting, MEETING, false).await;
    let dashboard: Vec<serde_json::Value> = lines(&out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(dashboard.len(), report.len());
    for (d, r) in dashboard.iter().zip(&report) {
        assert_eq!(d["person_key"], r.key.value().as_str());
        assert_eq!(d["attended_seconds"], r.attended.as_secs());
        assert_eq!(d["connections"], r.connections);
    }

    // Per person over a report fan-out: tagged by instance, in the order given.
    let out = run(
        &zoom,
        &[
            "--source",
            "report",
            "--webinar",
            WEBINAR,
            "--meeting",
            MEETING,
            "--per-person",
            "--format",
            "csv",
        ],
    )
    .await;
    assert_quiet_success(&out);
    let (header, records) = csv_of(&out.stdout);
    assert_eq!(
        header,
        header_of(&[&["webinar_id", "meeting_id"], Attendance::FIELDS])
    );
    let webinar_people = report_people(&zoom, ReportKind::Webinar, WEBINAR, false).await;
    assert_eq!(records.len(), webinar_people.len() + report.len());
    let (first, second) = records.split_at(webinar_people.len());
    assert!(first.iter().all(|r| r[0] == WEBINAR && r[1].is_empty()));
    assert!(second.iter().all(|r| r[0].is_empty() && r[1] == MEETING));
    let keys_of =
        |people: &[Attendance]| -> Vec<String> { people.iter().map(|p| p.key.value()).collect() };
    let column = Attendance::FIELDS
        .iter()
        .position(|f| *f == "person_key")
        .unwrap()
        + 2;
    let got: Vec<String> = records.iter().map(|r| r[column].clone()).collect();
    let mut want = keys_of(&webinar_people);
    want.extend(keys_of(&report));
    assert_eq!(got, want);
}

fn client(zoom: &FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .build()
        .unwrap()
}

/// The raw rows of one of the four participants endpoints for `id`, in pages of 5, from
/// `token` if given: 0 Dashboard webinar, 1 Dashboard meeting (past), 2 report webinar,
/// 3 report meeting.
fn raw_stream(client: &Client, endpoint: usize, id: &str, token: Option<&str>) -> Raw {
    fn from<R: zoom_participants::Row>(
        request: zoom_participants::ParticipantsRequest<R>,
        token: Option<&str>,
    ) -> Raw {
        let request = request.page_size(5);
        match token {
            Some(token) => request.resume_from(token).stream_raw(),
            None => request.stream_raw(),
        }
    }
    match endpoint {
        0 => from(client.webinar_participants(id), token),
        1 => from(
            client
                .meeting_participants(id)
                .meeting_type(MeetingType::Past),
            token,
        ),
        2 => from(client.report_webinar_participants(id), token),
        _ => from(client.report_meeting_participants(id), token),
    }
}

type Raw = zoom_participants::ParticipantStream<zoom_participants::RawRow>;

#[tokio::test]
async fn a_page_token_of_one_endpoint_is_refused_by_every_other() {
    // One number served by all four endpoints.
    let zoom = FakeZoom::builder()
        .webinar(MEETING, 20)
        .meeting(MEETING, 20)
        .start()
        .await
        .unwrap();
    let client = client(&zoom);
    let expected = [
        texts(&zoom.expected_participants(MEETING, false)),
        meeting_texts(&zoom, MEETING, false),
        zoom.expected_report_participants_raw(ReportKind::Webinar, MEETING, false),
        zoom.expected_report_participants_raw(ReportKind::Meeting, MEETING, false),
    ];
    // A live token of each endpoint, after its first page.
    let mut tokens = Vec::new();
    for (endpoint, rows) in expected.iter().enumerate() {
        let mut stream = raw_stream(&client, endpoint, MEETING, None);
        for row in &rows[..5] {
            let got = stream.try_next().await.unwrap().expect("a row");
            assert_eq!(got.as_str(), row, "endpoint {endpoint}");
        }
        tokens.push(stream.checkpoint().next_page_token().unwrap().to_owned());
    }
    let before = zoom.request_count();
    // Each endpoint continues its own token (at row 6) and refuses the others' with
    // Zoom's 400/300, an error of the first poll.
    for (issuer, token) in tokens.iter().enumerate() {
        for (endpoint, rows) in expected.iter().enumerate() {
            let mut stream = raw_stream(&client, endpoint, MEETING, Some(token));
            let first = stream.try_next().await;
            if endpoint == issuer {
                let row = first.unwrap().expect("row 6");
                assert_eq!(row.as_str(), rows[5], "endpoint {endpoint}");
            } else {
                let err = first.unwrap_err();
                assert_eq!(err.http_status(), Some(400), "{issuer} → {endpoint}: {err}");
                assert_eq!(err.zoom_code(), Some(300), "{issuer} → {endpoint}: {err}");
                assert!(
                    stream.try_next().await.unwrap().is_none(),
                    "the error ends it"
                );
            }
        }
    }
    let requests = &zoom.requests()[before..];
    assert_eq!(requests.len(), 16, "one request each, no retry");
    for (n, r) in requests.iter().enumerate() {
        assert_eq!(
            r.query_value("next_page_token"),
            Some(tokens[n / 4].as_str())
        );
    }

    // The CLI says so in one line, exit 1.
    let out = run(
        &zoom,
        &[
            "--source",
            "report",
            "--meeting",
            MEETING,
            "--page-size",
            "5",
            "--resume-from",
            &tokens[1],
        ],
    )
    .await;
    assert_failure(&out, 1, &["400", "300"]);
}
