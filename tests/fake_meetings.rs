//! The fake Zoom's meetings: the Dashboard meeting list (`past` and `pastOne`, tracking
//! fields) and each meeting's participants, through the library's meeting requests.
#![cfg(feature = "fake")]

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use futures::TryStreamExt;
use serde_json::Value;
use zoom_participants::fake::{FakeWebinar, FakeZoom};
use zoom_participants::{Client, Meeting, MeetingType, RateLimit};

fn meeting(uuid: &str, hours_ago: i64, participants: u64) -> FakeWebinar {
    FakeWebinar {
        uuid: uuid.into(),
        id: 91_000_000_000 + participants,
        topic: format!("Meeting {uuid}"),
        start_time: Utc::now().trunc_subsecs(0) - chrono::Duration::hours(hours_ago),
        participants,
        duration: Some(Duration::from_secs(1_800)),
    }
}

#[tokio::test]
async fn meetings_are_listed_by_type_and_serve_their_participants() {
    let zoom = FakeZoom::builder()
        .listed_meeting(meeting("/Mt1aaaaaaaaaaaaaaaaaa==", 30, 450))
        .listed_meeting(meeting("Mt2bbbbbbbbbbbbbbbbbbb==", 20, 1))
        .listed_meeting(meeting("Mt3ccccccccccccccccccc==", 10, 0))
        .listed_meeting(meeting("Mt4live=", 0, 5))
        .start()
        .await
        .expect("fake");
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .list_rate_limit(RateLimit::unlimited())
        .build()
        .expect("client");
    let today = Utc::now().date_naive();
    let from = today - chrono::Duration::days(3);
    let list = |kind| {
        client
            .meetings(from, today)
            .meeting_type(kind)
            .include_tracking_fields()
            .stream_raw()
            .map_ok(|row| serde_json::from_str::<Value>(row.as_str()).unwrap_or_default())
            .try_collect::<Vec<Value>>()
    };
    let past = list(MeetingType::Past).await.expect("past");
    let one = list(MeetingType::PastOne).await.expect("pastOne");
    let uuids = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .filter_map(|r| r["uuid"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        uuids(&past),
        ["/Mt1aaaaaaaaaaaaaaaaaa==", "Mt3ccccccccccccccccccc=="]
    );
    assert_eq!(uuids(&one), ["Mt2bbbbbbbbbbbbbbbbbbb=="]);
    assert!(past[0]["tracking_fields"].is_array());
    assert!(past[0]["in_room_participants"].is_u64());
    let mut all = past.clone();
    all.extend(one);
    all.sort_by_key(|m| m["start_time"].as_str().unwrap_or_default().to_owned());
    assert_eq!(all, zoom.expected_meetings(from, today, true));
    let typed: Vec<Meeting> = client
        .meetings(from, today)
        .meeting_type(MeetingType::Past)
        .stream()
        .try_collect()
        .await
        .expect("typed");
    assert!(
        typed
            .iter()
            .all(|m| m.extra.is_empty() || m.extra.contains_key("x_engagement_score"))
    );

    let rows: Vec<_> = client
        .meeting_participants("/Mt1aaaaaaaaaaaaaaaaaa==")
        .meeting_type(MeetingType::Past)
        .stream()
        .try_collect()
        .await
        .expect("participants");
    assert_eq!(
        rows,
        zoom.expected_meeting_participants("/Mt1aaaaaaaaaaaaaaaaaa==")
    );
    assert_eq!(rows.len(), 450);
    let one: Vec<_> = client
        .meeting_participants("Mt2bbbbbbbbbbbbbbbbbbb==")
        .meeting_type(MeetingType::PastOne)
        .stream()
        .try_collect()
        .await
        .expect("pastOne participants");
    assert_eq!(one.len(), 1);

    // A meeting is not a webinar.
    let err = client
        .webinar_participants("Mt2bbbbbbbbbbbbbbbbbbb==")
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("not a webinar");
    assert_eq!(err.http_status(), Some(404));
}
