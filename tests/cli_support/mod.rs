//! Helpers shared by the tests that run the binary as a process against an in-process fake
//! Zoom, for the meeting and Report API sources (`cli_sources`, `cli_meeting_period`,
//! `cli_sources_durable`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::process::Command;
use zoom_participants::fake::{FakeZoom, RecordedRequest};

/// The binary with nothing from the environment but the fake's address and token, and no
/// client-side rate limit.
pub fn command(zoom: &FakeZoom) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
        .env("ZOOM_RATE_LIMIT", "off")
        .kill_on_drop(true);
    cmd
}

/// The binary with an empty environment (for `--demo`).
pub fn bare_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear().kill_on_drop(true);
    cmd
}

/// Runs `cmd` with `args` to its end (at most a minute).
pub async fn output(mut cmd: Command, args: &[&str]) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.args(args).output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI starts")
}

/// Runs the binary against `zoom` with `args`.
pub async fn run(zoom: &FakeZoom, args: &[&str]) -> Output {
    output(command(zoom), args).await
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

pub fn lines(out: &Output) -> Vec<String> {
    stdout(out).lines().map(str::to_owned).collect()
}

/// Asserts a successful run that wrote nothing on standard error.
pub fn assert_quiet_success(out: &Output) {
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(out));
    assert_eq!(
        stderr(out),
        "",
        "nothing on stderr when it is not a terminal"
    );
}

/// Asserts a failure with `code`, nothing on standard output and one line on standard
/// error that contains each of `needles`.
pub fn assert_failure(out: &Output, code: i32, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", stdout(out));
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} in {err}");
    }
}

/// The NDJSON text of rows given as their exact JSON texts.
pub fn ndjson_of<S: AsRef<str>>(rows: &[S]) -> String {
    rows.iter().map(|r| format!("{}\n", r.as_ref())).collect()
}

/// The exact JSON texts of typed rows, as the fake serves them.
pub fn texts<T: serde::Serialize>(rows: &[T]) -> Vec<String> {
    rows.iter()
        .map(|r| serde_json::to_string(r).expect("serializable"))
        .collect()
}

/// A row as the CLI tags it in NDJSON: `tags` (name, JSON text) first, then the row's own
/// members as sent.
pub fn tagged(tags: &[(&str, String)], row: &str) -> String {
    let mut out = String::from("{");
    for (n, (name, value)) in tags.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&format!("{name:?}:{value}"));
    }
    let body = &row[1..];
    if !tags.is_empty() && body != "}" {
        out.push(',');
    }
    out.push_str(body);
    out
}

/// The CSV cells the CLI writes for a row given as its exact JSON text, with the columns
/// `fields`: each field's string as it is, any other value as its JSON text, absent fields
/// empty; then `extra`, the other members in name order as one JSON object (empty when
/// there is none).
pub fn cells_of(row: &str, fields: &[&str]) -> Vec<String> {
    let mut members: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(row).expect("a JSON object");
    let mut cells: Vec<String> = fields
        .iter()
        .map(|field| match members.remove(*field) {
            None => String::new(),
            Some(raw) => match serde_json::from_str::<serde_json::Value>(raw.get()) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(serde_json::Value::Null) => String::new(),
                _ => raw.get().to_owned(),
            },
        })
        .collect();
    let extra = if members.is_empty() {
        String::new()
    } else {
        let inner: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v.get()))
            .collect();
        format!("{{{}}}", inner.join(","))
    };
    cells.push(extra);
    cells
}

/// A CSV output's header and records.
pub fn csv_of(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect();
    (header, records)
}

/// `names` as owned strings, then `extra`.
pub fn header_of(names: &[&[&str]]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| n.iter())
        .map(|s| s.to_string())
        .chain(["extra".to_owned()])
        .collect()
}

/// The raw path of each request.
pub fn paths(requests: &[RecordedRequest]) -> Vec<String> {
    requests.iter().map(|r| r.path.clone()).collect()
}

/// The query keys of each request, in order.
pub fn keys(request: &RecordedRequest) -> Vec<&str> {
    request.query.iter().map(|(k, _)| k.as_str()).collect()
}

/// A fresh directory under the system's temporary one.
pub fn tempdir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zoom-participants-{label}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The names in `dir`, sorted.
pub fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Starts the binary and kills it with SIGKILL after `after`; whether it had finished by
/// itself before that.
pub async fn kill_after(zoom: &FakeZoom, args: &[&str], after: Duration) -> bool {
    let mut child = command(zoom).args(args).spawn().unwrap();
    tokio::time::sleep(after).await;
    let _ = child.start_kill();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("killed")
        .unwrap();
    status.success()
}

/// `args` then `--output path`.
pub fn with_output<'a>(args: &[&'a str], path: &'a Path) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--output", path.to_str().unwrap()]);
    all
}
