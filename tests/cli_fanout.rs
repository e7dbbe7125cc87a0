//! A fan-out on standard output: a failing webinar's line says how to continue it alone.

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;
use zoom_participants::Participant;
use zoom_participants::fake::{FakeZoom, Fault};

fn command(zoom: &FakeZoom) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zoom-participants"));
    cmd.env_clear()
        .env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
        .env("ZOOM_RATE_LIMIT", "off")
        .args(["--page-size", "10"])
        .kill_on_drop(true);
    cmd
}

async fn run(zoom: &FakeZoom, args: &[&str]) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command(zoom).args(args).output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI starts")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Each NDJSON row as (its `webinar_id` tag, the participant without it). The tag is
/// taken off the text (it comes first), so that the row is parsed as the CLI passed it.
fn tagged_rows(out: &Output) -> Vec<(Option<String>, Participant)> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| {
            let tag: Option<String> = serde_json::from_str::<Value>(line).unwrap()["webinar_id"]
                .as_str()
                .map(str::to_owned);
            let row = match &tag {
                Some(id) => format!(
                    "{{{}",
                    line.strip_prefix(&format!("{{\"webinar_id\":\"{id}\","))
                        .unwrap()
                ),
                None => line.to_owned(),
            };
            (tag, serde_json::from_str(&row).unwrap())
        })
        .collect()
}

fn cannot_access() -> Fault {
    Fault::Zoom {
        status: 400,
        code: 3000,
        message: "Cannot access webinar info.".into(),
    }
}

/// What a POSIX shell makes of `words`: the hint must paste back as printed.
fn shell_words(words: &str) -> Vec<String> {
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("printf '%s\\n' {words}")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_failing_webinar_of_a_fan_out_gets_a_hint_that_continues_it_exactly() {
    let zoom = FakeZoom::builder()
        .webinar("111", 50)
        .webinar("222", 30)
        .start()
        .await
        .unwrap();
    // 111's third page answers 400 with code 3000 (not a token error).
    zoom.push_fault_for("111", 3, cannot_access());
    let out = run(&zoom, &["--webinar", "111", "--webinar", "222"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // 222 completes; 111 has its first two pages, in the order given.
    let expected_111 = zoom.expected_participants("111", false);
    let mut expected: Vec<(Option<String>, Participant)> = expected_111[..20]
        .iter()
        .map(|p| (Some("111".to_owned()), p.clone()))
        .collect();
    expected.extend(
        zoom.expected_participants("222", false)
            .into_iter()
            .map(|p| (Some("222".to_owned()), p)),
    );
    let got = tagged_rows(&out);
    assert_eq!(got.len(), expected.len());
    for (n, (got, expected)) in got.iter().zip(&expected).enumerate() {
        assert!(got == expected, "row {n}: {:?} {:?}", got.0, got.1.id);
    }

    // One line, naming the cause and the exact way to continue 111.
    let token = zoom
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/metrics/webinars/111/participants")
        .nth(2)
        .and_then(|r| r.query_value("next_page_token").map(str::to_owned))
        .expect("the third page was asked for with a token");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let (message, hint) = err
        .trim_end()
        .split_once("; resume with ")
        .expect("a resume hint");
    assert_eq!(
        message,
        "error: webinar 111: Zoom answered HTTP 400 (code 3000): Cannot access webinar info."
    );
    let words = shell_words(hint);
    assert_eq!(words, ["--webinar", "111", "--resume-from", token.as_str()]);

    // Running the hint continues 111 exactly: its pages 3 to 5, nothing repeated.
    let word_refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let rest = run(&zoom, &word_refs).await;
    assert_eq!(rest.status.code(), Some(0), "{}", stderr(&rest));
    let rest_rows: Vec<Participant> = tagged_rows(&rest)
        .into_iter()
        .map(|(tag, p)| {
            assert_eq!(tag, None, "one webinar: no tag");
            p
        })
        .collect();
    assert!(rest_rows == expected_111[20..], "111's last 30 rows");
}

#[tokio::test]
async fn no_hint_for_a_webinar_that_failed_on_its_first_page_or_on_a_dead_token() {
    let zoom = FakeZoom::builder()
        .webinar("111", 50)
        .webinar("222", 30)
        .webinar("333", 20)
        .start()
        .await
        .unwrap();
    zoom.push_fault_for("111", 3, cannot_access());
    zoom.push_fault_for("333", 1, cannot_access());
    zoom.push_fault_for(
        "222",
        2,
        Fault::Zoom {
            status: 400,
            code: 300,
            message: "The next page token is invalid or expired.".into(),
        },
    );
    let out = run(
        &zoom,
        &["--webinar", "111", "--webinar", "222", "--webinar", "333"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    let hint = lines[0]
        .split_once("; resume with ")
        .map(|(_, hint)| shell_words(hint))
        .expect("111 has a hint");
    assert_eq!(hint[..3], ["--webinar", "111", "--resume-from"]);
    assert_eq!(
        lines[1..],
        [
            "error: webinar 222: Zoom answered HTTP 400 (code 300): The next page token is invalid or expired.",
            "error: webinar 333: Zoom answered HTTP 400 (code 3000): Cannot access webinar info.",
            "error: 3 webinars failed (see above)",
        ]
    );
    let tags: Vec<Option<String>> = tagged_rows(&out).into_iter().map(|(t, _)| t).collect();
    let count = |id: &str| tags.iter().filter(|t| t.as_deref() == Some(id)).count();
    assert_eq!((count("111"), count("222"), count("333")), (20, 10, 0));
}

#[tokio::test]
async fn a_fan_out_hint_carries_what_is_left_of_the_limit() {
    let zoom = FakeZoom::builder()
        .webinar("111", 50)
        .webinar("222", 30)
        .start()
        .await
        .unwrap();
    zoom.push_fault_for("111", 3, cannot_access());
    let out = run(
        &zoom,
        &["--webinar", "111", "--webinar", "222", "--limit", "45"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // 111 wrote 20 rows before it failed: 25 are left for the rerun, and 222 took them.
    assert_eq!(tagged_rows(&out).len(), 45);
    let err = stderr(&out);
    let hint = err
        .trim_end()
        .split_once("; resume with ")
        .map(|(_, hint)| shell_words(hint))
        .expect("a hint");
    assert_eq!(hint[4..], ["--limit", "25"]);
}

#[tokio::test]
async fn a_failing_meeting_of_a_mixed_fan_out_gets_a_meeting_hint_that_continues_it() {
    let zoom = FakeZoom::builder()
        .webinar("111", 20)
        .meeting("222", 50)
        .start()
        .await
        .unwrap();
    zoom.push_fault_for("222", 3, cannot_access());
    let args = ["--webinar", "111", "--meeting", "222", "--type", "past"];
    let out = run(&zoom, &args).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let token = zoom
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/metrics/meetings/222/participants")
        .nth(2)
        .and_then(|r| r.query_value("next_page_token").map(str::to_owned))
        .expect("the meeting's third page was asked for with a token");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let (message, hint) = err
        .trim_end()
        .split_once("; resume with ")
        .expect("a resume hint");
    assert_eq!(
        message,
        "error: meeting 222: Zoom answered HTTP 400 (code 3000): Cannot access webinar info."
    );
    assert_eq!(
        shell_words(hint),
        ["--meeting", "222", "--resume-from", token.as_str()]
    );
    // The webinar whole, then the meeting's first two pages, each tagged with its own ID.
    let lines: Vec<Value> = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 20 + 20);
    assert!(lines[..20].iter().all(|l| l["webinar_id"] == "111"));
    assert!(lines[20..].iter().all(|l| l["meeting_id"] == "222"));
    assert!(
        lines
            .iter()
            .all(|l| l.get("webinar_id").is_none() || l.get("meeting_id").is_none())
    );

    // The hint, with the type the run had, continues the meeting exactly.
    let mut words = shell_words(hint);
    words.extend(["--type".to_owned(), "past".to_owned()]);
    let word_refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let rest = run(&zoom, &word_refs).await;
    assert_eq!(rest.status.code(), Some(0), "{}", stderr(&rest));
    let rest: Vec<Participant> = String::from_utf8(rest.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rest == zoom.expected_meeting_participants("222", false)[20..]);
}

#[tokio::test]
async fn a_limit_over_many_instances_requests_no_page_beyond_the_last_row() {
    let zoom = FakeZoom::builder()
        .webinar("111", 25)
        .webinar("222", 25)
        .webinar("333", 25)
        .meeting("444", 25)
        .start()
        .await
        .unwrap();
    let cases: [(&[&str], usize); 3] = [
        // The first row is on 111's first page: that page alone.
        (
            &[
                "--webinar",
                "111",
                "--webinar",
                "222",
                "--webinar",
                "333",
                "--limit",
                "1",
            ],
            1,
        ),
        // 25 from 111 (3 pages of 10) and 5 from 222's first page.
        (
            &[
                "--webinar",
                "111",
                "--webinar",
                "222",
                "--webinar",
                "333",
                "--limit",
                "30",
            ],
            4,
        ),
        // Across kinds: the meeting is not asked for at all.
        (
            &[
                "--webinar",
                "111",
                "--meeting",
                "444",
                "--type",
                "past",
                "--limit",
                "3",
            ],
            1,
        ),
    ];
    for (args, requests) in cases {
        let before = zoom.request_count();
        let out = run(&zoom, args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let limit: usize = args[args.len() - 1].parse().unwrap();
        assert_eq!(tagged_rows(&out).len(), limit, "{args:?}");
        assert_eq!(zoom.request_count() - before, requests, "{args:?}");
    }
}

#[tokio::test]
async fn sigint_in_a_fan_out_on_stdout_names_how_to_continue_each_instance_exactly() {
    let zoom = FakeZoom::builder()
        .webinar("111", 3_000)
        .webinar("222", 30)
        .meeting("333", 30)
        .latency(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let selection = [
        "--webinar",
        "111",
        "--webinar",
        "222",
        "--meeting",
        "333",
        "--type",
        "past",
    ];
    let child = command(&zoom)
        .args(selection)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let first = tagged_rows(&out);
    assert!(
        !first.is_empty() && first.len() < 3_000,
        "cut in 111: {}",
        first.len()
    );
    assert_eq!(first.len() % 10, 0, "stopped at a page end");
    // `continue with --webinar 111 --resume-from 'T', then the ones not finished: --webinar 222 --meeting 333`
    let (head, rest) = err
        .trim()
        .split_once(", then the ones not finished: ")
        .expect("two parts");
    assert_eq!(rest, "--webinar 222 --meeting 333");
    let words: Vec<String> = head
        .split("continue with ")
        .nth(1)
        .unwrap()
        .split(' ')
        .map(|w| w.trim_matches('\'').to_owned())
        .collect();
    assert_eq!(words[..3], ["--webinar", "111", "--resume-from"]);
    let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
    args.extend(["--type", "past"]);
    let continued = run(&zoom, &args).await;
    assert!(continued.status.success(), "{}", stderr(&continued));
    let mut then: Vec<&str> = rest.split(' ').collect();
    then.extend(["--type", "past"]);
    let finished = run(&zoom, &then).await;
    assert!(finished.status.success(), "{}", stderr(&finished));

    // Together, exactly the rows of an uninterrupted run, in order.
    let all = run(&zoom, &selection).await;
    let untagged = |out: &Output| -> Vec<Participant> {
        tagged_rows(out).into_iter().map(|(_, p)| p).collect()
    };
    let mut joined = untagged(&out);
    joined.extend(untagged(&continued));
    joined.extend(untagged(&finished));
    assert_eq!(joined, untagged(&all), "nothing lost, nothing repeated");
}
