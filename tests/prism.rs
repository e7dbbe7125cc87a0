//! The binary's requests checked against Zoom's own Swagger by Stoplight Prism.
//!
//! Prism in mock mode validates every request against the spec (path, required and typed
//! query parameters, enums, `page_size <= 300`, security) and answers an invalid one with
//! 422 (logging "Request did not pass the validation rules"). The CLI is run against it for
//! every source it has: webinar participants, the webinar list, meeting participants (past
//! and pastOne), both Report API participant lists, the meeting list, the meetings of a
//! period, a webinar and a meeting in one fan-out, and both past-instances lists
//! (`--all-instances`); first pages, and later pages (with
//! `next_page_token`: Zoom's placeholder token, or `--resume-from`) of every list. Every
//! request must have passed. The spec is the repository's copy of Zoom's
//! file, `tests/spec/zoom-participants-endpoints.swagger.json`.
//!
//! Prism lets a query parameter the operation does not declare through (`include_field=`,
//! or a `type` sent to the Report API, answer 200). So the CLI talks to Prism through a
//! small recording proxy, and the test also checks each request's query against the
//! operation's declared parameters (each at most once), the query pairs the flags promise
//! (`type=pastOne`, `include_fields=registrant_id`…) and the exact (encoded) path.
//!
//! Some of the spec's canned answers are Zoom's type-name placeholders (`"page_count":
//! "integer"`, `"next_page_token": "string"`), which no client can page through: a stream
//! that is handed the token it just used stops (exit 1). So the test runs Prism twice: on
//! the spec as it is (requests must all pass; the first page must be written; where Zoom's
//! example is a real, last page, the run must write exactly its rows), and on a copy whose
//! only change is a realistic, terminating example answer for each operation (the
//! parameters Prism validates against are untouched), where each run must exit 0 with
//! exactly the example's rows.
//!
//! Prism is installed once, pinned, with `npm install --prefix` into the cargo target dir.
//! Under `CI=true` a missing `node`/`npm`, an install that fails or a Prism that does not
//! start is a test failure; elsewhere the test is skipped with the reason.
#![cfg(feature = "cli")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zoom_participants::{Meeting, Participant, ReportParticipant, Webinar};

const SPEC: &str = "zoom-participants-endpoints.swagger.json";
/// The last Prism 5 release that runs on Node.js 18 and 20 (5.15 and later need Node 24).
const PRISM_VERSION: &str = "5.14.2";
/// A webinar UUID that starts with `/`: double-encoded.
const ODD_UUID: &str = "/mEc8Jn0RQeKk0b1mZ2x3A==";
const ODD_UUID_PATH: &str = "%252FmEc8Jn0RQeKk0b1mZ2x3A%253D%253D";
/// A meeting UUID that contains `//`: double-encoded.
const MEETING_UUID: &str = "4444AAAiAAAAAiAiAiiAii//==";
const MEETING_UUID_PATH: &str = "4444AAAiAAAAAiAiAiiAii%252F%252F%253D%253D";
/// An ordinary meeting UUID: encoded once.
const PLAIN_MEETING_UUID: &str = "Xy7pQr2sTu5vWx8y+a1bCd==";
const PLAIN_MEETING_UUID_PATH: &str = "Xy7pQr2sTu5vWx8y%2Ba1bCd%3D%3D";
const WEBINAR_ID: &str = "95204914252";
const MEETING_ID: &str = "85746065432";
/// A page token as Zoom hands them out.
const TOKEN: &str = "Qv8sGm2yPz0aR4tW9uXk1JdHcE7fLbNn3";

const WEBINARS: &str = "/metrics/webinars";
const WEBINAR_PARTICIPANTS: &str = "/metrics/webinars/{webinarId}/participants";
const MEETINGS: &str = "/metrics/meetings";
const MEETING_PARTICIPANTS: &str = "/metrics/meetings/{meetingId}/participants";
const REPORT_WEBINAR: &str = "/report/webinars/{webinarId}/participants";
const REPORT_MEETING: &str = "/report/meetings/{meetingId}/participants";
const PAST_WEBINAR_INSTANCES: &str = "/past_webinars/{webinarId}/instances";
const PAST_MEETING_INSTANCES: &str = "/past_meetings/{meetingId}/instances";
/// The operations the CLI reads, in the order the summary lists them.
const OPERATIONS: [&str; 8] = [
    WEBINARS,
    WEBINAR_PARTICIPANTS,
    MEETINGS,
    MEETING_PARTICIPANTS,
    REPORT_WEBINAR,
    REPORT_MEETING,
    PAST_WEBINAR_INSTANCES,
    PAST_MEETING_INSTANCES,
];

/// The repository's copy of Zoom's spec.
fn spec_path() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/spec")
        .join(SPEC);
    assert!(path.is_file(), "{} is missing", path.display());
    // The shared copy beside the repository, where there is one, is the one Zoom's file
    // was taken from: say so if they part.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/spec")
        .join(SPEC);
    if let Ok(other) = std::fs::read(&shared)
        && other != std::fs::read(&path).unwrap()
    {
        eprintln!(
            "NOTE: {} differs from the repository's tests/spec/{SPEC}",
            shared.display()
        );
    }
    path
}

/// Whether the test runs under CI (`CI=true`), where a missing tool is a failure.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Prism cannot be had: under CI the test fails, elsewhere it is skipped with the reason.
fn unavailable(why: &str) {
    assert!(
        !in_ci(),
        "Prism is required under CI=true and cannot be had: {why}"
    );
    eprintln!("SKIPPED: {why} (under CI=true this fails the test)");
}

/// Runs `cmd` to completion within `limit`, its output going to `log`.
fn run_with_deadline(
    cmd: &mut std::process::Command,
    log: &Path,
    limit: Duration,
) -> Result<(), String> {
    let file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone().map_err(|e| e.to_string())?)
        .stderr(file)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{cmd:?} failed: {status}")),
            Ok(None) if Instant::now() > deadline => {
                kill_group(&mut child);
                return Err(format!("{cmd:?} did not finish within {limit:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Prism's executable, installed once (pinned) under the cargo target dir and reused by
/// later runs; concurrent runs each install into a directory of their own and the first
/// to finish keeps its copy.
fn prism_bin() -> Result<PathBuf, String> {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.join(format!("prism-cli-{PRISM_VERSION}"));
    let bin = dir.join("node_modules/.bin/prism");
    if bin.is_file() {
        return Ok(bin);
    }
    for tool in ["npm", "node"] {
        let found = std::process::Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Err(format!(
                "{tool} is not installed (Prism needs Node.js and npm)"
            ));
        }
    }
    let staging = tmp.join(format!(
        "prism-cli-{PRISM_VERSION}.{}.{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    let log = tmp.join(format!(
        "prism-cli-install.{}.log",
        staging.extension().unwrap().to_string_lossy()
    ));
    eprintln!(
        "installing @stoplight/prism-cli@{PRISM_VERSION} into {}",
        dir.display()
    );
    let installed = run_with_deadline(
        std::process::Command::new("npm")
            .args(["install", "--prefix"])
            .arg(&staging)
            .args([
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
                "--loglevel=error",
            ])
            .arg(format!("@stoplight/prism-cli@{PRISM_VERSION}"))
            .env("NO_UPDATE_NOTIFIER", "1")
            .env("npm_config_update_notifier", "false"),
        &log,
        Duration::from_secs(300),
    );
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    if let Err(why) = installed {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!(
            "npm could not install @stoplight/prism-cli@{PRISM_VERSION}: {why}\n{output}"
        ));
    }
    if !staging.join("node_modules/.bin/prism").is_file() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("npm installed no prism executable\n{output}"));
    }
    if std::fs::rename(&staging, &dir).is_err() {
        // Another run installed it first.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} is missing after the install", bin.display()))
    }
}

/// A running Prism; killed with its whole process group when dropped.
struct Prism {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Prism {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

impl Prism {
    /// Starts `prism mock` on `spec`, or says why it did not come up within 60 seconds.
    fn start(bin: &Path, spec: &Path) -> Result<Prism, String> {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| e.to_string())?;
        let mut child = std::process::Command::new(bin)
            .args(["mock", "-p"])
            .arg(port.to_string())
            .args(["-h", "127.0.0.1"])
            .arg(spec)
            .env("NO_UPDATE_NOTIFIER", "1")
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
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
                return Ok(prism);
            }
            let exited = matches!(prism.child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                // Let the readers catch its last words.
                std::thread::sleep(Duration::from_millis(300));
                return Err(format!(
                    "Prism did not start ({}); its output:\n{}",
                    if exited { "it exited" } else { "60 s passed" },
                    prism.lines().join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Prism serves the spec's paths without its `basePath` (`/v2`).
    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until Prism has logged a verdict for every request it received (its log
    /// trails its answers a little), then checks that every one passed validation and
    /// that there were exactly `requests` of them.
    fn assert_requests_valid(&self, requests: usize, context: &str) {
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
        assert_eq!(received, requests, "{context}: requests Prism saw");
        assert_eq!(
            count(&lines, "The request passed the validation rules"),
            received,
            "{context}: every request passed"
        );
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

/// A proxy on loopback in front of Prism that records the target (path and query) of
/// every request passing through (Prism's log has the path only). Requests are GETs
/// without bodies, so each request head ends at an empty line.
struct Recorder {
    port: u16,
    targets: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    async fn start(upstream: u16) -> Recorder {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let record = targets.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, record.clone()));
            }
        });
        Recorder {
            port,
            targets,
            task,
        }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn len(&self) -> usize {
        self.targets.lock().unwrap().len()
    }

    fn since(&self, start: usize) -> Vec<String> {
        self.targets.lock().unwrap()[start..].to_vec()
    }
}

/// Relays one connection to Prism, recording the target of each request head.
async fn relay(client: tokio::net::TcpStream, upstream: u16, record: Arc<Mutex<Vec<String>>>) {
    let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
        let _ = to_client.shutdown().await;
    });
    let mut pending = Vec::new();
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match from_client.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head: Vec<u8> = pending.drain(..end + 4).collect();
            let head = String::from_utf8_lossy(&head);
            let line = head.lines().next().unwrap_or("");
            let target = match line.split(' ').collect::<Vec<_>>()[..] {
                ["GET", target, _] => target.to_owned(),
                _ => format!("(not a GET) {line}"),
            };
            record.lock().unwrap().push(target);
        }
        if to_server.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to_server.shutdown().await;
}

/// The operation of the spec whose path template `path` matches.
fn operation<'a>(spec: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    spec["paths"]
        .as_object()?
        .iter()
        .find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(p, s)| {
                    (p.starts_with('{') && p.ends_with('}') && !s.is_empty()) || p == s
                });
            matches.then(|| (template.as_str(), &item["get"]))
        })
}

/// What Prism does not check in a request target: that it names an operation, that each
/// query parameter is one the operation declares, and that none comes twice. The
/// operation's path template, or why the request is wrong.
fn check_target<'a>(spec: &'a Value, target: &str) -> Result<&'a str, String> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (template, op) =
        operation(spec, path).ok_or_else(|| format!("{target}: no operation has this path"))?;
    let declared: Vec<&str> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str())
        .collect();
    let mut seen = Vec::new();
    for (key, _) in url::form_urlencoded::parse(query.as_bytes()) {
        if !declared.contains(&key.as_ref()) {
            return Err(format!(
                "{target}: {template} declares no query parameter {key:?} (it takes {declared:?})"
            ));
        }
        if seen.contains(&key) {
            return Err(format!("{target}: {key:?} is sent twice"));
        }
        seen.push(key);
    }
    Ok(template)
}

/// Runs the CLI against `base` with a timeout (killed when it runs out).
async fn cli(base: &str, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", base)
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

/// One run of the CLI and what it must do.
struct Run {
    args: Vec<&'static str>,
    /// The requests it sends, by path as sent (encoded), exactly.
    requests: Vec<(String, usize)>,
    /// Query pairs every one of its requests carries.
    sends: Vec<(&'static str, &'static str)>,
    /// Exactly the rows it writes; `None` for Zoom's placeholder answers, which no client
    /// can page through (the first page is written, the second repeats its token: exit 1).
    rows: Option<Vec<Value>>,
}

fn path(text: &str) -> (String, usize) {
    (text.to_owned(), 1)
}

fn paths(text: &str, count: usize) -> (String, usize) {
    (text.to_owned(), count)
}

/// The session of one Prism: runs the CLI through the recorder and keeps the count of
/// validated requests per operation.
struct Session<'a> {
    spec: &'a Value,
    prism: Prism,
    recorder: Recorder,
    per_operation: BTreeMap<&'a str, usize>,
    total: usize,
}

impl<'a> Session<'a> {
    async fn start(bin: &Path, spec_file: &Path, spec: &'a Value) -> Option<Session<'a>> {
        let started = tokio::task::block_in_place(|| Prism::start(bin, spec_file));
        let prism = match started {
            Ok(prism) => prism,
            Err(why) => {
                unavailable(&why);
                return None;
            }
        };
        let recorder = Recorder::start(prism.port).await;
        Some(Session {
            spec,
            prism,
            recorder,
            per_operation: BTreeMap::new(),
            total: 0,
        })
    }

    async fn run(&mut self, run: &Run, context: &str) -> Vec<Value> {
        let args = &run.args;
        let start = self.recorder.len();
        let out = cli(&self.recorder.base_url(), args).await;
        let rows = stdout_lines(&out);
        match &run.rows {
            Some(want) => {
                assert!(out.status.success(), "{context} {args:?}: {}", stderr(&out));
                assert_eq!(&rows, want, "{context} {args:?}: the rows");
            }
            None => {
                // The placeholder token "string" comes back on the second page: the stream
                // stops rather than loop. Any other failure (a 422 from Prism) fails.
                assert!(
                    out.status.success()
                        || (out.status.code() == Some(1)
                            && stderr(&out).contains("repeated a next_page_token")),
                    "{context} {args:?}: {:?} {}",
                    out.status,
                    stderr(&out)
                );
                assert!(
                    !rows.is_empty(),
                    "{context} {args:?}: the first page was written"
                );
            }
        }
        let sent = self.recorder.since(start);
        let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
        for target in &sent {
            let template = check_target(self.spec, target)
                .unwrap_or_else(|why| panic!("{context} {args:?}: {why}"));
            *self.per_operation.entry(template).or_default() += 1;
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            for (key, value) in &run.sends {
                assert!(
                    pairs.iter().any(|(k, v)| k == key && v == value),
                    "{context} {args:?}: {target} lacks {key}={value}"
                );
            }
            *by_path.entry(path.to_owned()).or_default() += 1;
        }
        let want: BTreeMap<String, usize> = run.requests.iter().cloned().collect();
        assert_eq!(
            by_path, want,
            "{context} {args:?}: the requests sent: {sent:#?}"
        );
        self.total += sent.len();
        let total = self.total;
        tokio::task::block_in_place(|| {
            self.prism
                .assert_requests_valid(total, &format!("{context} {args:?}"))
        });
        rows
    }

    fn summary(&self, context: &str) {
        eprintln!(
            "Prism on {context}: {} CLI requests, all passed validation",
            self.total
        );
        for op in OPERATIONS {
            eprintln!(
                "  {:>3}  GET {op}",
                self.per_operation.get(op).copied().unwrap_or(0)
            );
        }
    }
}

/// Zoom's own example answer of an operation, as the spec has it.
fn zoom_example(spec: &Value, op: &str, array: &str) -> Vec<Value> {
    spec["paths"][op]["get"]["responses"]["200"]["examples"]["application/json"][array]
        .as_array()
        .unwrap_or_else(|| panic!("{op}: Zoom's example has no {array}"))
        .clone()
}

/// A realistic webinar list answer: two instances, one whose UUID needs double encoding.
fn webinars_example() -> Value {
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

/// A realistic webinar participants answer: one page of two rows.
fn webinar_participants_example() -> Value {
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

/// A realistic meeting list answer: two instances, one whose UUID needs double encoding.
fn meetings_example() -> Value {
    let meeting = |uuid: &str, id: u64, topic: &str, start: &str, end: &str| {
        json!({
            "uuid": uuid, "id": id, "topic": topic, "host": "Tomás Ortega",
            "email": "tomas@example.com", "user_type": "Licensed", "start_time": start,
            "end_time": end, "duration": "45:12", "participants": 3,
            "has_pstn": true, "has_voip": true, "has_3rd_party_audio": false,
            "has_video": true, "has_screen_share": false, "has_recording": true,
            "has_sip": false, "has_archiving": false, "in_room_participants": 0,
            "dept": "Sales",
            "custom_keys": [{"key": "region", "value": "EMEA"}]
        })
    };
    json!({
        "from": "2026-01-01", "to": "2026-01-31", "page_count": 1, "page_size": 300,
        "total_records": 2, "next_page_token": "",
        "meetings": [
            meeting(MEETING_UUID, 85_746_065_432_u64, "Pipeline review",
                    "2026-01-20T15:00:00Z", "2026-01-20T15:45:12Z"),
            meeting(PLAIN_MEETING_UUID, 81_122_334_455_u64, "Onboarding: week 1",
                    "2026-01-06T09:00:00Z", "2026-01-06T09:45:12Z"),
        ]
    })
}

/// A realistic meeting participants answer: one page of two rows (the registrant ID
/// included, as `include_fields=registrant_id` asks).
fn meeting_participants_example() -> Value {
    json!({
        "page_count": 1, "page_size": 300, "total_records": 2, "next_page_token": "",
        "participants": [
            {"id": "30R7kT7bTIKSNUFEuH_Qlg", "user_id": "16778240", "user_name": "Tomás Ortega",
             "device": "Windows", "ip_address": "203.0.113.21", "location": "Madrid (ES)",
             "network_type": "Wired", "microphone": "Jabra Evolve2", "camera": "Logitech BRIO",
             "speaker": "Jabra Evolve2", "data_center": "Frankfurt (DE)",
             "full_data_center": "Germany (Frankfurt)", "connection_type": "UDP",
             "join_time": "2026-01-20T14:59:41Z", "leave_time": "2026-01-20T15:45:12Z",
             "share_application": false, "share_desktop": true, "share_whiteboard": false,
             "recording": true, "status": "in_meeting", "pc_name": "TOMAS-LAPTOP",
             "domain": "corp.example.com", "mac_addr": "00:0a:95:9d:68:16",
             "harddisk_id": "", "version": "6.3.11.60501", "leave_reason":
             "Tomás Ortega left the meeting.<br>Reason: Host ended the meeting.",
             "role": "host", "email": "tomas@example.com", "registrant_id": "",
             "participant_user_id": "30R7kT7bTIKSNUFEuH_Qlg", "audio_quality": "good",
             "video_quality": "good", "screen_share_quality": " ", "in_room_participants": 0},
            {"id": "", "user_id": "16778241", "user_name": "Guest 4471", "device": "Phone",
             "ip_address": "", "location": "", "network_type": "Others",
             "join_time": "2026-01-20T15:02:03Z", "leave_time": "2026-01-20T15:30:00Z",
             "status": "in_meeting", "role": "attendee", "email": "",
             "registrant_id": "kR9yUm3sQo-8nHr0x2Wf1A", "participant_user_id": "",
             "audio_call": [{"call_number": "+34 91 000 0000", "call_type": "toll",
                             "zoom_number": "+34 91 787 0058"}]}
        ]
    })
}

/// A realistic Report API answer for a webinar: one page of two rows.
fn report_webinar_example() -> Value {
    json!({
        "page_count": 1, "page_size": 300, "total_records": 2, "next_page_token": "",
        "participants": [
            {"id": "30R7kT7bTIKSNUFEuH_Qlg", "user_id": "16778240", "name": "Riya Sharma",
             "user_email": "riya@example.com", "join_time": "2026-01-14T16:58:02Z",
             "leave_time": "2026-01-14T18:01:44Z", "duration": 3822, "failover": false,
             "customer_key": "", "status": "in_meeting",
             "registrant_id": "", "participant_user_id": "30R7kT7bTIKSNUFEuH_Qlg"},
            {"id": "", "user_id": "16778241", "name": "Lena Fischer",
             "user_email": "lena@example.org", "join_time": "2026-01-14T17:03:10Z",
             "leave_time": "2026-01-14T17:40:00Z", "duration": 2210, "failover": false,
             "customer_key": "crm-20931", "status": "in_meeting",
             "registrant_id": "8gH2kLm4QxWz0b3eYc7dVa", "participant_user_id": ""}
        ]
    })
}

/// A realistic Report API answer for a meeting: one page of three rows (one person who
/// rejoined).
fn report_meeting_example() -> Value {
    json!({
        "page_count": 1, "page_size": 300, "total_records": 3, "next_page_token": "",
        "participants": [
            {"id": "30R7kT7bTIKSNUFEuH_Qlg", "user_id": "16778240", "name": "Tomás Ortega",
             "user_email": "tomas@example.com", "join_time": "2026-01-20T14:59:41Z",
             "leave_time": "2026-01-20T15:45:12Z", "duration": 2731, "failover": false,
             "status": "in_meeting", "registrant_id": "",
             "participant_user_id": "30R7kT7bTIKSNUFEuH_Qlg", "bo_mtg_id": ""},
            {"id": "", "user_id": "16778241", "name": "Ana Ruiz", "user_email": "",
             "join_time": "2026-01-20T15:02:03Z", "leave_time": "2026-01-20T15:10:00Z",
             "duration": 477, "failover": true, "status": "in_meeting",
             "registrant_id": "kR9yUm3sQo-8nHr0x2Wf1A", "participant_user_id": ""},
            {"id": "", "user_id": "16778242", "name": "Ana Ruiz", "user_email": "",
             "join_time": "2026-01-20T15:10:31Z", "leave_time": "2026-01-20T15:45:12Z",
             "duration": 2081, "failover": false, "status": "in_meeting",
             "registrant_id": "kR9yUm3sQo-8nHr0x2Wf1A", "participant_user_id": ""}
        ]
    })
}

/// A realistic past-webinar instances answer: two instances, one whose UUID needs double
/// encoding.
fn past_webinar_instances_example() -> Value {
    json!({"webinars": [
        {"uuid": ODD_UUID, "start_time": "2026-01-07T17:00:00Z"},
        {"uuid": "Ab3dEf6hIj9kLm2nOp5qRs==", "start_time": "2026-01-14T17:00:00.250Z"},
    ]})
}

/// A realistic past-meeting instances answer (Zoom's spec has no example for it).
fn past_meeting_instances_example() -> Value {
    json!({"meetings": [
        {"uuid": MEETING_UUID, "start_time": "2026-02-02T09:00:00Z"},
        {"uuid": PLAIN_MEETING_UUID, "start_time": "2026-02-09T09:00:00Z"},
    ]})
}

/// Each operation's realistic answer.
fn examples() -> [(&'static str, Value); 8] {
    [
        (PAST_WEBINAR_INSTANCES, past_webinar_instances_example()),
        (PAST_MEETING_INSTANCES, past_meeting_instances_example()),
        (WEBINARS, webinars_example()),
        (WEBINAR_PARTICIPANTS, webinar_participants_example()),
        (MEETINGS, meetings_example()),
        (MEETING_PARTICIPANTS, meeting_participants_example()),
        (REPORT_WEBINAR, report_webinar_example()),
        (REPORT_MEETING, report_meeting_example()),
    ]
}

/// A copy of the spec whose only change is the example answer of each operation.
fn spec_with_examples(spec: &Value, dir: &Path) -> PathBuf {
    let mut value = spec.clone();
    for (op, example) in examples() {
        value["paths"][op]["get"]["responses"]["200"]["examples"] =
            json!({ "application/json": example });
    }
    // Parameters, paths and security are those of Zoom's file.
    for op in OPERATIONS {
        assert_eq!(
            value["paths"][op]["get"]["parameters"],
            spec["paths"][op]["get"]["parameters"]
        );
    }
    assert_eq!(value["security"], spec["security"]);
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

/// The rows of `example`'s `array`.
fn rows_of(example: &Value, array: &str) -> Vec<Value> {
    example[array].as_array().unwrap().clone()
}

/// The participants of each listed instance, tagged with its `prefix_uuid`, `prefix_id`,
/// `prefix_topic` and `prefix_start_time`, as `--from/--to` writes them.
fn tagged(listed: &[Value], rows: &[Value], prefix: &str) -> Vec<Value> {
    let mut want = Vec::new();
    for instance in listed {
        for row in rows {
            let mut tagged = serde_json::Map::new();
            for field in ["uuid", "id", "topic", "start_time"] {
                tagged.insert(format!("{prefix}_{field}"), instance[field].clone());
            }
            for (k, v) in row.as_object().unwrap() {
                tagged.insert(k.clone(), v.clone());
            }
            want.push(Value::Object(tagged));
        }
    }
    want
}

/// The participants of each instance of number `id`, tagged as `--all-instances` writes
/// them: `prefix_uuid`, `prefix_id` (the number), `prefix_topic` (null: the instances list
/// has none) and `prefix_start_time`.
fn instance_tagged(instances: &[Value], rows: &[Value], prefix: &str, id: &str) -> Vec<Value> {
    let mut want = Vec::new();
    for instance in instances {
        for row in rows {
            let mut tagged = serde_json::Map::new();
            tagged.insert(format!("{prefix}_uuid"), instance["uuid"].clone());
            tagged.insert(format!("{prefix}_id"), json!(id.parse::<i64>().unwrap()));
            tagged.insert(format!("{prefix}_topic"), Value::Null);
            tagged.insert(
                format!("{prefix}_start_time"),
                instance["start_time"].clone(),
            );
            for (k, v) in row.as_object().unwrap() {
                tagged.insert(k.clone(), v.clone());
            }
            want.push(Value::Object(tagged));
        }
    }
    want
}

/// `rows`, each with `name: value` added.
fn tag_each(rows: &[Value], name: &str, value: &str) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            let mut row = row.clone();
            row[name] = json!(value);
            row
        })
        .collect()
}

#[test]
fn the_request_check_refuses_undeclared_and_repeated_parameters() {
    let spec: Value = serde_json::from_slice(&std::fs::read(spec_path()).unwrap()).unwrap();
    let ok = |target: &str| check_target(&spec, target);
    assert_eq!(
        ok("/report/meetings/1/participants?page_size=300&include_fields=registrant_id"),
        Ok(REPORT_MEETING)
    );
    assert_eq!(
        ok(&format!(
            "/metrics/webinars/{ODD_UUID_PATH}/participants?type=past&page_size=300"
        )),
        Ok(WEBINAR_PARTICIPANTS)
    );
    // The Report API takes no `type`; Prism lets it through, the check does not.
    assert!(ok("/report/webinars/1/participants?type=past&page_size=300").is_err());
    assert!(ok("/metrics/meetings/1/participants?include_field=registrant_id").is_err());
    assert!(ok("/metrics/meetings?from=2026-01-01&to=2026-01-31&from=2026-02-01").is_err());
    assert!(ok("/metrics/meeting/1/participants").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_finds_no_request_violation() {
    let spec_file = spec_path();
    let spec: Value = serde_json::from_slice(&std::fs::read(&spec_file).unwrap()).unwrap();
    let bin = match tokio::task::block_in_place(prism_bin) {
        Ok(bin) => bin,
        Err(why) => return unavailable(&why),
    };

    // 1. Zoom's spec as it is: every request valid; the first page written; where Zoom's
    // example is a real last page (meeting participants, the Report API), exactly its rows.
    let Some(mut session) = Session::start(&bin, &spec_file, &spec).await else {
        return;
    };
    let zoom_meeting_rows = zoom_example(&spec, MEETING_PARTICIPANTS, "participants");
    let zoom_report_webinar_rows = zoom_example(&spec, REPORT_WEBINAR, "participants");
    let zoom_report_meeting_rows = zoom_example(&spec, REPORT_MEETING, "participants");
    let webinar_uuid_path = format!("/metrics/webinars/{ODD_UUID_PATH}/participants");
    let runs = [
        Run {
            args: vec![
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
                "--list-webinars",
            ],
            // The first page, and the one the placeholder token asks for.
            requests: vec![paths(WEBINARS, 2)],
            sends: vec![
                ("type", "past"),
                ("from", "2026-01-01"),
                ("to", "2026-01-31"),
            ],
            rows: None,
        },
        Run {
            args: vec!["--webinar", ODD_UUID, "--type", "past"],
            requests: vec![paths(&webinar_uuid_path, 2)],
            sends: vec![("type", "past"), ("page_size", "300")],
            rows: None,
        },
        Run {
            args: vec![
                "--webinar",
                WEBINAR_ID,
                "--type",
                "past",
                "--include-registrant-id",
                "--page-size",
                "300",
            ],
            requests: vec![paths("/metrics/webinars/95204914252/participants", 2)],
            sends: vec![("type", "past"), ("include_fields", "registrant_id")],
            rows: None,
        },
        Run {
            args: vec!["--meeting", MEETING_UUID, "--type", "past"],
            requests: vec![path(&format!(
                "/metrics/meetings/{MEETING_UUID_PATH}/participants"
            ))],
            sends: vec![("type", "past"), ("page_size", "300")],
            rows: Some(zoom_meeting_rows.clone()),
        },
        Run {
            args: vec![
                "--meeting",
                MEETING_ID,
                "--type",
                "pastOne",
                "--include-registrant-id",
            ],
            requests: vec![path("/metrics/meetings/85746065432/participants")],
            sends: vec![("type", "pastOne"), ("include_fields", "registrant_id")],
            rows: Some(zoom_meeting_rows),
        },
        Run {
            args: vec![
                "--source",
                "report",
                "--webinar",
                WEBINAR_ID,
                "--include-registrant-id",
            ],
            requests: vec![path("/report/webinars/95204914252/participants")],
            sends: vec![("include_fields", "registrant_id"), ("page_size", "300")],
            rows: Some(zoom_report_webinar_rows.clone()),
        },
        Run {
            args: vec![
                "--source",
                "report",
                "--meeting",
                MEETING_UUID,
                "--include-registrant-id",
            ],
            requests: vec![path(&format!(
                "/report/meetings/{MEETING_UUID_PATH}/participants"
            ))],
            sends: vec![("include_fields", "registrant_id"), ("page_size", "300")],
            rows: Some(zoom_report_meeting_rows),
        },
        // Every instance of a webinar number (Zoom's example has one), then its report.
        Run {
            args: vec![
                "--all-instances",
                "--source",
                "report",
                "--webinar",
                WEBINAR_ID,
            ],
            requests: vec![
                path("/past_webinars/95204914252/instances"),
                path("/report/webinars/ut44544gisi/participants"),
            ],
            sends: vec![],
            rows: Some(instance_tagged(
                &zoom_example(&spec, PAST_WEBINAR_INSTANCES, "webinars"),
                &zoom_report_webinar_rows,
                "webinar",
                WEBINAR_ID,
            )),
        },
        Run {
            args: vec![
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
                "--list-meetings",
            ],
            requests: vec![paths(MEETINGS, 2)],
            sends: vec![
                ("type", "past"),
                ("from", "2026-01-01"),
                ("to", "2026-01-31"),
            ],
            rows: None,
        },
    ];
    for run in &runs {
        session.run(run, "Zoom's spec").await;
    }
    session.summary("Zoom's spec");
    drop(session);

    // 2. The same spec with realistic example answers: complete, exact runs.
    let dir = tempdir();
    let with_examples = spec_with_examples(&spec, &dir);
    let Some(mut session) = Session::start(&bin, &with_examples, &spec).await else {
        return;
    };
    let webinars = rows_of(&webinars_example(), "webinars");
    let webinar_rows = rows_of(&webinar_participants_example(), "participants");
    let meetings = rows_of(&meetings_example(), "meetings");
    let meeting_rows = rows_of(&meeting_participants_example(), "participants");
    let report_webinar_rows = rows_of(&report_webinar_example(), "participants");
    let report_meeting_rows = rows_of(&report_meeting_example(), "participants");
    let meeting_uuid_path = format!("/metrics/meetings/{MEETING_UUID_PATH}/participants");

    // --list-webinars over a quarter: three windows, each answered with the example.
    let run = Run {
        args: vec![
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--list-webinars",
        ],
        requests: vec![paths(WEBINARS, 3)],
        sends: vec![("type", "past"), ("page_size", "300")],
        rows: Some(webinars.iter().cycle().take(6).cloned().collect()),
    };
    for row in session.run(&run, "--list-webinars").await {
        serde_json::from_value::<Webinar>(row).unwrap();
    }

    // --webinar <uuid> --type past (with registrant IDs asked for).
    let run = Run {
        args: vec![
            "--webinar",
            ODD_UUID,
            "--type",
            "past",
            "--include-registrant-id",
        ],
        requests: vec![path(&webinar_uuid_path)],
        sends: vec![("type", "past"), ("include_fields", "registrant_id")],
        rows: Some(webinar_rows.clone()),
    };
    session.run(&run, "--webinar").await;

    // --from/--to over one month: the list, then each instance's participants, tagged.
    let run = Run {
        args: vec!["--from", "2026-01-01", "--to", "2026-01-31"],
        requests: vec![
            path(WEBINARS),
            path(&webinar_uuid_path),
            path("/metrics/webinars/Ab3dEf6hIj9kLm2nOp5qRs%3D%3D/participants"),
        ],
        sends: vec![("type", "past")],
        rows: Some(tagged(&webinars, &webinar_rows, "webinar")),
    };
    for row in session.run(&run, "--from/--to").await {
        serde_json::from_value::<Participant>(row).unwrap();
    }

    // --meeting <uuid> --type past.
    let run = Run {
        args: vec!["--meeting", MEETING_UUID, "--type", "past"],
        requests: vec![path(&meeting_uuid_path)],
        sends: vec![("type", "past"), ("page_size", "300")],
        rows: Some(meeting_rows.clone()),
    };
    for row in session.run(&run, "--meeting --type past").await {
        serde_json::from_value::<Participant>(row).unwrap();
    }

    // --meeting <id> --type pastOne, with registrant IDs.
    let run = Run {
        args: vec![
            "--meeting",
            MEETING_ID,
            "--type",
            "pastOne",
            "--include-registrant-id",
        ],
        requests: vec![path("/metrics/meetings/85746065432/participants")],
        sends: vec![("type", "pastOne"), ("include_fields", "registrant_id")],
        rows: Some(meeting_rows.clone()),
    };
    session.run(&run, "--meeting --type pastOne").await;

    // A webinar and a meeting in one fan-out: each row tagged with its own ID.
    let run = Run {
        args: vec![
            "--webinar",
            ODD_UUID,
            "--meeting",
            MEETING_ID,
            "--type",
            "past",
        ],
        requests: vec![
            path(&webinar_uuid_path),
            path("/metrics/meetings/85746065432/participants"),
        ],
        sends: vec![("type", "past"), ("page_size", "300")],
        rows: Some(
            tag_each(&webinar_rows, "webinar_id", ODD_UUID)
                .into_iter()
                .chain(tag_each(&meeting_rows, "meeting_id", MEETING_ID))
                .collect(),
        ),
    };
    session.run(&run, "--webinar --meeting").await;

    // The Report API: a webinar by ID, a meeting by UUID, with registrant IDs.
    let run = Run {
        args: vec![
            "--source",
            "report",
            "--webinar",
            WEBINAR_ID,
            "--include-registrant-id",
        ],
        requests: vec![path("/report/webinars/95204914252/participants")],
        sends: vec![("include_fields", "registrant_id"), ("page_size", "300")],
        rows: Some(report_webinar_rows.clone()),
    };
    for row in session.run(&run, "--source report --webinar").await {
        serde_json::from_value::<ReportParticipant>(row).unwrap();
    }
    let run = Run {
        args: vec![
            "--source",
            "report",
            "--meeting",
            MEETING_UUID,
            "--include-registrant-id",
        ],
        requests: vec![path(&format!(
            "/report/meetings/{MEETING_UUID_PATH}/participants"
        ))],
        sends: vec![("include_fields", "registrant_id"), ("page_size", "300")],
        rows: Some(report_meeting_rows.clone()),
    };
    for row in session.run(&run, "--source report --meeting").await {
        serde_json::from_value::<ReportParticipant>(row).unwrap();
    }

    // --all-instances: a number's instances list (no query at all), then each instance's
    // participants by UUID (one double-encoded), tagged; from the Dashboard and the report.
    let run = Run {
        args: vec!["--all-instances", "--webinar", WEBINAR_ID],
        requests: vec![
            path("/past_webinars/95204914252/instances"),
            path(&webinar_uuid_path),
            path("/metrics/webinars/Ab3dEf6hIj9kLm2nOp5qRs%3D%3D/participants"),
        ],
        sends: vec![],
        rows: Some(instance_tagged(
            &rows_of(&past_webinar_instances_example(), "webinars"),
            &webinar_rows,
            "webinar",
            WEBINAR_ID,
        )),
    };
    session.run(&run, "--all-instances --webinar").await;
    let run = Run {
        args: vec![
            "--all-instances",
            "--source",
            "report",
            "--meeting",
            MEETING_ID,
        ],
        requests: vec![
            path("/past_meetings/85746065432/instances"),
            path(&format!(
                "/report/meetings/{MEETING_UUID_PATH}/participants"
            )),
            path(&format!(
                "/report/meetings/{PLAIN_MEETING_UUID_PATH}/participants"
            )),
        ],
        sends: vec![],
        rows: Some(instance_tagged(
            &rows_of(&past_meeting_instances_example(), "meetings"),
            &report_meeting_rows,
            "meeting",
            MEETING_ID,
        )),
    };
    for row in session
        .run(&run, "--all-instances --source report --meeting")
        .await
    {
        serde_json::from_value::<ReportParticipant>(row).unwrap();
    }

    // A later page (--resume-from sends next_page_token) of the lists whose answers end on
    // their first page everywhere else.
    let later_pages = [
        (
            vec![
                "--meeting",
                MEETING_ID,
                "--type",
                "pastOne",
                "--resume-from",
                TOKEN,
            ],
            "/metrics/meetings/85746065432/participants",
            meeting_rows.clone(),
        ),
        (
            vec![
                "--source",
                "report",
                "--webinar",
                WEBINAR_ID,
                "--resume-from",
                TOKEN,
            ],
            "/report/webinars/95204914252/participants",
            report_webinar_rows,
        ),
        (
            vec![
                "--source",
                "report",
                "--meeting",
                MEETING_ID,
                "--resume-from",
                TOKEN,
            ],
            "/report/meetings/85746065432/participants",
            report_meeting_rows,
        ),
    ];
    for (args, sent, rows) in later_pages {
        let run = Run {
            args,
            requests: vec![path(sent)],
            sends: vec![("next_page_token", TOKEN), ("page_size", "300")],
            rows: Some(rows),
        };
        session.run(&run, "--resume-from").await;
    }

    // --list-meetings over a quarter: three windows.
    let run = Run {
        args: vec![
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--list-meetings",
        ],
        requests: vec![paths(MEETINGS, 3)],
        sends: vec![("type", "past"), ("page_size", "300")],
        rows: Some(meetings.iter().cycle().take(6).cloned().collect()),
    };
    for row in session.run(&run, "--list-meetings").await {
        serde_json::from_value::<Meeting>(row).unwrap();
    }

    // --meetings over one month: the list, then each instance's participants (type=past),
    // tagged.
    let run = Run {
        args: vec!["--from", "2026-01-01", "--to", "2026-01-31", "--meetings"],
        requests: vec![
            path(MEETINGS),
            path(&meeting_uuid_path),
            path(&format!(
                "/metrics/meetings/{PLAIN_MEETING_UUID_PATH}/participants"
            )),
        ],
        sends: vec![("type", "past")],
        rows: Some(tagged(&meetings, &meeting_rows, "meeting")),
    };
    for row in session.run(&run, "--meetings").await {
        serde_json::from_value::<Participant>(row).unwrap();
    }

    // The check can fail: a request Prism refuses (page_size over 300) is seen.
    let refused = reqwest::Client::new()
        .get(format!("{}/metrics/meetings", session.prism.base_url()))
        .bearer_auth("prism-test-token")
        .query(&[
            ("type", "past"),
            ("from", "2026-01-01"),
            ("to", "2026-01-31"),
            ("page_size", "301"),
        ])
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 422);
    let seen = |lines: &[String]| {
        violations(lines)
            .iter()
            .any(|l| l.contains("did not pass the validation rules"))
            && lines.iter().any(|l| l.contains("page_size must be <= 300"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen(&session.prism.lines()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        seen(&session.prism.lines()),
        "the invalid request is reported: {:#?}",
        session.prism.lines()
    );
    session.summary("the spec with examples");
    drop(session);
    let _ = std::fs::remove_dir_all(&dir);
}
