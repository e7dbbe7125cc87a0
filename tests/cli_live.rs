//! The binary's live modes: `--listen` (webhooks) and `--follow` (polling), end to end.
#![cfg(feature = "cli")]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use zoom_participants::Participant;
use zoom_participants::fake::FakeZoom;
use zoom_participants::webhook::{EventKind, ParticipantEvent, Verifier};

const SECRET: &str = "cli-webhook-secret-77aa";
const WEBINAR: &str = "95204914252";

/// The binary under test; `ZOOM_PARTICIPANTS_BIN` names another copy of it (a target
/// directory shared by several checkouts holds one `zoom-participants` for all of them).
fn binary() -> Command {
    let path = std::env::var_os("ZOOM_PARTICIPANTS_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_zoom-participants").into());
    let mut cmd = Command::new(path);
    cmd.env_clear().kill_on_drop(true);
    cmd
}

fn event_body(n: u64) -> String {
    format!(
        r#"{{"event":"meeting.participant_left","event_ts":{},"payload":{{"account_id":"acc","object":{{"uuid":"m==","id":85746065432,"topic":"Standup","participant":{{"user_id":"{n}","user_name":"Person {n}","leave_time":"2026-01-01T13:00:00Z","leave_reason":"left"}}}}}}}}"#,
        1_767_272_400_000 + n
    )
}

/// Starts `--listen 127.0.0.1:0` and reads the address it announces.
async fn start_listener(extra: &[&str]) -> (Child, SocketAddr, tokio::task::JoinHandle<String>) {
    let mut child = binary()
        .env("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("announced in time")
        .expect("readable")
        .expect("a line");
    let addr = first
        .strip_prefix("listening for Zoom webhooks on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .parse()
        .expect("an address");
    // The rest of standard error, for the test to read at the end.
    let rest = tokio::spawn(async move {
        let mut text = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    (child, addr, rest)
}

async fn deliver(client: &reqwest::Client, addr: SocketAddr, body: &str) -> Option<u16> {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = Verifier::new(SECRET).sign(&timestamp, body.as_bytes());
    let response = client
        .post(format!("http://{addr}/webhook"))
        .header("x-zm-request-timestamp", timestamp)
        .header("x-zm-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

async fn exit_code(child: &mut Child) -> i32 {
    tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits in time")
        .expect("waited")
        .code()
        .expect("an exit code")
}

fn events_in(path: &Path) -> Vec<ParticipantEvent> {
    let text = std::fs::read_to_string(path).expect("the output");
    assert!(text.is_empty() || text.ends_with('\n'), "whole lines only");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("each line one event"))
        .collect()
}

/// Sends events 0.. from `tasks` concurrent clients until the listener stops answering;
/// returns the numbers answered 200, and asks for `signal` after `after` of them.
async fn flood_until_closed(
    addr: SocketAddr,
    child: &Child,
    first: u64,
    after: usize,
    signal_name: &str,
) -> Vec<u64> {
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel();
    let tasks = 8u64;
    let senders: Vec<_> = (0..tasks)
        .map(|t| {
            let acked = acked_tx.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut n = first + t;
                // Past the signal the listener stops accepting: connections are refused.
                while let Some(status) = deliver(&client, addr, &event_body(n)).await {
                    if status == 200 {
                        let _ = acked.send(n);
                    }
                    n += tasks;
                    if n > first + 100_000 {
                        break;
                    }
                }
            })
        })
        .collect();
    drop(acked_tx);
    let mut acked = Vec::new();
    let mut signalled = false;
    while let Some(n) = acked_rx.recv().await {
        acked.push(n);
        if acked.len() == after && !signalled {
            signal(child, signal_name);
            signalled = true;
        }
    }
    for sender in senders {
        sender.await.expect("a sender");
    }
    assert!(signalled, "only {} acknowledged", acked.len());
    acked
}

#[tokio::test]
async fn sigint_loses_nothing_acknowledged_and_a_restart_appends() {
    let dir = std::env::temp_dir().join(format!("zp-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let output = dir.join("events.ndjson");
    let _ = std::fs::remove_file(&output);
    let out = output.to_str().expect("a path");

    let (mut child, addr, stderr) = start_listener(&["--output", out]).await;
    let acked = flood_until_closed(addr, &child, 0, 150, "INT").await;
    assert_eq!(exit_code(&mut child).await, 130);
    let stderr = stderr.await.expect("stderr");
    assert!(
        stderr.contains("interrupted by SIGINT;")
            && stderr.contains("every event answered 200 is written"),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET));
    let written = events_in(&output);
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for event in &written {
        assert_eq!(event.kind, EventKind::Left);
        assert_eq!(event.instance.id.as_deref(), Some("85746065432"));
        *count
            .entry(event.participant.user_id.clone().expect("an ID"))
            .or_default() += 1;
    }
    for n in &acked {
        assert_eq!(
            count.get(&n.to_string()),
            Some(&1),
            "event {n} acknowledged"
        );
    }
    assert!(count.values().all(|&c| c == 1), "each once");
    assert!(written.len() >= 150);

    // A restart appends after what is there; SIGTERM ends it the same way.
    let before = written.len();
    let (mut child, addr, _stderr) = start_listener(&["--output", out]).await;
    let acked_again = flood_until_closed(addr, &child, 1_000_000, 20, "TERM").await;
    assert_eq!(exit_code(&mut child).await, 143);
    let all = events_in(&output);
    assert_eq!(
        all[..before],
        written[..],
        "earlier lines kept as they were"
    );
    let later: Vec<String> = all[before..]
        .iter()
        .map(|e| e.participant.user_id.clone().unwrap_or_default())
        .collect();
    for n in &acked_again {
        assert_eq!(later.iter().filter(|id| **id == n.to_string()).count(), 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn events_go_to_stdout_and_refusals_to_stderr_without_the_secret() {
    let (mut child, addr, stderr) = start_listener(&[]).await;
    let client = reqwest::Client::new();
    assert_eq!(deliver(&client, addr, &event_body(1)).await, Some(200));
    let forged = client
        .post(format!("http://{addr}/"))
        .header(
            "x-zm-request-timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("x-zm-signature", format!("v0={}", "0".repeat(64)))
        .body(event_body(2))
        .send()
        .await
        .expect("answered");
    assert_eq!(forged.status(), 401);
    assert_eq!(deliver(&client, addr, &event_body(3)).await, Some(200));
    let mut stdout = child.stdout.take().expect("stdout");
    signal(&child, "INT");
    assert_eq!(exit_code(&mut child).await, 130);
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut text)
        .await
        .expect("stdout");
    let events: Vec<ParticipantEvent> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("an event"))
        .collect();
    let ids: Vec<_> = events
        .iter()
        .map(|e| e.participant.user_id.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["1", "3"]);
    assert_eq!(
        events[0]
            .participant
            .extra
            .get("leave_reason")
            .map(|v| v.get()),
        None,
        "leave_reason is a known field"
    );
    assert_eq!(events[0].participant.leave_reason.as_deref(), Some("left"));
    let stderr = stderr.await.expect("stderr");
    assert!(
        stderr.starts_with(
            "refused a webhook delivery from 127.0.0.1: the x-zm-signature does not match the body\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET));
}

#[tokio::test]
async fn listen_without_the_secret_is_a_usage_error_before_listening() {
    let output = binary()
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .await
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: --listen needs the Zoom app's secret token in ZOOM_WEBHOOK_SECRET_TOKEN (never on the command line)\n"
    );
    assert!(output.stdout.is_empty());
    let blank = binary()
        .env("ZOOM_WEBHOOK_SECRET_TOKEN", "  ")
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .await
        .expect("runs");
    assert_eq!(blank.status.code(), Some(2));
    let csv = binary()
        .env("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET)
        .args(["--listen", "127.0.0.1:0", "--format", "csv"])
        .output()
        .await
        .expect("runs");
    assert_eq!(csv.status.code(), Some(2));
}

fn person(i: u32) -> Participant {
    serde_json::from_value(serde_json::json!({
        "user_id": format!("u{i}"),
        "user_name": format!("Person {i}"),
        "join_time": format!("2026-01-01T12:{i:02}:00Z"),
    }))
    .expect("a participant")
}

fn follow_command(zoom: &FakeZoom) -> Command {
    let mut cmd = binary();
    cmd.env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
        .env("ZOOM_RATE_LIMIT", "off");
    cmd
}

#[tokio::test]
async fn follow_writes_joins_and_leaves_until_the_session_ends() {
    let zoom = FakeZoom::builder()
        .live_session(
            WEBINAR,
            vec![
                vec![person(0), person(1)],
                vec![person(0), person(1), person(2)],
                vec![person(0), person(2)],
            ],
        )
        .start()
        .await
        .expect("fake");
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        follow_command(&zoom)
            .args([
                "--webinar",
                WEBINAR,
                "--follow",
                "--type",
                "live",
                "--poll-interval",
                "1",
            ])
            .output(),
    )
    .await
    .expect("ends in time")
    .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events: Vec<(String, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let e: ParticipantEvent = serde_json::from_str(line).expect("an event");
            (
                e.kind.as_str().to_owned(),
                e.participant.user_id.unwrap_or_default(),
            )
        })
        .collect();
    let pair = |k: &str, i: u32| (k.to_owned(), format!("u{i}"));
    assert_eq!(
        events,
        [
            pair("joined", 0),
            pair("joined", 1),
            pair("joined", 2),
            pair("left", 1),
            pair("left", 0),
            pair("left", 2)
        ]
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "following the live participants of webinar 95204914252 every 1 s\nwebinar 95204914252 is no longer live: 6 events written\n"
    );
    let times: Vec<_> = zoom.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 4);
    for pair in times.windows(2) {
        // A snapshot a second, give or take the scheduling of one request.
        assert!(pair[1].duration_since(pair[0]) >= Duration::from_millis(900));
    }
}

#[tokio::test]
async fn follow_stops_on_sigint_with_whole_lines_and_exit_130() {
    let zoom = FakeZoom::builder()
        .live_session(WEBINAR, vec![vec![person(0), person(1)]; 100])
        .start()
        .await
        .expect("fake");
    let mut child = follow_command(&zoom)
        .args(["--webinar", WEBINAR, "--follow", "--poll-interval", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("a line in time")
        .expect("readable")
        .expect("a line");
    let first: ParticipantEvent = serde_json::from_str(&first).expect("an event");
    assert_eq!(first.participant, person(0));
    signal(&child, "INT");
    assert_eq!(exit_code(&mut child).await, 130);
    let second = lines.next_line().await.expect("readable").expect("a line");
    let second: ParticipantEvent = serde_json::from_str(&second).expect("an event");
    assert_eq!(second.participant, person(1));
    assert_eq!(lines.next_line().await.expect("readable"), None);

    let past = follow_command(&zoom)
        .args(["--webinar", WEBINAR, "--follow", "--type", "past"])
        .output()
        .await
        .expect("runs");
    assert_eq!(past.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&past.stderr),
        "error: --follow polls the live list: use --type live\n"
    );
}

#[tokio::test]
async fn follow_takes_a_meeting_and_checks_its_options() {
    const MEETING: &str = "85746065432";
    let zoom = FakeZoom::builder()
        .live_session(MEETING, vec![vec![person(7)]])
        .start()
        .await
        .expect("fake");
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        follow_command(&zoom)
            .args(["--meeting", MEETING, "--follow", "--poll-interval", "1"])
            .output(),
    )
    .await
    .expect("ends in time")
    .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let events: Vec<ParticipantEvent> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("an event"))
        .collect();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        ["meeting.participant_joined", "meeting.participant_left"]
    );
    assert!(events.iter().all(|e| e.participant == person(7)));
    assert!(
        zoom.requests()
            .iter()
            .all(|r| r.path == format!("/v2/metrics/meetings/{MEETING}/participants"))
    );
    for (args, message) in [
        (
            &["--meeting", MEETING, "--follow", "--poll-interval", "0"][..],
            "",
        ),
        (&["--meeting", MEETING, "--poll-interval", "5"][..], ""),
        (
            &["--meeting", MEETING, "--webinar", WEBINAR, "--follow"][..],
            "error: --follow takes one --webinar or --meeting (or --demo)\n",
        ),
        (
            &["--meeting", MEETING, "--follow", "--source", "report"][..],
            "error: --follow reads the Dashboard's live list; the Report API has none\n",
        ),
    ] {
        let refused = follow_command(&zoom)
            .args(args)
            .output()
            .await
            .expect("runs");
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        if !message.is_empty() {
            assert_eq!(String::from_utf8_lossy(&refused.stderr), message);
        }
    }
}
