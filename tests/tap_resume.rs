//! The tap's exactly-once promise against the fake Zoom: kill -9 at random moments and a
//! rerun from the last STATE read, a STATE used after its page token died, a spent request
//! budget, and incremental runs with instances ending in between.
#![cfg(feature = "cli")]

mod tap_support;

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tap_support::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use zoom_participants::fake::FakeWebinar;

/// Every record of a run's messages as (stream, record), in order.
fn all_records(messages: &[Value]) -> Vec<(String, Value)> {
    messages
        .iter()
        .filter(|m| m["type"] == "RECORD")
        .map(|m| {
            (
                m["stream"].as_str().unwrap_or_default().to_owned(),
                m["record"].clone(),
            )
        })
        .collect()
}

/// The records before the last STATE, and that STATE: what a target has committed.
fn committed(messages: &[Value]) -> (Vec<(String, Value)>, Option<Value>) {
    match messages.iter().rposition(|m| m["type"] == "STATE") {
        Some(last) => (
            all_records(&messages[..last]),
            Some(messages[last]["value"].clone()),
        ),
        None => (Vec::new(), None),
    }
}

#[tokio::test]
async fn kill_9_at_random_moments_and_a_rerun_from_the_last_state_emit_exactly_the_rest() {
    let zoom = fake_with(ended_instances(), |b| {
        ended_meetings()
            .into_iter()
            .fold(b.latency(Duration::from_millis(15)), |b, m| {
                b.listed_meeting(m)
            })
    })
    .await;
    let dir = scratch("kill");
    let config = config(&zoom, &dir, json!({}));
    let reference = all_records(&messages(&sync(&config, None, None).await));
    assert_eq!(reference.len(), 4 + 991 + 3 + 621);

    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut got: Vec<(String, Value)> = Vec::new();
    let mut state: Option<Value> = None;
    let mut kills = 0;
    for attempt in 0..200 {
        let mut command = tokio::process::Command::new(TAP);
        command
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(state) = &state {
            let path = state_file(&dir, &format!("state-{attempt}.json"), state);
            command.arg("--state").arg(path);
        }
        let mut child = command.spawn().expect("the tap starts");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        // Killed after a random number of lines (sometimes at once), or run to its end.
        let kill_after = if attempt < 12 {
            Some(rng.usize(0..500))
        } else {
            None
        };
        let mut read = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            read.push(serde_json::from_str::<Value>(&line).expect("a Singer message"));
            if kill_after.is_some_and(|k| read.len() > k) {
                break;
            }
        }
        if kill_after.is_some() {
            child.start_kill().expect("SIGKILL");
            kills += 1;
        }
        let status = child.wait().await.expect("the tap ends");
        let (records, last) = committed(&read);
        got.extend(records);
        if last.is_some() {
            state = last;
        }
        if kill_after.is_none() {
            assert_eq!(status.code(), Some(0));
            break;
        }
    }
    assert!(kills >= 12);
    assert_eq!(got.len(), reference.len(), "seed {seed}");
    assert!(
        got == reference,
        "seed {seed}: not the same records in the same order"
    );
}

#[tokio::test]
async fn a_spent_budget_stops_with_a_state_and_a_dead_page_token_is_rewalked() {
    let instances = vec![instance("Tk3nEx5pIr6eD7==", 84_000_000_001, DAY, HOUR, 900)];
    let zoom = fake_with(instances, |b| b.page_token_ttl(Duration::from_millis(800))).await;
    let dir = scratch("budget");
    // The list, then two pages of participants; the third is over the budget.
    let limited = config(&zoom, &dir, json!({ "max_requests": 3 }));
    let first = sync(&limited, None, None).await;
    assert_eq!(first.status.code(), Some(4), "{}", stderr(&first));
    let err = stderr(&first);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("budget"), "{err}");
    let first = messages(&first);
    assert_eq!(
        first.last().map(|m| m["type"].clone()),
        Some(json!("STATE"))
    );
    let (before, state) = committed(&first);
    assert_eq!(before.len(), 1 + 600);
    let state = state.unwrap_or_default();
    let checkpoint = &state["in_progress"]["webinars"]["instance"]["participants"];
    assert_eq!(checkpoint["yielded"], 600);
    assert_eq!(zoom.request_count(), 2);

    // The page token of the third page dies; the rerun walks pages one and two again,
    // checks them against the checkpoint, and goes on.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let state = state_file(&dir, "state.json", &state);
    let unlimited = config(&zoom, &dir, json!({}));
    let second = sync(&unlimited, Some(&state), None).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let after = all_records(&messages(&second));
    assert_eq!(after.len(), 300);
    let requests = zoom.requests();
    assert_eq!(requests.len(), 2 + 4, "dead token, page 1, page 2, page 3");
    assert!(requests[2].query_value("next_page_token").is_some());
    assert_eq!(requests[3].query_value("next_page_token"), None);

    let served = served_instances(&zoom);
    let mut rows: Vec<Value> = before[1..]
        .iter()
        .map(|(_, r)| participant_as_served(r))
        .collect();
    rows.extend(after.iter().map(|(_, r)| participant_as_served(r)));
    assert_eq!(rows, served_participants(&zoom, &served));
}

fn at(uuid: &str, id: u64, start: chrono::DateTime<chrono::Utc>, ran: Duration) -> FakeWebinar {
    FakeWebinar {
        uuid: uuid.into(),
        id,
        topic: format!("Topic of {uuid}"),
        start_time: start,
        participants: 7,
        duration: Some(ran),
    }
}

#[tokio::test]
async fn incremental_runs_emit_each_instance_once_after_it_ended() {
    let base = now();
    let hours = |h: u64| Duration::from_secs(h * 3_600);
    let secs = |s: u64| Duration::from_secs(s);
    let ended = at("A1ended==", 1, base - chrono::Duration::days(3), hours(1));
    // Both started before the first run and end, at the same instant, after it.
    let long = at(
        "B2endsLater==",
        2,
        base - chrono::Duration::hours(1),
        hours(1) + secs(4),
    );
    let short = at(
        "D4endsLater==",
        4,
        base - chrono::Duration::minutes(30),
        secs(1_804),
    );
    let zoom = fake(vec![ended, long, short]).await;
    let dir = scratch("incremental");
    let config = config(&zoom, &dir, json!({}));

    let first = messages(&sync(&config, None, None).await);
    let uuids = |messages: &[Value]| -> Vec<String> {
        records(messages, "webinars")
            .iter()
            .filter_map(|r| r["uuid"].as_str().map(str::to_owned))
            .collect()
    };
    let rows_of = |messages: &[Value]| -> Vec<String> {
        records(messages, "webinar_participants")
            .iter()
            .map(|r| {
                format!(
                    "{}#{}",
                    r["webinar_uuid"].as_str().unwrap_or_default(),
                    r["row_index"]
                )
            })
            .collect()
    };
    assert_eq!(uuids(&first), ["A1ended=="]);
    assert_eq!(rows_of(&first).len(), 7);

    // Meanwhile the two end, and one that started long before ends too (listed late).
    let lists_before = zoom.list_requests().len();
    tokio::time::sleep(
        Duration::from_secs(5)
            .saturating_sub((chrono::Utc::now() - base).to_std().unwrap_or_default()),
    )
    .await;
    zoom.list_webinar(at(
        "C3startedEarly==",
        3,
        base - chrono::Duration::hours(10),
        hours(10) + secs(2),
    ));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let state1 = state_file(&dir, "state1.json", &last_state(&first));
    let second = messages(&sync(&config, Some(&state1), None).await);
    assert_eq!(
        uuids(&second),
        ["C3startedEarly==", "B2endsLater==", "D4endsLater=="],
        "by end time, then UUID"
    );
    assert_eq!(rows_of(&second).len(), 21);
    assert!(rows_of(&second).iter().all(|r| !r.starts_with("A1ended")));
    // It listed from two days before the first run's bookmark.
    let through: chrono::DateTime<chrono::Utc> =
        last_state(&first)["bookmarks"]["webinars"]["ended_through"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or_default();
    let from = (through - chrono::Duration::hours(48))
        .date_naive()
        .to_string();
    assert_eq!(
        zoom.list_requests()[lists_before].query_value("from"),
        Some(from.as_str())
    );

    let state2 = state_file(&dir, "state2.json", &last_state(&second));
    let requests = zoom.request_count();
    let third = messages(&sync(&config, Some(&state2), None).await);
    assert!(records(&third, "webinars").is_empty());
    assert!(records(&third, "webinar_participants").is_empty());
    assert_eq!(zoom.request_count(), requests);
    // Its bookmark still knows the ones that ended within the last hour.
    let state3 = last_state(&third);
    let done: Vec<&str> = state3["bookmarks"]["webinar_participants"]["done"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["uuid"].as_str())
        .collect();
    assert_eq!(done, ["C3startedEarly==", "B2endsLater==", "D4endsLater=="]);
}

#[tokio::test]
async fn a_walk_left_unfinished_waits_while_its_streams_are_not_selected() {
    let zoom = fake(ended_instances()).await;
    let dir = scratch("unselected-walk");
    let limited = config(&zoom, &dir, json!({ "max_requests": 3 }));
    let first = sync(&limited, None, None).await;
    assert_eq!(first.status.code(), Some(4), "{}", stderr(&first));
    let (mut got, state) = committed(&messages(&first));
    let state = state.unwrap_or_default();
    assert_eq!(
        state["in_progress"]["webinars"]["instance"]["participants"]["yielded"],
        600
    );

    // Only the meeting streams: the webinar walk is neither run nor dropped.
    let unlimited = config(&zoom, &dir, json!({}));
    let meetings = catalog_selecting(&unlimited, &dir, &["meetings", "meeting_participants"]).await;
    let requests = zoom.request_count();
    let path = state_file(&dir, "state1.json", &state);
    let second = sync(&unlimited, Some(&path), Some(&meetings)).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let second = messages(&second);
    assert!(all_records(&second).is_empty());
    assert_eq!(zoom.request_count(), requests);
    let state2 = last_state(&second);
    assert_eq!(
        state2["in_progress"]["webinars"],
        state["in_progress"]["webinars"]
    );

    // Selected again, it goes on exactly where it stood.
    let path = state_file(&dir, "state2.json", &state2);
    let third = sync(&unlimited, Some(&path), None).await;
    assert_eq!(third.status.code(), Some(0), "{}", stderr(&third));
    got.extend(all_records(&messages(&third)));
    let served = served_instances(&zoom);
    let webinars: Vec<Value> = got
        .iter()
        .filter(|(s, _)| s == "webinars")
        .map(|(_, r)| as_served(r, &[]))
        .collect();
    assert_eq!(webinars, served);
    let rows: Vec<Value> = got
        .iter()
        .filter(|(s, _)| s == "webinar_participants")
        .map(|(_, r)| participant_as_served(r))
        .collect();
    assert_eq!(rows, served_participants(&zoom, &served));
}
