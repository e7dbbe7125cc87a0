//! The binary's requests checked against Zoom's own Swagger by Stoplight Prism.
//!
//! Prism in mock mode validates every request against the spec (path, required and typed
//! query parameters, enums, `page_size <= 300`, security) and answers an invalid one with
//! 422 (logging "Request did not pass the validation rules"). The CLI is run against it for
//! `--from/--to`, `--list-webinars` and `--webinar <uuid> --type past`, and every request
//! must have passed.
//!
//! The spec's canned answers are Zoom's type-name placeholders (`"page_count": "integer"`,
//! `"next_page_token": "string"`), which no client can page through: a stream that is
//! handed the token it just used stops (exit 1). So the test runs Prism twice: on the spec
//! as it is (requests must all pass; the first page must parse), and on a copy whose only
//! change is a realistic, terminating example answer for each operation (the parameters
//! Prism validates against are untouched), where each run must exit 0 with exactly the
//! example's rows.
//!
//! Skipped (with a message) when the spec or `npx` is missing, or when Prism cannot be
//! installed or started within 60 seconds (no network).
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zoom_participants::{Participant, Webinar};

const SPEC: &str = "zoom-dashboard-webinars.swagger.json";
const ODD_UUID: &str = "/mEc8Jn0RQeKk0b1mZ2x3A==";

/// The spec, where the repository's CI keeps it (next to the repository), else the shared
/// copy of this machine.
fn spec_path() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/spec")
        .join(SPEC);
    [beside, PathBuf::from("/work/shared/spec").join(SPEC)]
        .into_iter()
        .find(|p| p.is_file())
}

fn have_npx() -> bool {
    std::process::Command::new("npx")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A running Prism; killed with its whole process group (npx, sh, node) when dropped.
struct Prism {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prism {
    /// Starts `prism mock` on `spec`; `None` (after saying why) when it does not come up
    /// within 60 seconds.
    fn start(spec: &Path) -> Option<Prism> {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let mut child = std::process::Command::new("npx")
            .args(["--yes", "@stoplight/prism-cli@5", "mock", "-p"])
            .arg(port.to_string())
            .args(["-h", "127.0.0.1"])
            .arg(spec)
            .env("NO_UPDATE_NOTIFIER", "1")
            .env("npm_config_update_notifier", "false")
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .ok()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line);
                }
            });
        }
        let mut prism = Prism { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if prism
                .lines()
                .iter()
                .any(|l| l.contains("Prism is listening"))
            {
                return Some(prism);
            }
            let exited = matches!(prism.child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                eprintln!(
                    "SKIPPED: Prism did not start ({}); its output:\n{}",
                    if exited { "it exited" } else { "60 s passed" },
                    prism.lines().join("\n")
                );
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The API base for the CLI: Prism serves the spec's paths without its `basePath`
    /// (`/v2`), and the CLI appends `/metrics/webinars…` to the base.
    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until Prism has logged a verdict for every request it received (its log
    /// trails its answers a little), then checks that every one passed validation and
    /// that there were `requests` of them (at least that many unless `exact`).
    fn assert_requests_valid(&self, requests: usize, exact: bool, context: &str) -> usize {
        let count =
            |lines: &[String], what: &str| lines.iter().filter(|l| l.contains(what)).count();
        let deadline = Instant::now() + Duration::from_secs(10);
        let lines = loop {
            let lines = self.lines();
            let received = count(&lines, "Request received");
            let verdicts = count(&lines, "passed the validation rules")
                + count(&lines, "did not pass the validation rules")
                + count(&lines, "NO_PATH_MATCHED");
            if (received >= requests && verdicts >= received) || Instant::now() > deadline {
                break lines;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let bad = violations(&lines);
        assert!(
            bad.is_empty(),
            "{context}: Prism refused requests:\n{bad:#?}"
        );
        let received = count(&lines, "Request received");
        if exact {
            assert_eq!(received, requests, "{context}: requests Prism saw");
        } else {
            assert!(
                received >= requests,
                "{context}: {received} requests Prism saw"
            );
        }
        assert_eq!(
            count(&lines, "The request passed the validation rules"),
            received,
            "{context}: every request passed"
        );
        received
    }
}

/// The lines of Prism's log that report a refused request.
fn violations(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|l| {
            l.contains("did not pass the validation rules")
                || l.contains("Request terminated with error")
                || l.contains("UNPROCESSABLE_ENTITY")
                || l.contains("NO_PATH_MATCHED")
                || l.contains("Violation: request")
        })
        .collect()
}

/// Runs the CLI against Prism with a timeout (killed when it runs out).
async fn cli(prism: &Prism, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", prism.base_url())
        .env("ZOOM_ACCESS_TOKEN", "prism-test-token")
        .args(args)
        .args(["--rate-limit", "off", "--timeout", "20"])
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the CLI finishes within 60 s")
        .expect("the CLI starts")
}

fn stdout_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A realistic list answer: two instances, one whose UUID needs double encoding.
fn list_example() -> Value {
    let webinar = |uuid: &str, id: u64, start: &str| {
        json!({
            "uuid": uuid, "id": id, "topic": "Month-end close", "host": "Riya Sharma",
            "email": "riya@example.com", "user_type": "Licensed", "start_time": start,
            "end_time": "2026-01-31T23:59:00Z", "duration": "29:00", "participants": 2,
            "has_pstn": false, "has_voip": true, "has_3rd_party_audio": false,
            "has_video": true, "has_screen_share": true, "has_recording": false,
            "has_sip": false, "dept": "Finance"
        })
    };
    json!({
        "from": "2026-01-01", "to": "2026-01-31", "page_count": 1, "page_size": 300,
        "total_records": 2, "next_page_token": "",
        "webinars": [
            webinar(ODD_UUID, 82_345_678_901_u64, "2026-01-31T23:30:00Z"),
            webinar("Ab3dEf6hIj9kLm2nOp5qRs==", 81_234_567_890_u64, "2026-01-14T17:00:00Z"),
        ]
    })
}

/// A realistic participants answer: one page of two rows.
fn participants_example() -> Value {
    json!({
        "page_count": 1, "page_size": 300, "total_records": 2, "next_page_token": "",
        "participants": [
            {"id": "p1", "user_id": "16778240", "user_name": "Riya Sharma", "device": "Mac",
             "ip_address": "198.51.100.7", "location": "San Jose (US)", "network_type": "Wifi",
             "join_time": "2026-01-31T23:30:05Z", "leave_time": "2026-01-31T23:58:00Z",
             "status": "in_meeting", "role": "host", "email": "riya@example.com",
             "participant_user_id": "u1"},
            {"id": "", "user_id": "16778241", "user_name": "", "device": "",
             "join_time": "2026-01-31T23:31:00Z", "leave_time": "2026-01-31T23:45:10Z",
             "status": "in_meeting", "role": "attendee", "email": "",
             "participant_user_id": ""}
        ]
    })
}

/// A copy of the spec whose only change is the example answer of each operation.
fn spec_with_examples(spec: &Path, dir: &Path) -> PathBuf {
    let mut value: Value = serde_json::from_slice(&std::fs::read(spec).unwrap()).unwrap();
    let before = value.clone();
    for (path, example) in [
        ("/metrics/webinars", list_example()),
        (
            "/metrics/webinars/{webinarId}/participants",
            participants_example(),
        ),
    ] {
        value["paths"][path]["get"]["responses"]["200"]["examples"] =
            json!({ "application/json": example });
    }
    // Parameters, paths and security are those of Zoom's file.
    for path in [
        "/metrics/webinars",
        "/metrics/webinars/{webinarId}/participants",
    ] {
        assert_eq!(
            value["paths"][path]["get"]["parameters"],
            before["paths"][path]["get"]["parameters"]
        );
    }
    let out = dir.join(SPEC);
    std::fs::write(&out, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
    out
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zoom-participants-prism-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_finds_no_request_violation() {
    let Some(spec) = spec_path() else {
        eprintln!("SKIPPED: {SPEC} not found beside the repository (../shared/spec)");
        return;
    };
    if !have_npx() {
        eprintln!("SKIPPED: npx is not installed");
        return;
    }

    // 1. Zoom's spec as it is: every request valid; the first page parses.
    let Some(prism) = tokio::task::block_in_place(|| Prism::start(&spec)) else {
        return;
    };
    let mut requests = 0;
    for args in [
        vec![
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--list-webinars",
        ],
        vec!["--webinar", ODD_UUID, "--type", "past"],
        vec![
            "--webinar",
            "95204914252",
            "--type",
            "past",
            "--include-registrant-id",
            "--page-size",
            "300",
        ],
    ] {
        let out = cli(&prism, &args).await;
        // The placeholder token "string" comes back on the second page: the stream stops
        // rather than loop. Any other failure (a 422 from Prism) fails the test.
        assert!(
            out.status.success()
                || (out.status.code() == Some(1)
                    && stderr(&out).contains("repeated a next_page_token")),
            "{args:?}: {:?} {}",
            out.status,
            stderr(&out)
        );
        let rows = stdout_lines(&out);
        assert!(!rows.is_empty(), "{args:?}: the first page was written");
        // The first page, and the one the placeholder token asks for.
        requests = tokio::task::block_in_place(|| {
            prism.assert_requests_valid(requests + 2, false, "Zoom's spec")
        });
    }
    let log = prism.lines();
    assert!(
        log.iter()
            .any(|l| l
                .contains("/metrics/webinars/%252FmEc8Jn0RQeKk0b1mZ2x3A%253D%253D/participants")),
        "the UUID reached Prism double-encoded"
    );
    eprintln!(
        "Prism on Zoom's spec: {} requests, all passed validation",
        requests
    );
    drop(prism);

    // 2. The same spec with realistic example answers: complete, exact runs.
    let dir = tempdir();
    let spec = spec_with_examples(&spec, &dir);
    let Some(prism) = tokio::task::block_in_place(|| Prism::start(&spec)) else {
        return;
    };
    let list = list_example();
    let listed = list["webinars"].as_array().unwrap().clone();
    let rows = participants_example()["participants"]
        .as_array()
        .unwrap()
        .clone();

    // --list-webinars over a quarter: three windows, each answered with the example.
    let out = cli(
        &prism,
        &[
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--list-webinars",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout_lines(&out);
    let want: Vec<Value> = listed.iter().cycle().take(6).cloned().collect();
    assert_eq!(got, want);
    for row in &got {
        serde_json::from_value::<Webinar>(row.clone()).unwrap();
    }
    let mut requests = 3;
    tokio::task::block_in_place(|| prism.assert_requests_valid(requests, true, "--list-webinars"));

    // --webinar <uuid> --type past (with registrant IDs asked for).
    let out = cli(
        &prism,
        &[
            "--webinar",
            ODD_UUID,
            "--type",
            "past",
            "--include-registrant-id",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout_lines(&out), rows);
    requests += 1;
    tokio::task::block_in_place(|| prism.assert_requests_valid(requests, true, "--webinar"));

    // --from/--to over one month: the list, then each instance's participants, tagged.
    let out = cli(&prism, &["--from", "2026-01-01", "--to", "2026-01-31"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let got = stdout_lines(&out);
    let mut want = Vec::new();
    for webinar in &listed {
        for row in &rows {
            let mut tagged = json!({
                "webinar_uuid": webinar["uuid"],
                "webinar_id": webinar["id"],
                "webinar_topic": webinar["topic"],
                "webinar_start_time": webinar["start_time"],
            });
            for (k, v) in row.as_object().unwrap() {
                tagged[k] = v.clone();
            }
            want.push(tagged);
        }
    }
    assert_eq!(got, want);
    for row in &got {
        serde_json::from_value::<Participant>(row.clone()).unwrap();
    }
    requests += 1 + listed.len();
    tokio::task::block_in_place(|| prism.assert_requests_valid(requests, true, "--from/--to"));

    // The check can fail: a request Prism refuses is seen.
    let refused = reqwest::Client::new()
        .get(format!("{}/metrics/webinars", prism.base_url()))
        .bearer_auth("prism-test-token")
        .query(&[
            ("type", "past"),
            ("from", "2026-01-01"),
            ("page_size", "301"),
        ])
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let deadline = Instant::now() + Duration::from_secs(10);
    while violations(&prism.lines()).len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        violations(&prism.lines()).len(),
        2,
        "the invalid request is reported: {:#?}",
        prism.lines()
    );
    eprintln!("Prism on the spec with examples: {requests} CLI requests, all passed validation");
    drop(prism);
    let _ = std::fs::remove_dir_all(&dir);
}
