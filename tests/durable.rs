//! Durable exports and interruptions, end to end: the binary against the fake Zoom.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;
use zoom_participants::fake::FakeZoom;

const WEBINAR: &str = "95204914252";
const OTHER_WEBINAR: &str = "111";

async fn fake(ttl: Duration) -> FakeZoom {
    FakeZoom::builder()
        .webinar(WEBINAR, 3_000)
        .webinar(OTHER_WEBINAR, 1_000)
        .latency(Duration::from_millis(15))
        .page_token_ttl(ttl)
        .start()
        .await
        .unwrap()
}

fn command(zoom: &FakeZoom) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
        .env("ZOOM_RATE_LIMIT", "off")
        .kill_on_drop(true);
    cmd
}

async fn run(zoom: &FakeZoom, args: &[&str]) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command(zoom).args(args).output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Starts the CLI and kills it (SIGKILL) after `after`.
async fn kill_after(zoom: &FakeZoom, args: &[&str], after: Duration) {
    let mut child = command(zoom).args(args).spawn().unwrap();
    tokio::time::sleep(after).await;
    let _ = child.start_kill();
    let _ = child.wait().await;
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn kill_nine_at_any_moment_then_rerun_gives_the_exact_file() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir();
    for (case, args) in [
        vec!["--webinar", WEBINAR, "--page-size", "100"],
        vec![
            "--webinar",
            WEBINAR,
            "--webinar",
            OTHER_WEBINAR,
            "--page-size",
            "100",
            "--format",
            "csv",
        ],
    ]
    .into_iter()
    .enumerate()
    {
        let reference = dir.join(format!("reference-{case}"));
        let target = dir.join(format!("export-{case}"));
        let mut full = args.clone();
        full.extend(["--output", reference.to_str().unwrap()]);
        let out = run(&zoom, &full).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let mut durable = args.clone();
        durable.extend(["--output", target.to_str().unwrap()]);
        // Ten random moments, from before the first row to near the end.
        for _ in 0..10 {
            let after = Duration::from_millis(fastrand::u64(20..400));
            kill_after(&zoom, &durable, after).await;
        }
        let out = run(&zoom, &durable).await;
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(&target).unwrap(),
            std::fs::read(&reference).unwrap(),
            "case {case}: byte-identical after kills and a rerun"
        );
    }
    assert_eq!(
        leftovers(&dir),
        ["export-0", "export-1", "reference-0", "reference-1"],
        "nothing else is left behind"
    );
}

#[tokio::test]
async fn a_rerun_after_the_tokens_expired_re_walks_and_a_changed_list_is_refused() {
    let zoom = fake(Duration::from_millis(300)).await;
    let dir = tempdir();
    let reference = dir.join("reference");
    let target = dir.join("export");
    let args = |path: &Path| {
        vec![
            "--webinar".to_owned(),
            WEBINAR.to_owned(),
            "--page-size".to_owned(),
            "100".to_owned(),
            "--output".to_owned(),
            path.to_str().unwrap().to_owned(),
        ]
    };
    let reference_args = args(&reference);
    let refs: Vec<&str> = reference_args.iter().map(String::as_str).collect();
    let out = run(&zoom, &refs).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let export_args = args(&target);
    let export: Vec<&str> = export_args.iter().map(String::as_str).collect();
    kill_after(&zoom, &export, Duration::from_millis(200)).await;
    assert!(dir.join("export.part.checkpoint").exists());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let before = zoom.request_count();
    let out = run(&zoom, &export).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&reference).unwrap()
    );
    let rerun = &zoom.requests()[before..];
    assert_eq!(
        rerun[1].query_value("next_page_token"),
        None,
        "after the refused token, the re-walk starts at page 1"
    );

    // Interrupted again, then the webinar's rows change and the tokens expire: the rerun
    // refuses to continue rather than mixing two lists.
    std::fs::remove_file(&target).unwrap();
    kill_after(&zoom, &export, Duration::from_millis(200)).await;
    let kept = std::fs::read(dir.join("export.part")).unwrap();
    zoom.set_seed(7);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let out = run(&zoom, &export).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("list changed"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(!target.exists());
    let after = std::fs::read(dir.join("export.part")).unwrap();
    assert!(
        after.len() <= kept.len() && kept.starts_with(&after),
        "nothing was added to what was written"
    );
}

#[tokio::test]
async fn another_command_on_the_same_file_is_a_usage_error_and_restart_starts_over() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir();
    let target = dir.join("export");
    let path = target.to_str().unwrap();
    kill_after(
        &zoom,
        &["--webinar", WEBINAR, "--page-size", "100", "--output", path],
        Duration::from_millis(150),
    )
    .await;
    let before = zoom.request_count();
    let out = run(
        &zoom,
        &["--webinar", WEBINAR, "--format", "csv", "--output", path],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("format was ndjson and is now csv"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--restart"));
    assert_eq!(zoom.request_count(), before, "no request");
    let out = run(
        &zoom,
        &[
            "--webinar",
            WEBINAR,
            "--format",
            "csv",
            "--output",
            path,
            "--restart",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_path(&target).unwrap();
    assert_eq!(reader.headers().unwrap().get(0), Some("id"));
    assert_eq!(
        reader.records().count(),
        3_000,
        "one header and every row once"
    );
}

#[tokio::test]
async fn a_failure_before_any_row_leaves_an_existing_file_untouched() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir();
    let target = dir.join("export");
    std::fs::write(&target, "precious\n").unwrap();
    let out = command(&zoom)
        .env("ZOOM_ACCESS_TOKEN", "wrong-token-abcdef")
        .args(["--webinar", WEBINAR, "--output", target.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    assert!(!stderr(&out).contains("wrong-token-abcdef"));
    assert!(
        stderr(&out).contains("run the same command again"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn sigint_on_stdout_stops_at_a_page_end_with_a_hint_that_continues_exactly() {
    let zoom = fake(Duration::from_secs(900)).await;
    let child = command(&zoom)
        .args(["--webinar", WEBINAR, "--page-size", "100"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = child.id().unwrap() as i32;
    // SAFETY: kill(2) with a valid pid and signal.
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let token = err
        .split("--resume-from ")
        .nth(1)
        .expect("a resume hint")
        .trim()
        .trim_matches('\'')
        .to_owned();
    let first = String::from_utf8(out.stdout).unwrap();
    assert!(first.ends_with('\n'));
    assert_eq!(first.lines().count() % 100, 0, "stopped at a page end");
    let rest = run(
        &zoom,
        &[
            "--webinar",
            WEBINAR,
            "--page-size",
            "100",
            "--resume-from",
            &token,
        ],
    )
    .await;
    assert!(rest.status.success(), "{}", stderr(&rest));
    let all = run(&zoom, &["--webinar", WEBINAR, "--page-size", "100"]).await;
    let joined = [first.as_bytes(), &rest.stdout].concat();
    assert_eq!(joined, all.stdout, "nothing lost, nothing repeated");
}

#[tokio::test]
async fn sigterm_on_a_durable_export_keeps_its_checkpoint_and_the_rerun_finishes() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir();
    let reference = dir.join("reference");
    let target = dir.join("export");
    let args = |path: &Path| {
        vec![
            "--webinar".to_owned(),
            WEBINAR.to_owned(),
            "--page-size".to_owned(),
            "100".to_owned(),
            "--resume-from".to_owned(),
            "ignored-when-a-checkpoint-exists".to_owned(),
            "--output".to_owned(),
            path.to_str().unwrap().to_owned(),
        ]
    };
    // A durable run may start at a saved token: the file then holds what follows it.
    let mut plain = args(&reference);
    plain.drain(4..6);
    let plain: Vec<&str> = plain.iter().map(String::as_str).collect();
    assert!(run(&zoom, &plain).await.status.success());
    let mut durable = args(&target);
    durable.drain(4..6);
    let durable: Vec<&str> = durable.iter().map(String::as_str).collect();
    let child = command(&zoom).args(&durable).spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(143));
    assert!(dir.join("export.part.checkpoint").exists());
    // With a checkpoint, --resume-from is refused; without it, the rerun continues.
    let with_token = args(&target);
    let with_token: Vec<&str> = with_token.iter().map(String::as_str).collect();
    let out = run(&zoom, &with_token).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&zoom, &durable).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&reference).unwrap()
    );
}

#[tokio::test]
async fn a_request_budget_stops_resumably_with_exit_4() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir();
    let target = dir.join("export");
    let path = target.to_str().unwrap();
    let args = [
        "--webinar",
        WEBINAR,
        "--page-size",
        "300",
        "--max-requests",
        "3",
        "--output",
        path,
    ];
    let out = run(&zoom, &args).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("request budget of 3 requests"),
        "{}",
        stderr(&out)
    );
    assert_eq!(zoom.request_count(), 3);
    let written = std::fs::read_to_string(dir.join("export.part")).unwrap();
    assert_eq!(
        written.lines().count(),
        900,
        "the three pages fetched are written"
    );
    let out = run(
        &zoom,
        &[
            "--webinar",
            WEBINAR,
            "--page-size",
            "300",
            "--max-requests",
            "3",
            "--output",
            path,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = run(
        &zoom,
        &[
            "--webinar",
            WEBINAR,
            "--page-size",
            "300",
            "--max-requests",
            "3",
            "--output",
            path,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let out = run(
        &zoom,
        &[
            "--webinar",
            WEBINAR,
            "--page-size",
            "300",
            "--max-requests",
            "3",
            "--output",
            path,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&target).unwrap().lines().count(),
        3_000
    );
    assert_eq!(zoom.request_count(), 10, "no page requested twice");
}

#[tokio::test]
async fn bad_rate_limits_and_option_clashes_are_usage_errors_without_a_request() {
    let zoom = fake(Duration::from_secs(900)).await;
    for args in [
        vec!["--webinar", WEBINAR, "--rate-limit", "0"],
        vec!["--webinar", WEBINAR, "--rate-limit", "fast"],
        vec!["--webinar", WEBINAR, "--resume-from", ""],
        vec!["--webinar", WEBINAR, "--demo-participants", "5"],
        vec!["--webinar", WEBINAR, "--prefetch", "2305843009213693952"],
        vec!["--from", "2026-03-01", "--to", "2026-02-01"],
        vec!["--from", "2026-02-30", "--to", "2026-03-01"],
    ] {
        let out = run(&zoom, &args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let out = command(&zoom)
        .env("ZOOM_RATE_LIMIT", "-3")
        .args(["--webinar", WEBINAR])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = command(&zoom)
        .env("ZOOM_CLIENT_SECRET", "s3cret")
        .env("ZOOM_CLIENT_ID", "id")
        .env("ZOOM_ACCOUNT_ID", "acct")
        .args(["--webinar", WEBINAR])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(zoom.request_count(), 0);
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zoom-participants-durable-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_limit_over_several_webinars_counts_what_earlier_runs_wrote() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir();
    let reference = dir.join("reference");
    let target = dir.join("export");
    let args = |path: &Path, budget: bool| {
        let mut args: Vec<String> = [
            "--webinar",
            WEBINAR,
            "--webinar",
            OTHER_WEBINAR,
            "--page-size",
            "100",
            "--limit",
            "450",
            "--output",
            path.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec();
        if budget {
            args.extend(["--max-requests".to_owned(), "2".to_owned()]);
        }
        args
    };
    let plain = args(&reference, false);
    let plain: Vec<&str> = plain.iter().map(String::as_str).collect();
    assert!(run(&zoom, &plain).await.status.success());
    let budgeted = args(&target, true);
    let budgeted: Vec<&str> = budgeted.iter().map(String::as_str).collect();
    let mut runs = 0;
    loop {
        runs += 1;
        let out = run(&zoom, &budgeted).await;
        if out.status.success() {
            break;
        }
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        assert!(runs < 20, "the export makes progress");
    }
    assert!(runs > 2);
    let text = std::fs::read_to_string(&target).unwrap();
    assert_eq!(text.lines().count(), 450);
    assert_eq!(text, std::fs::read_to_string(&reference).unwrap());
}

#[tokio::test]
async fn a_signal_while_listing_a_period_stops_at_once_keeping_what_was_listed() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .list_rate_limit_per_minute(1)
        .start()
        .await
        .unwrap();
    let dir = tempdir();
    let target = dir.join("export");
    let path = target.to_str().unwrap();
    let args = [
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-31",
        "--output",
        path,
    ];
    let child = command(&zoom)
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first window is listed; the second meets the per-minute limit and waits.
    for _ in 0..100 {
        if zoom.list_requests().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("the signal ends the wait at once")
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("run the same command again"),
        "{}",
        stderr(&out)
    );
    let checkpoint = std::fs::read_to_string(dir.join("export.part.checkpoint")).unwrap();
    assert!(checkpoint.contains("\"listing\":{"), "{checkpoint}");
    assert!(
        checkpoint.contains("NyA0mzT1Q2e3r4t5y6u7iA=="),
        "January's instances are kept"
    );
    let first_window: Vec<_> = zoom
        .list_requests()
        .into_iter()
        .filter(|r| r.query_value("from") == Some("2026-01-01"))
        .collect();
    assert_eq!(first_window.len(), 1);
}

#[tokio::test]
async fn odd_outputs_and_option_orders_are_handled() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir();
    // A directory (or a device) is never replaced by an export.
    let out = run(
        &zoom,
        &["--webinar", WEBINAR, "--output", dir.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(dir.is_dir());
    // The order of repeated filters does not make another command.
    let target = dir.join("export");
    let path = target.to_str().unwrap();
    kill_after(
        &zoom,
        &[
            "--webinar",
            WEBINAR,
            "--page-size",
            "100",
            "--status",
            "in_meeting",
            "--status",
            "in_waiting_room",
            "--output",
            path,
        ],
        Duration::from_millis(150),
    )
    .await;
    let out = run(
        &zoom,
        &[
            "--webinar",
            WEBINAR,
            "--page-size",
            "100",
            "--status",
            "in_waiting_room",
            "--status",
            "in_meeting",
            "--output",
            path,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    // A rate too low to mean anything is a usage error, not a panic.
    let out = run(&zoom, &["--webinar", WEBINAR, "--rate-limit", "1e-300"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[tokio::test]
async fn csv_resumed_on_stdout_has_no_second_header_and_the_hint_keeps_the_limit() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 300)
        .start()
        .await
        .unwrap();
    let base = [
        "--webinar",
        WEBINAR,
        "--page-size",
        "100",
        "--format",
        "csv",
    ];
    let whole = run(&zoom, &[&base[..], &["--limit", "250"]].concat()).await;
    assert!(whole.status.success());
    let first = run(
        &zoom,
        &[&base[..], &["--limit", "250", "--max-requests", "1"]].concat(),
    )
    .await;
    assert_eq!(first.status.code(), Some(4), "{}", stderr(&first));
    let err = stderr(&first);
    let hint = err.split("resume with ").nth(1).expect("a hint").trim();
    let hint: Vec<&str> = hint.split(' ').collect();
    assert_eq!(hint[0], "--resume-from");
    assert_eq!(&hint[2..], ["--limit", "150"], "{err}");
    let rest = run(&zoom, &[&base[..], &hint[..]].concat()).await;
    assert!(rest.status.success(), "{}", stderr(&rest));
    let joined = [first.stdout, rest.stdout].concat();
    assert_eq!(joined, whole.stdout, "one header, the same rows");
}
