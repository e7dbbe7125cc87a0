//! `--output` by what it names: a regular file (or a new one) is a durable export; a
//! device, a FIFO, a socket or a standard stream (through links and `/proc/self/fd` too)
//! is written as standard output is; a directory is a usage error.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::process::Command;
use zoom_participants::fake::FakeZoom;

const WEBINAR: &str = "95204914252";

async fn fake(latency: Duration) -> FakeZoom {
    FakeZoom::builder()
        .webinar(WEBINAR, 1_000)
        .latency(latency)
        .start()
        .await
        .unwrap()
}

fn command(zoom: &FakeZoom, dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
        .env("ZOOM_RATE_LIMIT", "off")
        .current_dir(dir)
        .args(["--webinar", WEBINAR, "--page-size", "100"])
        .kill_on_drop(true);
    cmd
}

async fn finish(mut cmd: Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zoom-participants-targets-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The NDJSON of the whole webinar, as a plain run to standard output writes it.
async fn reference(zoom: &FakeZoom, dir: &Path) -> Vec<u8> {
    let out = finish(command(zoom, dir)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1_000);
    out.stdout
}

#[tokio::test]
async fn dev_null_is_a_dry_run_that_reads_every_page() {
    let zoom = fake(Duration::ZERO).await;
    let dir = tempdir();
    let mut cmd = command(&zoom, &dir);
    cmd.args(["--output", "/dev/null"]);
    let out = finish(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!((out.stdout.len(), stderr(&out)), (0, String::new()));
    assert_eq!(zoom.request_count(), 10);
    assert!(entries(&dir).is_empty(), "no .part, no checkpoint");
}

#[tokio::test]
async fn dev_stdout_on_a_pipe_and_through_proc_self_fd_and_links_is_standard_output() {
    let zoom = fake(Duration::ZERO).await;
    let dir = tempdir();
    let expected = reference(&zoom, &dir).await;
    std::os::unix::fs::symlink("/dev/stdout", dir.join("to-stdout")).unwrap();
    std::os::unix::fs::symlink("/proc/self/fd/1", dir.join("to-fd")).unwrap();
    for target in [
        "/dev/stdout",
        "/proc/self/fd/1",
        "/dev/fd/1",
        "to-stdout",
        "to-fd",
    ] {
        let mut cmd = command(&zoom, &dir);
        cmd.args(["--output", target]);
        let out = finish(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{target}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{target}");
        assert!(
            out.stdout == expected,
            "{target}: {} bytes",
            out.stdout.len()
        );
        assert_eq!(entries(&dir), ["to-fd", "to-stdout"], "{target}: no .part");
    }
}

#[tokio::test]
async fn a_socket_as_standard_output_is_reached_through_proc_self_fd() {
    let zoom = fake(Duration::ZERO).await;
    let dir = tempdir();
    let expected = reference(&zoom, &dir).await;
    let (mut ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        ours.read_to_end(&mut got).unwrap();
        got
    });
    let mut cmd = command(&zoom, &dir);
    let status = cmd
        .args(["--output", "/proc/self/fd/1"])
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
        .status()
        .await
        .unwrap();
    drop(cmd);
    assert_eq!(status.code(), Some(0));
    let got = reader.join().unwrap();
    assert!(
        got == expected,
        "{} bytes, not the {} expected",
        got.len(),
        expected.len()
    );
}

#[tokio::test]
async fn a_fifo_is_streamed_into_without_part_file_or_checkpoint() {
    let zoom = fake(Duration::ZERO).await;
    let dir = tempdir();
    let expected = reference(&zoom, &dir).await;
    let fifo = dir.join("rows.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let path = fifo.clone();
    let reader = std::thread::spawn(move || std::fs::read(path).unwrap());
    let mut cmd = command(&zoom, &dir);
    cmd.args(["--output", "rows.fifo"]);
    let out = finish(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = reader.join().unwrap();
    assert!(
        got == expected,
        "{} bytes, not the {} expected",
        got.len(),
        expected.len()
    );
    assert_eq!(entries(&dir), ["rows.fifo"]);
}

#[tokio::test]
async fn dev_full_is_exit_1_with_one_line() {
    let zoom = fake(Duration::ZERO).await;
    let dir = tempdir();
    let mut cmd = command(&zoom, &dir);
    cmd.args(["--output", "/dev/full"]);
    let out = finish(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: cannot write the output: No space left on device (os error 28)\n"
    );
    assert!(entries(&dir).is_empty());
}

#[tokio::test]
async fn a_directory_stays_a_usage_error_without_a_request() {
    let zoom = fake(Duration::ZERO).await;
    let dir = tempdir();
    std::os::unix::fs::symlink(&dir, dir.join("to-dir")).unwrap();
    for target in [dir.to_str().unwrap(), "to-dir", "."] {
        let mut cmd = command(&zoom, &dir);
        cmd.args(["--output", target]);
        let out = finish(cmd).await;
        assert_eq!(out.status.code(), Some(2), "{target}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!("error: --output {target} is a directory; name a file in it\n")
        );
    }
    assert_eq!(zoom.request_count(), 0);
    assert_eq!(entries(&dir), ["to-dir"]);
}

#[tokio::test]
async fn sigint_while_streaming_into_dev_stdout_prints_the_stdout_hint_that_continues_exactly() {
    let zoom = fake(Duration::from_millis(40)).await;
    let dir = tempdir();
    let expected = reference(&zoom, &dir).await;
    let child = command(&zoom, &dir)
        .args(["--output", "/dev/stdout", "--prefetch", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let first = child.wait_with_output().await.unwrap();
    assert_eq!(first.status.code(), Some(130), "{}", stderr(&first));
    let err = stderr(&first);
    let (message, token) = err
        .trim_end()
        .split_once(" --resume-from ")
        .expect("a resume hint");
    assert_eq!(message, "error: interrupted by SIGINT; continue with");
    assert!(!token.contains(' '), "one word: {token}");
    let written = String::from_utf8(first.stdout.clone()).unwrap();
    let lines = written.lines().count();
    assert!(
        lines > 0 && lines < 1_000 && lines.is_multiple_of(100),
        "{lines}"
    );
    assert!(entries(&dir).is_empty(), "nothing left behind");
    let mut cmd = command(&zoom, &dir);
    cmd.args(["--resume-from", token.trim_matches('\'')]);
    let rest = finish(cmd).await;
    assert!(rest.status.success(), "{}", stderr(&rest));
    assert!(
        [first.stdout, rest.stdout].concat() == expected,
        "nothing lost, nothing repeated"
    );
}
