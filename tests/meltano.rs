//! A real pipeline: `meltano run tap-zoom-participants target-jsonl` against the fake Zoom,
//! twice, with Meltano keeping the STATE between the runs.
//!
//! Meltano and target-jsonl come from PyPI, installed by `.ci/singer-tools` into virtual
//! environments cached in the cargo target directory. Under `CI=true` a failed install
//! fails the test; elsewhere (no network, no python3) the test says why and passes.
#![cfg(feature = "cli")]

mod tap_support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};
use tap_support::*;
use zoom_participants::fake::FakeZoom;

/// Where `.ci/singer-tools` puts the environments: beside the test scratch space.
fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or(Path::new("target"))
        .join("singer")
}

/// Installs (or finds) Meltano and target-jsonl: `Some((meltano, target_jsonl))`, or `None`
/// with the reason printed when they cannot be had outside CI.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let dir = tools_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/singer-tools");
    let installed = std::process::Command::new("bash")
        .arg(&script)
        .arg(&dir)
        .output();
    let meltano = dir.join("meltano-venv/bin/meltano");
    let target = dir.join("target-jsonl-venv/bin/target-jsonl");
    let problem = match &installed {
        Ok(out) if out.status.success() && meltano.exists() && target.exists() => None,
        Ok(out) => Some(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(err) => Some(format!("cannot run {}: {err}", script.display())),
    };
    match problem {
        None => Some((meltano, target)),
        Some(problem) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI must install Meltano and target-jsonl: {problem}")
        }
        Some(problem) => {
            eprintln!("skipped: Meltano and target-jsonl are not available ({problem})");
            None
        }
    }
}

/// A Meltano project using the built tap as a custom extractor and target-jsonl.
fn project(dir: &Path, zoom: &FakeZoom, target_jsonl: &Path) {
    let yml = format!(
        r#"default_environment: test
project_id: tap-zoom-participants-pipeline-test
send_anonymous_usage_stats: false
environments:
- name: test
plugins:
  extractors:
  - name: tap-zoom-participants
    namespace: tap_zoom_participants
    executable: {tap}
    capabilities: [catalog, discover, state, about]
    settings:
    - name: start_date
      kind: date_iso8601
    - name: end_date
      kind: date_iso8601
    - name: access_token
      kind: password
      sensitive: true
    - name: account_id
    - name: client_id
    - name: client_secret
      kind: password
      sensitive: true
    - name: base_url
    - name: token_url
    - name: rate_limit
    - name: max_requests
      kind: integer
    config:
      start_date: "{start}"
      base_url: {base}
      rate_limit: "off"
  loaders:
  - name: target-jsonl
    namespace: target_jsonl
    executable: {target}
    settings:
    - name: destination_path
    - name: do_timestamp_file
      kind: boolean
    config:
      destination_path: output
      do_timestamp_file: false
"#,
        tap = TAP,
        start = start_date(),
        base = zoom.base_url(),
        target = target_jsonl.display(),
    );
    std::fs::write(dir.join("meltano.yml"), yml).expect("meltano.yml");
}

async fn meltano_run(meltano: &Path, dir: &Path, zoom: &FakeZoom) -> Output {
    let mut command = tokio::process::Command::new(meltano);
    command
        .args(["run", "tap-zoom-participants", "target-jsonl"])
        .current_dir(dir)
        // The secret comes from the environment, as Meltano recommends.
        .env("TAP_ZOOM_PARTICIPANTS_ACCESS_TOKEN", zoom.access_token())
        .env("MELTANO_SEND_ANONYMOUS_USAGE_STATS", "false")
        .env("MELTANO_DISABLE_TRACKING", "true")
        .env("MELTANO_CLI_LOG_LEVEL", "info")
        .env_remove("RUST_LOG");
    tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .expect("meltano ends")
        .expect("meltano runs")
}

/// The lines of `output/<stream>.jsonl`.
fn loaded(dir: &Path, stream: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join("output").join(format!("{stream}.jsonl")))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[tokio::test]
async fn meltano_loads_exactly_the_served_rows_then_exactly_the_new_ones() {
    let Some((meltano, target_jsonl)) = tools() else {
        return;
    };
    let base = now();
    // One webinar and one meeting end while the first run is long over.
    let later = Duration::from_secs(12);
    let ends_later = instance(
        "Late+webinar/0000==",
        87_000_000_001,
        HOUR,
        HOUR + later,
        333,
    );
    let meeting_later = meeting("Late+meeting/0000==", 97_000_000_001, HOUR, HOUR + later, 1);
    let mut webinars = ended_instances();
    webinars.push(ends_later);
    let mut meetings = ended_meetings();
    meetings.push(meeting_later);
    let zoom = fake_both(webinars, meetings).await;
    let dir = scratch("meltano");
    project(&dir, &zoom, &target_jsonl);

    let first = meltano_run(&meltano, &dir, &zoom).await;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(first.status.code(), Some(0), "{log}");
    assert!(
        !log.contains(zoom.access_token()),
        "the token leaked into the log"
    );

    let webinars = served_instances(&zoom);
    let meetings = served_meetings(&zoom);
    assert_eq!(webinars.len(), 4, "the late one has not ended");
    let as_served_all =
        |rows: Vec<Value>| -> Vec<Value> { rows.iter().map(|r| as_served(r, &[])).collect() };
    assert_eq!(as_served_all(loaded(&dir, "webinars")), webinars);
    assert_eq!(as_served_all(loaded(&dir, "meetings")), meetings);
    let rows: Vec<Value> = loaded(&dir, "webinar_participants")
        .iter()
        .map(participant_as_served)
        .collect();
    assert_eq!(rows, served_participants(&zoom, &webinars));
    let rows: Vec<Value> = loaded(&dir, "meeting_participants")
        .iter()
        .map(participant_as_served)
        .collect();
    assert_eq!(rows, served_meeting_participants(&zoom, &meetings));
    let counts = |dir: &Path| {
        [
            "webinars",
            "webinar_participants",
            "meetings",
            "meeting_participants",
        ]
        .map(|s| loaded(dir, s).len())
    };
    let after_first = counts(&dir);
    assert_eq!(after_first, [4, 991, 3, 621]);

    // The late instances end; and a webinar that ended 20 minutes ago shows up in Zoom's
    // list only now (the Dashboard lags: up to an hour is allowed for).
    let wait = (base + chrono::Duration::from_std(later).unwrap_or_default() - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_secs(1)).await;
    let twenty_minutes = Duration::from_secs(20 * 60);
    zoom.list_webinar(instance(
        "New+webinar/00000==",
        88_000_000_002,
        2 * HOUR,
        2 * HOUR - twenty_minutes,
        12,
    ));

    let second = meltano_run(&meltano, &dir, &zoom).await;
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let new = |stream: &str, before: usize| loaded(&dir, stream).split_off(before);
    let new_webinars: Vec<Value> = new("webinars", after_first[0])
        .iter()
        .map(|r| as_served(r, &[]))
        .collect();
    let all = served_instances(&zoom);
    let expected: Vec<Value> = all
        .iter()
        .filter(|w| !webinars.contains(w))
        .cloned()
        .collect();
    assert_eq!(
        expected
            .iter()
            .map(|w| w["uuid"].clone())
            .collect::<Vec<_>>(),
        [json!("New+webinar/00000=="), json!("Late+webinar/0000==")]
    );
    assert_eq!(new_webinars, expected);
    let new_rows: Vec<Value> = new("webinar_participants", after_first[1])
        .iter()
        .map(participant_as_served)
        .collect();
    assert_eq!(new_rows, served_participants(&zoom, &expected));
    let all_meetings = served_meetings(&zoom);
    let expected: Vec<Value> = all_meetings
        .iter()
        .filter(|m| !meetings.contains(m))
        .cloned()
        .collect();
    let new_meetings: Vec<Value> = new("meetings", after_first[2])
        .iter()
        .map(|r| as_served(r, &[]))
        .collect();
    assert_eq!(new_meetings, expected);
    assert_eq!(new_meetings.len(), 1);
    let new_rows: Vec<Value> = new("meeting_participants", after_first[3])
        .iter()
        .map(participant_as_served)
        .collect();
    assert_eq!(new_rows, served_meeting_participants(&zoom, &expected));
    assert_eq!(counts(&dir), [6, 991 + 12 + 333, 4, 622]);
}
