//! Durable exports of the meeting and Report API sources: `kill -9` at random moments then
//! a rerun gives the file of an uninterrupted run, byte for byte, with nothing left behind;
//! and a report export crosses Zoom's page-token expiry, through the library's
//! `checkpoint()`/`resume()` (a verified re-walk) and through the binary's rerun.
#![cfg(feature = "cli")]

mod cli_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cli_support::*;
use futures::TryStreamExt;
use serde_json::Value;
use zoom_participants::fake::{FakeZoom, RecordedRequest, ReportKind};
use zoom_participants::{Checkpoint, Client, Error, RateLimit};

const WEBINAR: &str = "95204914252";
const MEETING: &str = "85746065432";

async fn fake(ttl: Duration) -> FakeZoom {
    FakeZoom::builder()
        .meeting(MEETING, 3_000)
        .webinar(WEBINAR, 1_000)
        .latency(Duration::from_millis(15))
        .page_token_ttl(ttl)
        .start()
        .await
        .unwrap()
}

fn part_of(target: &Path) -> PathBuf {
    PathBuf::from(format!("{}.part", target.display()))
}

fn checkpoint_of(target: &Path) -> PathBuf {
    PathBuf::from(format!("{}.part.checkpoint", target.display()))
}

#[tokio::test]
async fn kill_nine_at_random_moments_then_rerun_gives_the_exact_meeting_export() {
    let zoom = fake(Duration::from_secs(900)).await;
    let dir = tempdir("sources-durable");
    let page = ["--page-size", "100"];
    let cases: [Vec<&str>; 4] = [
        [&["--meeting", MEETING, "--type", "past"][..], &page].concat(),
        [
            &["--meeting", MEETING, "--type", "past", "--format", "csv"][..],
            &page,
        ]
        .concat(),
        [
            &["--webinar", WEBINAR, "--meeting", MEETING, "--type", "past"][..],
            &page,
        ]
        .concat(),
        [&["--source", "report", "--meeting", MEETING][..], &page].concat(),
    ];
    for (case, args) in cases.iter().enumerate() {
        let reference = dir.join(format!("reference-{case}"));
        let target = dir.join(format!("export-{case}"));
        let out = run(&zoom, &with_output(args, &reference)).await;
        assert_quiet_success(&out);
        let durable = with_output(args, &target);
        let mut cut = 0;
        for _ in 0..10 {
            let after = Duration::from_millis(fastrand::u64(20..150));
            if !kill_after(&zoom, &durable, after).await {
                cut += 1;
            }
            if target.exists() {
                break; // a run finished before its kill
            }
        }
        assert!(cut >= 3, "case {case}: only {cut} runs were cut short");
        if !target.exists() {
            let out = run(&zoom, &durable).await;
            assert_quiet_success(&out);
        }
        assert_eq!(
            std::fs::read(&target).unwrap(),
            std::fs::read(&reference).unwrap(),
            "case {case}: byte-identical after kills and a rerun"
        );
        assert!(!part_of(&target).exists() && !checkpoint_of(&target).exists());
    }
    // The references are the exact rows, so the exports are too.
    let text = |n: usize| std::fs::read_to_string(dir.join(format!("reference-{n}"))).unwrap();
    let meeting = texts(&zoom.expected_meeting_participants(MEETING, false));
    assert_eq!(text(0), ndjson_of(&meeting));
    let (header, records) = csv_of(text(1).as_bytes());
    assert_eq!(
        header,
        header_of(&[zoom_participants::Participant::FIELDS]),
        "one header"
    );
    let cells: Vec<Vec<String>> = meeting
        .iter()
        .map(|r| cells_of(r, zoom_participants::Participant::FIELDS))
        .collect();
    assert_eq!(records, cells);
    let mut mixed: Vec<String> = texts(&zoom.expected_participants(WEBINAR, false))
        .iter()
        .map(|r| tagged(&[("webinar_id", format!("{WEBINAR:?}"))], r))
        .collect();
    mixed.extend(
        meeting
            .iter()
            .map(|r| tagged(&[("meeting_id", format!("{MEETING:?}"))], r)),
    );
    assert_eq!(text(2), ndjson_of(&mixed));
    let report = zoom.expected_report_participants_raw(ReportKind::Meeting, MEETING, false);
    assert_eq!(text(3), ndjson_of(&report));
    let names: Vec<String> = (0..4)
        .flat_map(|n| [format!("export-{n}"), format!("reference-{n}")])
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(leftovers(&dir), names, "nothing else is left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether the checkpoint left for `target` names the saved instances of the period.
fn instances_saved(target: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(checkpoint_of(target)) else {
        return false;
    };
    let value: Value = serde_json::from_str(&text).expect("a checkpoint is JSON");
    fn find(value: &Value) -> bool {
        match value {
            Value::Object(map) => map
                .iter()
                .any(|(k, v)| (k == "instances" && !v.is_null()) || find(v)),
            Value::Array(items) => items.iter().any(find),
            _ => false,
        }
    }
    find(&value)
}

#[tokio::test]
async fn kill_nine_then_rerun_of_a_meeting_period_gives_the_exact_file_listing_once() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let dir = tempdir("meeting-period-durable");
    let (from, to) = ("2026-01-01", "2026-03-31");
    let args = ["--meetings", "--from", from, "--to", to, "--page-size", "5"];
    let reference = dir.join("reference");
    let target = dir.join("export");
    let out = run(&zoom, &with_output(&args, &reference)).await;
    assert_quiet_success(&out);
    let durable = with_output(&args, &target);
    let mut cut = 0;
    let mut listed_before_kill = 0;
    for _ in 0..8 {
        let saved = instances_saved(&target);
        let lists = zoom.list_requests().len();
        let after = Duration::from_millis(fastrand::u64(20..600));
        if !kill_after(&zoom, &durable, after).await {
            cut += 1;
        }
        if saved {
            listed_before_kill += 1;
            assert_eq!(
                zoom.list_requests().len(),
                lists,
                "the list is not requested again once its instances are saved"
            );
        }
        if target.exists() {
            break;
        }
    }
    assert!(cut >= 3, "only {cut} runs were cut short");
    assert!(
        listed_before_kill >= 1,
        "a killed run had saved the instances"
    );
    if !target.exists() {
        let saved = instances_saved(&target);
        let lists = zoom.list_requests().len();
        let out = run(&zoom, &durable).await;
        assert_quiet_success(&out);
        if saved {
            assert_eq!(zoom.list_requests().len(), lists, "the rerun lists nothing");
        }
    }
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&reference).unwrap(),
        "byte-identical after kills and a rerun"
    );
    assert_eq!(leftovers(&dir), ["export", "reference"]);

    // And the reference is the period's rows, each tagged with its instance.
    let mut want = Vec::new();
    let (f, t) = (from.parse().unwrap(), to.parse().unwrap());
    for meeting in zoom.expected_meetings(f, t) {
        let uuid = meeting["uuid"].as_str().unwrap();
        let tags = [
            ("meeting_uuid", meeting["uuid"].to_string()),
            ("meeting_id", meeting["id"].to_string()),
            ("meeting_topic", meeting["topic"].to_string()),
            ("meeting_start_time", meeting["start_time"].to_string()),
        ];
        for row in texts(&zoom.expected_meeting_participants(uuid, false)) {
            want.push(tagged(&tags, &row));
        }
    }
    assert_eq!(want.len(), 528);
    assert_eq!(
        std::fs::read_to_string(&reference).unwrap(),
        ndjson_of(&want)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn client(zoom: &FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .build()
        .unwrap()
}

/// The report's raw rows of `id` in pages of 5, from `checkpoint` if given.
fn report_stream(
    zoom: &FakeZoom,
    kind: ReportKind,
    id: &str,
    checkpoint: Option<Checkpoint>,
) -> zoom_participants::ParticipantStream<zoom_participants::RawRow> {
    let client = client(zoom);
    let request = match kind {
        ReportKind::Webinar => client.report_webinar_participants(id),
        ReportKind::Meeting => client.report_meeting_participants(id),
    }
    .page_size(5);
    match checkpoint {
        Some(checkpoint) => request.resume(checkpoint).stream_raw(),
        None => request.stream_raw(),
    }
}

fn tokens(requests: &[RecordedRequest]) -> Vec<Option<String>> {
    requests
        .iter()
        .map(|r| r.query_value("next_page_token").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_report_checkpoint_resumes_exactly_after_the_tokens_expired() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 15)
        .meeting(MEETING, 15)
        .page_token_ttl(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let cases = [
        (ReportKind::Webinar, WEBINAR),
        (ReportKind::Meeting, MEETING),
    ];
    // Mid page 1, at the end of page 1, mid page 2, at the end of page 2, mid page 3.
    let positions = [3usize, 5, 7, 10, 12];
    let mut taken = Vec::new();
    for (kind, id) in cases {
        let expected = zoom.expected_report_participants_raw(kind, id, false);
        for n in positions {
            let mut stream = report_stream(&zoom, kind, id, None);
            for row in &expected[..n] {
                let got = stream.try_next().await.unwrap().expect("a row");
                assert_eq!(got.as_str(), row);
            }
            let text = serde_json::to_string(&stream.checkpoint()).unwrap();
            let checkpoint: Checkpoint = serde_json::from_str(&text).unwrap();
            taken.push((kind, id, n, checkpoint));
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (kind, id, n, checkpoint) in taken.clone() {
        let expected = zoom.expected_report_participants_raw(kind, id, false);
        let saved = checkpoint.next_page_token().map(str::to_owned);
        let before = zoom.request_count();
        let rest: Vec<String> = report_stream(&zoom, kind, id, Some(checkpoint))
            .map_ok(|row| row.as_str().to_owned())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(rest, expected[n..], "{kind:?} after {n}");
        let requests = zoom.requests()[before..].to_vec();
        let path = match kind {
            ReportKind::Webinar => format!("/v2/report/webinars/{id}/participants"),
            ReportKind::Meeting => format!("/v2/report/meetings/{id}/participants"),
        };
        for r in &requests {
            assert_eq!(r.path, path);
            assert_eq!(r.query_value("page_size"), Some("5"));
            assert_eq!(r.query_value("type"), None, "the report takes no type");
        }
        let tokens = tokens(&requests);
        if n < 5 {
            assert_eq!(saved, None, "page 1 needs no token: nothing to re-walk");
            assert_eq!(tokens.len(), 3, "{kind:?} after {n}: {tokens:?}");
            assert_eq!(tokens[0], None);
        } else {
            // The dead token, refused; then from page 1 again (its rows verified, not
            // yielded), then on to the end with fresh tokens.
            let saved = saved.expect("a token past page 1");
            assert_eq!(tokens.len(), 4, "{kind:?} after {n}: {tokens:?}");
            assert_eq!(tokens[0].as_deref(), Some(saved.as_str()));
            assert_eq!(tokens[1], None, "the re-walk starts at page 1");
            assert!(
                tokens[2..]
                    .iter()
                    .all(|t| t.is_some() && t.as_deref() != Some(saved.as_str()))
            );
        }
    }

    // Other rows behind the dead tokens: the re-walk sees it and stops, yielding nothing.
    zoom.set_seed(7);
    for (kind, id, n, checkpoint) in taken {
        if n < 5 {
            continue;
        }
        let mut stream = report_stream(&zoom, kind, id, Some(checkpoint));
        let err = stream.try_next().await.unwrap_err();
        assert!(
            matches!(err, Error::ListChanged { .. }),
            "{kind:?} {n}: {err:?}"
        );
        assert_eq!(stream.try_next().await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_durable_report_export_reruns_after_the_tokens_expired() {
    let zoom = fake(Duration::from_millis(300)).await;
    let dir = tempdir("report-expiry");
    let cases: [(ReportKind, Vec<&str>); 2] = [
        (
            ReportKind::Meeting,
            vec![
                "--source",
                "report",
                "--meeting",
                MEETING,
                "--page-size",
                "100",
            ],
        ),
        (
            ReportKind::Webinar,
            vec![
                "--source",
                "report",
                "--webinar",
                WEBINAR,
                "--page-size",
                "25",
                "--format",
                "csv",
            ],
        ),
    ];
    for (case, (kind, args)) in cases.iter().enumerate() {
        let id = if *kind == ReportKind::Meeting {
            MEETING
        } else {
            WEBINAR
        };
        let reference = dir.join(format!("reference-{case}"));
        let target = dir.join(format!("export-{case}"));
        let out = run(&zoom, &with_output(args, &reference)).await;
        assert_quiet_success(&out);
        let durable = with_output(args, &target);
        assert!(!kill_after(&zoom, &durable, Duration::from_millis(250)).await);
        assert!(checkpoint_of(&target).exists(), "case {case}");
        let kept = std::fs::read(part_of(&target)).unwrap();
        assert!(!kept.is_empty(), "case {case}: rows before the kill");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let before = zoom.request_count();
        let out = run(&zoom, &durable).await;
        assert_quiet_success(&out);
        assert_eq!(
            std::fs::read(&target).unwrap(),
            std::fs::read(&reference).unwrap(),
            "case {case}"
        );
        let rerun = &zoom.requests()[before..];
        let pages = zoom
            .expected_report_participants_raw(*kind, id, false)
            .len()
            .div_ceil(if case == 0 { 100 } else { 25 });
        assert!(
            rerun[0].query_value("next_page_token").is_some(),
            "the saved token first"
        );
        assert_eq!(
            rerun[1].query_value("next_page_token"),
            None,
            "then page 1 again"
        );
        assert_eq!(
            rerun.len(),
            1 + pages,
            "case {case}: the dead token, then every page"
        );
        assert!(rerun.iter().all(|r| r.query_value("type").is_none()));
    }
    let report = zoom.expected_report_participants_raw(ReportKind::Meeting, MEETING, false);
    assert_eq!(
        std::fs::read_to_string(dir.join("reference-0")).unwrap(),
        ndjson_of(&report)
    );
    assert_eq!(
        leftovers(&dir),
        ["export-0", "export-1", "reference-0", "reference-1"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
