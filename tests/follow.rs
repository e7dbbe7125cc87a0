//! `ParticipantsRequest::follow` against the fake Zoom serving scripted live snapshots.
#![cfg(feature = "fake")]

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use zoom_participants::fake::FakeZoom;
use zoom_participants::webhook::{EventKind, InstanceKind, ParticipantEvent};
use zoom_participants::{Client, Participant, RateLimit, WebinarType};

const WEBINAR: &str = "95204914252";

/// Person `i`, connected since minute `i` of the session.
fn person(i: u32) -> Participant {
    serde_json::from_value(serde_json::json!({
        "id": format!("id-{i}"),
        "user_id": format!("u{i}"),
        "user_name": format!("Person {i}"),
        "participant_uuid": format!("pu-{i}"),
        "join_time": format!("2026-01-01T12:{i:02}:00Z"),
        "status": "in_meeting",
        "x_live_field": i,
    }))
    .expect("a participant")
}

fn snapshot(people: &[u32]) -> Vec<Participant> {
    people.iter().map(|&i| person(i)).collect()
}

fn client(zoom: &FakeZoom, rate: RateLimit) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(rate)
        .build()
        .expect("a client")
}

fn summary(events: &[ParticipantEvent]) -> Vec<(&'static str, String)> {
    events
        .iter()
        .map(|e| {
            let kind = match e.kind {
                EventKind::Joined => "joined",
                EventKind::Left => "left",
                EventKind::Other(_) => "other",
            };
            (kind, e.participant.user_id.clone().unwrap_or_default())
        })
        .collect()
}

/// Five snapshots, two people a page: several pages each but the last.
fn script() -> Vec<Vec<Participant>> {
    vec![
        snapshot(&[0, 1, 2]),
        snapshot(&[0, 1, 2, 3]),
        snapshot(&[0, 2, 3]),    // 1 missing from a paged walk: not yet
        snapshot(&[0, 2, 3, 4]), // 1 still missing: left; 4 joined
        snapshot(&[2, 4]),       // one page: 0 and 3 left at once
    ]
}

#[tokio::test]
async fn every_join_and_leave_once_then_the_end_of_the_session_ends_the_stream() {
    let zoom = FakeZoom::builder()
        .live_session(WEBINAR, script())
        .start()
        .await
        .expect("fake");
    let events: Vec<ParticipantEvent> = client(&zoom, RateLimit::unlimited())
        .webinar_participants(WEBINAR)
        .webinar_type(WebinarType::Past) // follow reads the live list whatever was set
        .page_size(2)
        .limit(1)
        .follow(Duration::from_millis(20))
        .try_collect()
        .await
        .expect("the follow ends cleanly");
    let j = |i: u32| ("joined", format!("u{i}"));
    let l = |i: u32| ("left", format!("u{i}"));
    assert_eq!(
        summary(&events),
        [
            j(0),
            j(1),
            j(2),
            j(3),
            j(4),
            l(1),
            l(0),
            l(3),
            // The session is over (404/3001): whoever is left leaves.
            l(2),
            l(4),
        ]
    );
    // The leave of 1 is dated to the first snapshot it was missing from.
    let ts = |k: usize| events[k].event_ts;
    assert!(ts(3) < ts(5) && ts(5) < ts(4), "{events:#?}");
    for event in &events {
        assert_eq!(event.instance.kind, InstanceKind::Webinar);
        assert_eq!(event.instance.id.as_deref(), Some(WEBINAR));
        let i: u32 = event.participant.user_id.as_deref().expect("an ID")[1..]
            .parse()
            .expect("a number");
        assert_eq!(
            event.participant,
            person(i),
            "the row as the live list sent it"
        );
        let name = match event.kind {
            EventKind::Joined => "webinar.participant_joined",
            _ => "webinar.participant_left",
        };
        assert_eq!(event.event, name);
    }
    let requests = zoom.requests();
    // 2 + 2 + 2 + 2 + 1 pages, then the walk that found the session over.
    assert_eq!(requests.len(), 10);
    for request in &requests {
        assert_eq!(request.query_value("type"), Some("live"));
        assert_eq!(request.query_value("page_size"), Some("2"));
        assert_eq!(
            request.path,
            format!("/v2/metrics/webinars/{WEBINAR}/participants")
        );
    }
}

#[tokio::test]
async fn the_rate_limit_holds_in_every_one_second_window() {
    let zoom = FakeZoom::builder()
        .live_session(WEBINAR, script())
        .start()
        .await
        .expect("fake");
    let events: Vec<ParticipantEvent> = client(&zoom, RateLimit::per_second(4.0))
        .webinar_participants(WEBINAR)
        .page_size(2)
        .follow(Duration::from_millis(10))
        .try_collect()
        .await
        .expect("the follow ends cleanly");
    assert_eq!(events.len(), 10);
    let times: Vec<_> = zoom.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 10);
    // The limiter spaces requests 250 ms apart; the fake stamps them on arrival, a few
    // milliseconds of loopback jitter later, so a window is 1 s less 10 ms of that jitter.
    let window = Duration::from_millis(990);
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < window)
            .count();
        let gaps: Vec<_> = times
            .windows(2)
            .map(|w| w[1].duration_since(w[0]))
            .collect();
        assert!(
            in_window <= 4,
            "{in_window} requests within one second: {gaps:?}"
        );
    }
    let span = times[9].duration_since(times[0]);
    assert!(
        span >= Duration::from_millis(2200),
        "10 requests at 4/s took {span:?}"
    );
}

#[tokio::test]
async fn snapshots_are_taken_no_more_often_than_the_interval() {
    let zoom = FakeZoom::builder()
        .live_session(WEBINAR, vec![snapshot(&[0]); 4])
        .start()
        .await
        .expect("fake");
    let started = std::time::Instant::now();
    let events: Vec<ParticipantEvent> = client(&zoom, RateLimit::unlimited())
        .webinar_participants(WEBINAR)
        .follow(Duration::from_millis(300))
        .try_collect()
        .await
        .expect("ends");
    assert_eq!(
        summary(&events),
        [("joined", "u0".into()), ("left", "u0".into())]
    );
    let times: Vec<_> = zoom.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 5);
    for pair in times.windows(2) {
        assert!(pair[1].duration_since(pair[0]) >= Duration::from_millis(290));
    }
    assert!(started.elapsed() >= Duration::from_millis(1190));
}

#[tokio::test]
async fn a_session_that_is_not_live_is_an_error() {
    let zoom = FakeZoom::builder()
        .live_session(WEBINAR, Vec::new())
        .start()
        .await
        .expect("fake");
    let mut follow = client(&zoom, RateLimit::unlimited())
        .webinar_participants(WEBINAR)
        .follow(Duration::from_millis(10));
    let err = follow.next().await.expect("an item").expect_err("not live");
    assert_eq!(err.http_status(), Some(404));
    assert_eq!(err.zoom_code(), Some(3001));
    assert!(follow.next().await.is_none());
}

#[tokio::test]
async fn dropping_the_stream_stops_the_polling() {
    let zoom = FakeZoom::builder()
        .live_session(WEBINAR, vec![snapshot(&[0, 1]); 1000])
        .start()
        .await
        .expect("fake");
    let mut follow = client(&zoom, RateLimit::unlimited())
        .webinar_participants(WEBINAR)
        .follow(Duration::from_millis(10));
    let first = follow.next().await.expect("an item").expect("an event");
    assert_eq!(first.participant, person(0));
    drop(follow);
    let count = zoom.request_count();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(zoom.request_count(), count);
}

#[tokio::test]
async fn meetings_follow_the_same_way() {
    const MEETING: &str = "85746065432";
    let zoom = FakeZoom::builder()
        .live_session(MEETING, vec![snapshot(&[0, 1]), snapshot(&[1])])
        .start()
        .await
        .expect("fake");
    let events: Vec<ParticipantEvent> = client(&zoom, RateLimit::unlimited())
        .meeting_participants(MEETING)
        .follow(Duration::from_millis(10))
        .try_collect()
        .await
        .expect("ends");
    assert_eq!(
        summary(&events),
        [
            ("joined", "u0".into()),
            ("joined", "u1".into()),
            ("left", "u0".into()),
            ("left", "u1".into())
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.instance.kind == InstanceKind::Meeting
                && e.instance.id.as_deref() == Some(MEETING))
    );
    assert_eq!(events[0].event, "meeting.participant_joined");
    assert_eq!(events[3].event, "meeting.participant_left");
    let requests = zoom.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.path
        == format!("/v2/metrics/meetings/{MEETING}/participants")
        && r.query_value("type") == Some("live")));
}
