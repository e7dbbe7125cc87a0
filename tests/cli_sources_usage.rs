//! The usage errors of the meeting and Report API flags (exit 2, one line, no request), and
//! how a failure of a meeting in a fan-out is told.
#![cfg(feature = "cli")]

mod cli_support;

use cli_support::*;
use zoom_participants::fake::FakeZoom;

const WEBINAR: &str = "95204914252";
const MEETING: &str = "85746065432";

#[tokio::test]
async fn usage_errors_of_the_new_sources_are_exit_2_without_a_request() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .webinar(WEBINAR, 5)
        .meeting(MEETING, 5)
        .start()
        .await
        .unwrap();
    let period = ["--from", "2026-01-01", "--to", "2026-01-31"];
    let dir = tempdir("sources-usage");
    let ids = dir.join("ids.txt");
    std::fs::write(&ids, format!("{WEBINAR}\n{MEETING}\n")).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&["--source", "report"][..], &period].concat(),
            "--source report",
        ),
        (
            [&["--source", "report", "--meetings"][..], &period].concat(),
            "--source report",
        ),
        (
            ["--type", "pastOne", "--webinar", WEBINAR].to_vec(),
            "pastOne",
        ),
        (
            [
                "--type",
                "pastOne",
                "--webinar",
                WEBINAR,
                "--meeting",
                MEETING,
            ]
            .to_vec(),
            "pastOne",
        ),
        ([&["--type", "pastOne"][..], &period].concat(), "pastOne"),
        (
            ["--webinar", MEETING, "--meeting", MEETING].to_vec(),
            "both as --webinar and as --meeting",
        ),
        (
            ["--source", "report", "--type", "past", "--webinar", WEBINAR].to_vec(),
            "--type",
        ),
        (
            [
                "--source",
                "report",
                "--type",
                "pastOne",
                "--meeting",
                MEETING,
            ]
            .to_vec(),
            "--type",
        ),
        // The Report API's rows have no role: a role filter would silently keep none.
        (
            vec!["--source", "report", "--role", "host", "--webinar", WEBINAR],
            "--role",
        ),
        (
            vec![
                "--source",
                "report",
                "--role",
                "panelist",
                "--meeting",
                MEETING,
            ],
            "--role",
        ),
        // An ID of the webinar file given as --meeting too.
        (
            vec![
                "--webinars-from",
                ids.to_str().unwrap(),
                "--meeting",
                MEETING,
            ],
            MEETING,
        ),
    ];
    for (args, needle) in cases {
        let out = run(&zoom, &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_failure(&out, 2, &[needle]);
        assert!(stderr(&out).starts_with("error: "), "{args:?}");
    }
    assert_eq!(zoom.request_count(), 0);
    assert_eq!(zoom.list_requests().len(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failed_meeting_of_a_fan_out_is_named_a_meeting() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 5)
        .meeting(MEETING, 4)
        .start()
        .await
        .unwrap();
    let out = run(&zoom, &["--webinar", WEBINAR, "--meeting", "missing"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(lines(&out).len(), 5, "the webinar's rows are written");
    let err = stderr(&out);
    assert!(
        err.contains("meeting missing: Zoom answered HTTP 404 (code 3001)"),
        "{err}"
    );
    assert!(!err.contains("webinar missing"), "{err}");

    let out = run(&zoom, &["--meeting", "missing", "--meeting", "nope"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("meeting nope: "), "{err}");
    assert!(
        !err.contains("webinar"),
        "two meetings failed, no webinar: {err}"
    );
}
