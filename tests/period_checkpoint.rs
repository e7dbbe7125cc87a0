//! A durable period export's checkpoint stays small and constant however many instances
//! the period holds: the instance list is saved once in a file of its own, and each save
//! writes only a place in that list and the checkpoint of the instance in progress.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use tokio::process::Command;
use zoom_participants::fake::{FakeWebinar, FakeZoom};

/// `count` instances in January 2026, one participant each (all UUIDs of one length).
async fn period(count: u32) -> FakeZoom {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut builder = FakeZoom::builder();
    for n in 0..count {
        builder = builder.listed_webinar(FakeWebinar {
            uuid: format!("inst{n:06}AAAAAAAAAAAAA=="),
            id: 80_000_000_000 + u64::from(n),
            topic: "Office hours".into(),
            start_time: start + chrono::Duration::seconds(i64::from(n) * 240),
            participants: 1,
            duration: None,
        });
    }
    builder.start().await.unwrap()
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zoom-participants-period-checkpoint-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn export(zoom: &FakeZoom, target: &Path, max_requests: Option<u64>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
        .env("ZOOM_RATE_LIMIT", "off")
        .args(["--from", "2026-01-01", "--to", "2026-01-31"])
        .arg("--output")
        .arg(target)
        .kill_on_drop(true);
    if let Some(max) = max_requests {
        cmd.args(["--max-requests", &max.to_string()]);
    }
    tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI starts")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn with_suffix(target: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", target.display()))
}

/// The checkpoint's size, and the instance file's size, inode and modification time.
fn files(target: &Path) -> (u64, (u64, u64, i64, i64)) {
    let checkpoint = std::fs::metadata(with_suffix(target, ".part.checkpoint")).unwrap();
    let instances = std::fs::metadata(with_suffix(target, ".part.instances")).unwrap();
    (
        checkpoint.len(),
        (
            instances.len(),
            instances.ino(),
            instances.mtime(),
            instances.mtime_nsec(),
        ),
    )
}

/// List requests of a period of `count` instances (300 a page, one month).
fn list_requests(count: u64) -> u64 {
    count.div_ceil(300)
}

#[tokio::test]
async fn the_checkpoint_is_the_same_size_at_100_and_at_10_000_instances_and_reruns_are_exact() {
    let dir = tempdir();
    let mut sizes = Vec::new();
    for count in [100u32, 10_000] {
        let zoom = period(count).await;
        let reference = dir.join(format!("reference-{count}"));
        let out = export(&zoom, &reference, None).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let rows = std::fs::read_to_string(&reference).unwrap().lines().count();
        assert_eq!(rows, count as usize);

        // Stopped by the request budget about 60 instances in (exit 4, resumable).
        let target = dir.join(format!("export-{count}"));
        let lists = list_requests(u64::from(count));
        let out = export(&zoom, &target, Some(lists + 60)).await;
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        let (early, instances) = files(&target);
        assert!(
            instances.0 > u64::from(count) * 80,
            "the instances are saved: {} bytes",
            instances.0
        );
        sizes.push(early);
        if count == 10_000 {
            // Far into the list: the checkpoint has not grown, the instance file was
            // written once and never again.
            let out = export(&zoom, &target, Some(9_900)).await;
            assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
            let (late, again) = files(&target);
            assert_eq!(again, instances, "the instance file is not written again");
            sizes.push(late);
        }
        let before = zoom.list_requests().len();
        let out = export(&zoom, &target, None).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(zoom.list_requests().len(), before, "never listed again");
        assert!(
            std::fs::read(&target).unwrap() == std::fs::read(&reference).unwrap(),
            "{count}: byte-identical to the uninterrupted export"
        );
        for suffix in [".part", ".part.checkpoint", ".part.instances"] {
            assert!(
                !with_suffix(&target, suffix).exists(),
                "{suffix} is removed"
            );
        }
    }
    // [100 at ~60 done, 10,000 at ~60 done, 10,000 at ~9,860 done]: the same few hundred
    // bytes (counters written in decimal grow by a digit or two, the part file's size by
    // three).
    eprintln!("checkpoint bytes per save: {sizes:?}");
    assert!(sizes.iter().all(|s| *s < 1_024), "{sizes:?}");
    let spread = sizes.iter().max().unwrap() - sizes.iter().min().unwrap();
    assert!(spread <= 12, "{sizes:?}");
}

#[tokio::test]
async fn a_damaged_or_missing_instance_file_is_refused_with_one_line_and_restart_starts_over() {
    let dir = tempdir();
    let zoom = period(40).await;
    let target = dir.join("export");
    let out = export(&zoom, &target, Some(1 + 10)).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let instances = with_suffix(&target, ".part.instances");
    let mut text = std::fs::read_to_string(&instances).unwrap();
    text = text.replacen("inst000003", "inst000099", 1);
    std::fs::write(&instances, text).unwrap();
    let out = export(&zoom, &target, None).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: the period's saved instances are not the ones the checkpoint names; rerun with --restart to start the export over\n"
    );
    std::fs::remove_file(&instances).unwrap();
    let out = export(&zoom, &target, None).await;
    assert_eq!(
        stderr(&out),
        "error: the period's saved instances are missing; rerun with --restart to start the export over\n"
    );
    assert_eq!(out.status.code(), Some(1));
    let restarted = {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
        cmd.env_clear()
            .env("ZOOM_BASE_URL", zoom.base_url())
            .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
            .env("ZOOM_RATE_LIMIT", "off")
            .args(["--from", "2026-01-01", "--to", "2026-01-31", "--restart"])
            .arg("--output")
            .arg(&target);
        cmd.output().await.unwrap()
    };
    assert_eq!(restarted.status.code(), Some(0), "{}", stderr(&restarted));
    assert_eq!(
        std::fs::read_to_string(&target).unwrap().lines().count(),
        40
    );
}
