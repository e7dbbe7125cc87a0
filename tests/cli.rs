//! The binary end to end, against the fake Zoom on loopback.

use std::process::Output;
use std::time::Duration;

use futures::TryStreamExt;
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;
use zoom_participants::fake::{FakeZoom, Fault};
use zoom_participants::{Client, Participant, Role, Status};

const WEBINAR: &str = "95204914252";

async fn fake(participants: u64) -> FakeZoom {
    FakeZoom::builder()
        .webinar(WEBINAR, participants)
        .start()
        .await
        .unwrap()
}

fn command(zoom: &FakeZoom) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
        .kill_on_drop(true);
    cmd
}

async fn run(mut cmd: Command, args: &[&str]) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.args(args).output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI starts")
}

fn ndjson(output: &Output) -> Vec<Participant> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Standard output as one JSON value a line, for rows the model does not describe.
fn json_rows(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn ndjson_output_is_exactly_what_was_served_page_by_page() {
    let zoom = fake(25).await;
    let out = run(
        command(&zoom),
        &["--webinar", WEBINAR, "--page-size", "7", "--type", "past"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(ndjson(&out), zoom.expected_participants(WEBINAR, false));
    assert_eq!(
        stderr(&out),
        "",
        "nothing on stderr when it is not a terminal"
    );
    let requests = zoom.requests();
    assert_eq!(requests.len(), 4);
    assert!(
        requests
            .iter()
            .all(|r| r.query_value("type") == Some("past"))
    );
    assert!(
        requests
            .iter()
            .all(|r| r.query_value("page_size") == Some("7"))
    );
}

#[tokio::test]
async fn unknown_fields_survive_into_ndjson() {
    let zoom = fake(20).await;
    let out = run(command(&zoom), &["--webinar", WEBINAR]).await;
    let row = &json_rows(&out)[4];
    assert_eq!(row["x_engagement_score"], 4);
    assert_eq!(row["x_devices"], serde_json::json!([{"kind": "headset"}]));
}

#[tokio::test]
async fn csv_parses_back_to_what_was_served() {
    let zoom = fake(40).await;
    let out = run(
        command(&zoom),
        &[
            "--webinar",
            WEBINAR,
            "--format",
            "csv",
            "--include-registrant-id",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut expected_header: Vec<String> =
        Participant::FIELDS.iter().map(|f| f.to_string()).collect();
    expected_header.push("extra".into());
    assert_eq!(header, expected_header);
    let expected = zoom.expected_participants(WEBINAR, true);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), expected.len());
    for (row, p) in rows.iter().zip(&expected) {
        let mut value = serde_json::to_value(p).unwrap();
        let map = value.as_object_mut().unwrap();
        for (i, field) in Participant::FIELDS.iter().enumerate() {
            let cell = match map.remove(*field) {
                None => String::new(),
                Some(serde_json::Value::String(s)) => s,
                Some(other) => other.to_string(),
            };
            assert_eq!(row[i], cell, "field {field} of {:?}", p.id);
        }
        let extra = &row[Participant::FIELDS.len()];
        if map.is_empty() {
            assert_eq!(extra, "");
        } else {
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(extra).unwrap(),
                serde_json::Value::Object(map.clone())
            );
        }
    }
}

#[tokio::test]
async fn limit_makes_only_the_requests_it_needs_even_with_read_ahead() {
    let zoom = fake(50).await;
    let out = run(
        command(&zoom),
        &["--webinar", WEBINAR, "--page-size", "10", "--limit", "12"],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        ndjson(&out),
        zoom.expected_participants(WEBINAR, false)[..12].to_vec()
    );
    assert_eq!(zoom.request_count(), 2);

    let zoom = fake(50).await;
    let out = run(
        command(&zoom),
        &["--webinar", WEBINAR, "--page-size", "10", "--limit", "20"],
    )
    .await;
    assert_eq!(ndjson(&out).len(), 20);
    assert_eq!(zoom.request_count(), 2, "the 20th is the end of page 2");
}

#[tokio::test]
async fn filters_give_the_exact_subset() {
    let zoom = fake(120).await;
    let out = run(
        command(&zoom),
        &[
            "--webinar",
            WEBINAR,
            "--status",
            "in_waiting_room",
            "--status",
            "in_meeting",
            "--role",
            "panelist",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let expected: Vec<Participant> = zoom
        .expected_participants(WEBINAR, false)
        .into_iter()
        .filter(|p| matches!(p.status, Some(Status::InMeeting | Status::InWaitingRoom)))
        .filter(|p| p.role == Some(Role::Panelist))
        .collect();
    assert!(expected.len() > 5);
    assert_eq!(ndjson(&out), expected);
}

#[tokio::test]
async fn resume_from_continues_after_the_saved_page() {
    let zoom = fake(30).await;
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .build()
        .unwrap();
    let mut pages = client.webinar_participants(WEBINAR).page_size(10).pages();
    let first = pages.try_next().await.unwrap().unwrap();
    let token = first.next_page_token.unwrap();
    let out = run(
        command(&zoom),
        &[
            "--webinar",
            WEBINAR,
            "--page-size",
            "10",
            "--resume-from",
            &token,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        ndjson(&out),
        zoom.expected_participants(WEBINAR, false)[10..].to_vec()
    );
}

#[tokio::test]
async fn a_failure_mid_stream_keeps_what_was_written_and_a_dead_token_gets_no_hint() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 25)
        .page_token_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let out = run(command(&zoom), &["--webinar", WEBINAR, "--page-size", "10"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        ndjson(&out),
        zoom.expected_participants(WEBINAR, false)[..10].to_vec()
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    // The token died (Zoom's 400/300): a `--resume-from` with it would only fail again.
    assert_eq!(
        err.trim_end(),
        "error: Zoom answered HTTP 400 (code 300): The next page token is invalid or expired."
    );
}

#[tokio::test]
async fn each_error_class_has_its_exit_code_and_never_shows_a_secret() {
    let zoom = fake(5).await;
    let secret_token = zoom.access_token().to_owned();
    let mut outputs = Vec::new();

    let out = run(command(&zoom), &["--webinar", "404404"]).await;
    outputs.push(out.clone());
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("HTTP 404 (code 3001)"),
        "{}",
        stderr(&out)
    );

    let mut wrong = command(&zoom);
    wrong.env("ZOOM_ACCESS_TOKEN", "wrong-token-abcdef");
    let out = run(wrong, &["--webinar", WEBINAR]).await;
    outputs.push(out.clone());
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("HTTP 401 (code 124): Invalid access token."));
    assert!(!stderr(&out).contains("wrong-token-abcdef"));

    zoom.push_fault(Fault::daily_limit());
    let out = run(command(&zoom), &["--webinar", WEBINAR]).await;
    outputs.push(out.clone());
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("daily limit"), "{}", stderr(&out));
    assert!(stderr(&out).contains("resets at"), "{}", stderr(&out));

    let mut none = command(&zoom);
    none.env_remove("ZOOM_ACCESS_TOKEN")
        .env("ZOOM_CLIENT_ID", "cid");
    let out = run(none, &["--webinar", WEBINAR]).await;
    outputs.push(out.clone());
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("ZOOM_ACCESS_TOKEN") && err.contains("ZOOM_CLIENT_SECRET"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);

    let mut oauth = command(&zoom);
    oauth
        .env_remove("ZOOM_ACCESS_TOKEN")
        .env("ZOOM_ACCOUNT_ID", "acc")
        .env("ZOOM_CLIENT_ID", "cid")
        .env("ZOOM_CLIENT_SECRET", "very-secret-value")
        .env("ZOOM_TOKEN_URL_UNUSED", "");
    let out = run(
        oauth,
        &["--webinar", WEBINAR, "--token-url", &zoom.token_url()],
    )
    .await;
    outputs.push(out.clone());
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("OAuth"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("very-secret-value"));

    for out in &outputs {
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out));
        assert!(!all.contains(&secret_token), "{all}");
    }
}

#[tokio::test]
async fn bad_input_is_a_usage_error() {
    let zoom = fake(5).await;
    for args in [
        vec!["--webinar", WEBINAR, "--type", "future"],
        vec!["--webinar", WEBINAR, "--status", "away"],
        vec!["--webinar", WEBINAR, "--role", "guest"],
        vec!["--webinar", WEBINAR, "--page-size", "0"],
        vec!["--webinar", WEBINAR, "--page-size", "301"],
        vec!["--demo", "--webinar", WEBINAR],
        vec![],
        vec!["--webinar", "..", "--format", "ndjson"],
    ] {
        let out = run(command(&zoom), &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
        assert!(out.stdout.is_empty());
    }
    assert_eq!(zoom.request_count(), 0);
}

#[tokio::test]
async fn demo_streams_the_documented_count_without_credentials() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear();
    let out = run(cmd, &["--demo"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 10_000);
    assert_eq!(rows[0].role, Some(Role::Host));
}

#[tokio::test]
async fn closing_stdout_early_ends_quietly_with_success() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .args(["--demo", "--demo-participants", "200000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    assert!(lines.next_line().await.unwrap().unwrap().starts_with('{'));
    drop(lines);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[tokio::test]
async fn several_webinars_are_tagged_and_one_failure_does_not_stop_the_others() {
    let zoom = FakeZoom::builder()
        .webinar("111", 12)
        .webinar("222", 7)
        .start()
        .await
        .unwrap();
    let out = run(
        command(&zoom),
        &[
            "--webinar",
            "111",
            "--webinar",
            "missing",
            "--webinar",
            "222",
            "--page-size",
            "5",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(5));
    let err = stderr(&out);
    assert!(
        err.contains("webinar missing: Zoom answered HTTP 404 (code 3001)"),
        "{err}"
    );
    // Parsed as participants, not `serde_json::Value`s, so that numbers keep their text.
    let rows = ndjson(&out);
    for (id, count) in [("111", 12), ("222", 7)] {
        let tag = format!("\"{id}\"");
        let got: Vec<Participant> = rows
            .iter()
            .filter(|r| r.extra.get("webinar_id").map(|raw| raw.get()) == Some(tag.as_str()))
            .map(|r| {
                let mut r = r.clone();
                r.extra.remove("webinar_id");
                r
            })
            .collect();
        assert_eq!(got.len(), count);
        assert_eq!(got, zoom.expected_participants(id, false));
    }
}

#[tokio::test]
async fn limit_caps_the_total_across_several_webinars() {
    let zoom = FakeZoom::builder()
        .webinar("111", 30)
        .webinar("222", 30)
        .start()
        .await
        .unwrap();
    let out = run(
        command(&zoom),
        &[
            "--webinar",
            "111",
            "--webinar",
            "222",
            "--page-size",
            "10",
            "--limit",
            "15",
            "--concurrency",
            "1",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = json_rows(&out);
    assert_eq!(rows.len(), 15);
    assert!(rows.iter().all(|r| r["webinar_id"] == "111"));
    assert_eq!(
        zoom.request_count(),
        2,
        "no page past the one holding the 15th"
    );
}

#[tokio::test]
async fn ndjson_is_byte_for_byte_what_the_fake_served_exotic_rows_included() {
    let zoom = fake(700).await;
    let out = run(command(&zoom), &["--webinar", WEBINAR]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let expected: String = zoom
        .expected_participants(WEBINAR, false)
        .iter()
        .map(|p| serde_json::to_string(p).unwrap() + "\n")
        .collect();
    assert!(
        expected.contains("123456789012345678901234567890"),
        "big numbers served"
    );
    assert!(expected.contains("\\u0001"), "escapes served");
    assert!(
        expected.contains("1.50"),
        "number texts a Value would change served"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}
