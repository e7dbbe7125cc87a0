//! `--all-instances`: every ended instance of webinar or meeting numbers (Zoom's past
//! instances lists), then their participants from either source, each row tagged with its
//! instance; durable across kill -9 with the instances listed once; the usage errors.
#![cfg(feature = "cli")]

mod cli_support;
mod common;

use std::time::Duration;

use chrono::SecondsFormat;
use cli_support::*;
use zoom_participants::fake::{FakeMeeting, FakeWebinar, FakeZoom, Fault, ReportKind};

const RECURRING_WEBINAR: u64 = 81_234_567_890;
const RECURRING_MEETING: u64 = 72_345_678_901;

async fn demo_fake() -> FakeZoom {
    FakeZoom::builder().demo_period().start().await.unwrap()
}

/// The tags of an instance's rows: its UUID, number, no topic (the instances list has
/// none) and start.
fn tags(
    kind: &str,
    uuid: &str,
    id: u64,
    start: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, String)> {
    vec![
        (format!("{kind}_uuid"), format!("{uuid:?}")),
        (format!("{kind}_id"), id.to_string()),
        (format!("{kind}_topic"), "null".to_owned()),
        (
            format!("{kind}_start_time"),
            format!("{:?}", start.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        ),
    ]
}

fn tagged_by(tags: &[(String, String)], row: &str) -> String {
    let tags: Vec<(&str, String)> = tags.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    tagged(&tags, row)
}

/// The demo's instances of `id`, in the order Zoom's list gives them.
fn webinar_instances(id: u64) -> Vec<FakeWebinar> {
    let mut all: Vec<FakeWebinar> = FakeWebinar::demo_period()
        .into_iter()
        .filter(|w| w.id == id)
        .collect();
    all.sort_by(|a, b| (a.start_time, &a.uuid).cmp(&(b.start_time, &b.uuid)));
    all
}

fn meeting_instances(id: u64) -> Vec<FakeMeeting> {
    let mut all: Vec<FakeMeeting> = FakeMeeting::demo_period()
        .into_iter()
        .filter(|m| m.id == id)
        .collect();
    all.sort_by(|a, b| (a.start_time, &a.uuid).cmp(&(b.start_time, &b.uuid)));
    all
}

/// Every line of `--all-instances --source report --webinar RECURRING_WEBINAR`.
fn expected_report_lines(zoom: &FakeZoom) -> Vec<String> {
    let mut lines = Vec::new();
    for webinar in webinar_instances(RECURRING_WEBINAR) {
        let tags = tags("webinar", &webinar.uuid, webinar.id, webinar.start_time);
        for row in zoom.expected_report_participants_raw(ReportKind::Webinar, &webinar.uuid, false)
        {
            lines.push(tagged_by(&tags, &row));
        }
    }
    lines
}

#[tokio::test]
async fn every_instance_of_a_recurring_webinar_through_the_report_api_tagged() {
    let zoom = demo_fake().await;
    let number = RECURRING_WEBINAR.to_string();
    let out = run(
        &zoom,
        &[
            "--all-instances",
            "--source",
            "report",
            "--webinar",
            &number,
        ],
    )
    .await;
    assert_quiet_success(&out);
    let want = expected_report_lines(&zoom);
    let instances = webinar_instances(RECURRING_WEBINAR);
    assert!(instances.len() >= 3 && want.len() > instances.len());
    assert_eq!(lines(&out), want);
    // One instances request, with no query, then one report list per instance.
    let requests = zoom.requests();
    assert_eq!(
        requests[0].path,
        format!("/v2/past_webinars/{number}/instances")
    );
    assert!(keys(&requests[0]).is_empty(), "{:?}", requests[0]);
    let reports: Vec<&str> = requests[1..]
        .iter()
        .map(|r| r.path.as_str())
        .filter(|p| p.starts_with("/v2/report/webinars/"))
        .collect();
    assert_eq!(reports.len(), requests.len() - 1, "{requests:?}");
    assert!(zoom.list_requests().is_empty(), "no Dashboard list");
}

#[tokio::test]
async fn every_instance_of_a_recurring_meeting_from_the_dashboard_with_type_past_in_csv() {
    let zoom = demo_fake().await;
    let number = RECURRING_MEETING.to_string();
    let out = run(
        &zoom,
        &["--all-instances", "--meeting", &number, "--format", "csv"],
    )
    .await;
    assert_quiet_success(&out);
    let (header, records) = csv_of(&out.stdout);
    let tag_names = [
        "meeting_uuid",
        "meeting_id",
        "meeting_topic",
        "meeting_start_time",
    ];
    assert_eq!(
        header,
        header_of(&[&tag_names, zoom_participants::Participant::FIELDS])
    );
    let mut want = Vec::new();
    for meeting in meeting_instances(RECURRING_MEETING) {
        assert!(!meeting.one_person);
        let start = meeting
            .start_time
            .to_rfc3339_opts(SecondsFormat::AutoSi, true);
        for row in texts(&zoom.expected_meeting_participants(&meeting.uuid, false)) {
            let mut cells = vec![
                meeting.uuid.clone(),
                number.clone(),
                String::new(),
                start.clone(),
            ];
            cells.extend(cells_of(&row, zoom_participants::Participant::FIELDS));
            want.push(cells);
        }
    }
    assert!(!want.is_empty());
    assert_eq!(records, want);
    // Every participants request asks for the ended session.
    for request in zoom.requests().iter().skip(1) {
        assert_eq!(request.query_value("type"), Some("past"), "{request:?}");
    }
}

#[tokio::test]
async fn kill_nine_at_random_moments_then_rerun_gives_the_exact_file() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .latency(Duration::from_millis(30))
        .start()
        .await
        .unwrap();
    let dir = tempdir("all-instances-durable");
    let number = RECURRING_WEBINAR.to_string();
    let args = [
        "--all-instances",
        "--source",
        "report",
        "--webinar",
        &number,
        "--page-size",
        "2",
    ];
    let reference = dir.join("reference");
    assert_quiet_success(&run(&zoom, &with_output(&args, &reference)).await);
    assert_eq!(
        std::fs::read_to_string(&reference).unwrap(),
        ndjson_of(&expected_report_lines(&zoom))
    );
    let target = dir.join("export");
    let durable = with_output(&args, &target);
    let mut cut = 0;
    for _ in 0..10 {
        let after = Duration::from_millis(fastrand::u64(30..300));
        if !kill_after(&zoom, &durable, after).await {
            cut += 1;
        }
        if target.exists() {
            break;
        }
    }
    assert!(cut >= 3, "only {cut} runs were cut short");
    if !target.exists() {
        let out = run(&zoom, &durable).await;
        assert_quiet_success(&out);
    }
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&reference).unwrap(),
        "byte-identical after kills and a rerun"
    );
    assert_eq!(leftovers(&dir), ["export", "reference"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_rerun_reads_the_saved_instances_instead_of_listing_again() {
    let zoom = demo_fake().await;
    let dir = tempdir("all-instances-saved");
    let number = RECURRING_WEBINAR.to_string();
    let target = dir.join("export");
    // Stopped by its budget after the listing and two participant pages.
    let args = [
        "--all-instances",
        "--source",
        "report",
        "--webinar",
        &number,
        "--page-size",
        "5",
        "--max-requests",
        "3",
    ];
    let out = run(&zoom, &with_output(&args, &target)).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    // An occurrence that ends after the listing: the export is of the list it saved.
    zoom.list_webinar(FakeWebinar {
        uuid: "nEw0ccurr3nce+AfterList==".into(),
        id: RECURRING_WEBINAR,
        topic: "Weekly product demo".into(),
        start_time: "2026-03-30T17:00:00Z".parse().unwrap(),
        participants: 4,
        duration: None,
    });
    let rest = [
        "--all-instances",
        "--source",
        "report",
        "--webinar",
        &number,
        "--page-size",
        "5",
    ];
    let out = run(&zoom, &with_output(&rest, &target)).await;
    assert_quiet_success(&out);
    let instances_path = format!("/v2/past_webinars/{number}/instances");
    let listings = zoom
        .requests()
        .iter()
        .filter(|r| r.path == instances_path)
        .count();
    assert_eq!(listings, 1, "listed once, then read back");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        ndjson_of(&expected_report_lines(&zoom))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn usage_errors_send_no_request_and_an_unknown_number_is_exit_5() {
    let zoom = demo_fake().await;
    let cases: [(&[&str], &str); 4] = [
        (
            &["--all-instances", "--webinar", "k1Zq7mVHR0a4bP+c9dE2fg=="],
            "--all-instances takes webinar and meeting numbers",
        ),
        (
            &["--all-instances", "--webinar", "1", "--meeting", "2"],
            "not both",
        ),
        (
            &[
                "--all-instances",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
            ],
            "cannot be used with",
        ),
        (
            &["--all-instances", "--webinar", "1", "--resume-from", "tok"],
            "cannot be used with",
        ),
    ];
    for (args, needle) in cases {
        let out = run(&zoom, args).await;
        assert_failure(&out, 2, &[needle]);
    }
    assert_eq!(zoom.request_count(), 0);
    let out = run(&zoom, &["--all-instances", "--webinar", "11111111111"]).await;
    assert_failure(&out, 5, &["webinar 11111111111", "404"]);
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn the_demo_shows_every_instance_of_its_recurring_webinar() {
    let out = output(bare_command(), &["--demo", "--all-instances"]).await;
    assert_quiet_success(&out);
    let got = lines(&out);
    let instances = webinar_instances(RECURRING_WEBINAR);
    let uuids: Vec<String> = got
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["webinar_uuid"].as_str().unwrap().to_owned()
        })
        .fold(Vec::new(), |mut seen, uuid| {
            if seen.last() != Some(&uuid) {
                seen.push(uuid);
            }
            seen
        });
    let want: Vec<String> = instances.iter().map(|w| w.uuid.clone()).collect();
    assert_eq!(uuids, want);
    let rows: u64 = instances.iter().map(|w| w.participants).sum();
    assert_eq!(got.len() as u64, rows);
}

/// A failure with `code` and one line on standard error that holds each of `needles`,
/// after rows on standard output.
fn assert_failed_after_rows(out: &std::process::Output, code: i32, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(!out.stdout.is_empty());
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
}

/// A recurring meeting of three instances, the middle one attended by one person (Zoom
/// serves its rows only with `type=pastOne`, and the Report API not at all).
async fn meeting_with_a_one_person_instance() -> (FakeZoom, Vec<FakeMeeting>) {
    let meeting = |uuid: &str, start: &str, one_person: bool| FakeMeeting {
        uuid: uuid.to_owned(),
        id: RECURRING_MEETING,
        topic: "Stand-up".to_owned(),
        start_time: start.parse().unwrap(),
        participants: 7,
        one_person,
        duration: None,
    };
    let meetings = vec![
        meeting("first+meeting==", "2026-02-02T09:00:00Z", false),
        meeting("alone/meeting==", "2026-02-09T09:00:00Z", true),
        meeting("third+meeting==", "2026-02-16T09:00:00Z", false),
    ];
    let mut builder = FakeZoom::builder();
    for m in &meetings {
        builder = builder.listed_meeting(m.clone());
    }
    (builder.start().await.unwrap(), meetings)
}

fn meeting_lines(zoom: &FakeZoom, meetings: &[&FakeMeeting]) -> Vec<String> {
    let mut lines = Vec::new();
    for m in meetings {
        let tags = tags("meeting", &m.uuid, m.id, m.start_time);
        for row in texts(&zoom.expected_meeting_participants(&m.uuid, false)) {
            lines.push(tagged_by(&tags, &row));
        }
    }
    lines
}

#[tokio::test]
async fn a_missing_instance_fails_the_export_unless_skip_missing_says_to_go_on() {
    let (zoom, meetings) = meeting_with_a_one_person_instance().await;
    let number = RECURRING_MEETING.to_string();
    let others = meeting_lines(&zoom, &[&meetings[0], &meetings[2]]);

    // Standard output: the others go on, the run says which failed, exit 5.
    let args = ["--all-instances", "--meeting", &number];
    let out = run(&zoom, &args).await;
    assert_failed_after_rows(&out, 5, &["meeting alone/meeting==", "404"]);
    assert_eq!(lines(&out), others);

    // Durable: the export stops at the missing instance and says how to go on.
    let dir = tempdir("all-instances-missing");
    let target = dir.join("export");
    let out = run(&zoom, &with_output(&args, &target)).await;
    assert_failure(
        &out,
        5,
        &["meeting alone/meeting==", "run the same command again"],
    );
    assert!(!target.exists());
    // ... and --skip-missing continues the same export past it: exit 0, one line each.
    let skipping = [&args[..], &["--skip-missing"]].concat();
    let out = run(&zoom, &with_output(&skipping, &target)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().collect::<Vec<_>>(),
        [
            "skipped: meeting alone/meeting==: Zoom answered HTTP 404 (code 3001): Meeting does not exist: alone/meeting==."
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        ndjson_of(&others)
    );

    // Per person, the same place in the list is kept across the skip.
    let per_person = [&skipping[..], &["--per-person", "--format", "csv"]].concat();
    let out = run(&zoom, &per_person).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, records) = csv_of(&out.stdout);
    let uuids: std::collections::BTreeSet<&str> = records.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        uuids.into_iter().collect::<Vec<_>>(),
        ["first+meeting==", "third+meeting=="]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_number_zoom_does_not_know_fails_on_stdout_while_the_others_go_on() {
    let zoom = demo_fake().await;
    let number = RECURRING_WEBINAR.to_string();
    let args = [
        "--all-instances",
        "--source",
        "report",
        "--webinar",
        "11111111111",
        "--webinar",
        &number,
    ];
    let out = run(&zoom, &args).await;
    assert_failed_after_rows(&out, 5, &["webinar 11111111111", "404"]);
    assert_eq!(lines(&out), expected_report_lines(&zoom));
    let out = run(&zoom, &[&args[..], &["--skip-missing"]].concat()).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("skipped: webinar 11111111111: Zoom answered HTTP 404"));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert_eq!(lines(&out), expected_report_lines(&zoom));
}

#[tokio::test]
async fn the_hint_for_a_listed_instance_asks_for_type_past_and_continues_it_exactly() {
    let zoom = demo_fake().await;
    let number = RECURRING_WEBINAR.to_string();
    let second = webinar_instances(RECURRING_WEBINAR)[1].uuid.clone();
    zoom.push_fault_for(
        second.clone(),
        2,
        Fault::Zoom {
            status: 400,
            code: 3000,
            message: "Cannot access webinar info.".into(),
        },
    );
    let out = run(
        &zoom,
        &["--all-instances", "--webinar", &number, "--page-size", "5"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    let hint = text
        .split("resume with ")
        .nth(1)
        .expect("a hint")
        .trim()
        .to_owned();
    let words: Vec<String> = hint
        .split(' ')
        .map(|w| w.trim_matches('\'').to_owned())
        .collect();
    assert_eq!(words[..4], ["--type", "past", "--webinar", second.as_str()]);
    assert_eq!(words[4], "--resume-from");
    // Running the hint writes exactly the rest of that instance's rows.
    let first_page: Vec<String> = lines(&out)
        .into_iter()
        .filter(|l| l.contains(&second))
        .collect();
    let all: Vec<String> = texts(&zoom.expected_participants(&second, false));
    assert_eq!(first_page.len(), 5);
    let rest = run(
        &zoom,
        &[
            &words.iter().map(String::as_str).collect::<Vec<_>>()[..],
            &["--page-size", "5"],
        ]
        .concat(),
    )
    .await;
    assert!(rest.status.success(), "{}", stderr(&rest));
    assert_eq!(lines(&rest), all[5..].to_vec());
}

#[tokio::test]
async fn more_usage_errors_send_no_request() {
    let zoom = demo_fake().await;
    let dir = tempdir("all-instances-usage");
    let ids = dir.join("ids.txt");
    std::fs::write(&ids, "81234567890\nk1Zq7mVHR0a4bP+c9dE2fg==\n").unwrap();
    let ids = ids.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--all-instances", "--webinar", "1", "--type", "live"],
            "--type live does not apply",
        ),
        (
            &["--all-instances", "--webinar", "1", "--follow"],
            "cannot be used with",
        ),
        (
            &["--all-instances", "--webinars-from", ids],
            "\"k1Zq7mVHR0a4bP+c9dE2fg==\" is not one",
        ),
        (&["--webinar", "1", "--skip-missing"], "--all-instances"),
    ];
    for (args, needle) in cases {
        let out = run(&zoom, args).await;
        assert_failure(&out, 2, &[needle]);
    }
    assert_eq!(zoom.request_count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_instance_without_a_uuid_is_said_and_skipped_never_dropped_in_silence() {
    let server = common::raw_server(|target| {
        if target.starts_with("/v2/past_webinars/81234567890/instances") {
            let body = br#"{"webinars":[{"start_time":"2026-01-07T17:00:00Z"},{"uuid":7,"start_time":"2026-01-14T17:00:00Z"}]}"#;
            common::http_response(200, &[("content-type", "application/json")], body)
        } else {
            common::http_response(404, &[], b"{}")
        }
    })
    .await;
    let mut cmd = bare_command();
    cmd.env("ZOOM_BASE_URL", server.base_url())
        .env("ZOOM_ACCESS_TOKEN", "raw-token")
        .env("ZOOM_RATE_LIMIT", "off");
    let out = output(cmd, &["--all-instances", "--webinar", "81234567890"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(
        stderr(&out).lines().collect::<Vec<_>>(),
        [
            r#"skipped an instance of webinar 81234567890 without a uuid: {"start_time":"2026-01-07T17:00:00Z"}"#,
            r#"skipped an instance of webinar 81234567890 without a uuid: {"start_time":"2026-01-14T17:00:00Z","uuid":7}"#,
        ]
    );
    assert_eq!(
        server.targets(),
        ["/v2/past_webinars/81234567890/instances"]
    );
}
