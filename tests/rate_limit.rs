//! The client-side rate limit holds across every stream of a client.

use std::time::Duration;

use futures::TryStreamExt;
use futures::future::join_all;
use serde_json::Value;
use zoom_participants::fake::{FakeWebinar, FakeZoom, Fault};
use zoom_participants::{Client, RateLimit, Webinar, WebinarType};

#[tokio::test]
async fn thirty_two_concurrent_streams_stay_under_the_configured_rate() {
    let mut builder = FakeZoom::builder();
    for w in 0..32 {
        builder = builder.webinar(format!("{w}"), 4);
    }
    let zoom = builder.start().await.unwrap();
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::per_second(20.0).burst(2))
        .build()
        .unwrap();
    let streams = (0..32).map(|w| {
        client
            .webinar_participants(format!("{w}"))
            .page_size(2)
            .stream()
            .try_collect::<Vec<_>>()
    });
    let results = join_all(streams).await;
    assert!(results.iter().all(|r| r.as_ref().unwrap().len() == 4));

    let mut times: Vec<_> = zoom.requests().iter().map(|r| r.at).collect();
    times.sort();
    assert_eq!(times.len(), 64);
    // In any one-second window: at most 20 requests plus the burst of 2.
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 22, "{in_window} requests within a second");
    }
    let span = times[63].duration_since(times[0]);
    assert!(
        span >= Duration::from_millis(2900),
        "64 requests at 20/s took {span:?}"
    );
}

/// A quarter of 8 instances a month, listed in pages of 4: 2 requests a month window.
fn busy_quarter() -> zoom_participants::fake::FakeZoomBuilder {
    let mut builder = FakeZoom::builder();
    for month in 1..=3u32 {
        for n in 0..8u32 {
            let start = chrono::NaiveDate::from_ymd_opt(2026, month, 3 + n * 3)
                .unwrap()
                .and_hms_opt(15, 0, 0)
                .unwrap()
                .and_utc();
            builder = builder.listed_webinar(FakeWebinar {
                uuid: format!("q1-{month}-{n}=="),
                id: 90_000_000_000 + u64::from(month * 100 + n),
                topic: format!("Session {month}.{n}"),
                start_time: start,
                participants: 3,
                duration: None,
            });
        }
    }
    builder
}

/// Seconds since the first list request, of each list request.
fn list_times(zoom: &FakeZoom) -> Vec<f64> {
    let requests = zoom.list_requests();
    requests
        .iter()
        .map(|r| r.at.duration_since(requests[0].at).as_secs_f64())
        .collect()
}

async fn list_quarter(zoom: &FakeZoom) -> Vec<Webinar> {
    let client = Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .build()
        .unwrap();
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    client
        .webinars(day(1, 1), day(3, 31))
        .webinar_type(WebinarType::Past)
        .page_size(4)
        .stream()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn one_429_of_the_list_is_waited_out_then_the_configured_pace_holds() {
    // Without a 429: the default 10 a minute, two back to back, then one every 6 s.
    let zoom = busy_quarter().start().await.unwrap();
    let expected = zoom.expected_webinars(
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    );
    assert_eq!(expected.len(), 24);
    let got = list_quarter(&zoom).await;
    assert_eq!(
        serde_json::to_value(&got).unwrap(),
        Value::from(expected.clone())
    );
    assert_eq!(list_times(&zoom), [0.0, 0.0, 6.0, 12.0, 18.0, 24.0]);

    // The second request answered 429 with `Retry-After: 3` (the account's minute spent by
    // other apps): the retry waits those 3 s and then for the pace's next slot (6 s), and
    // the pace carries on; no cut to one a minute. One request more, one slot more.
    let zoom = busy_quarter().start().await.unwrap();
    zoom.push_list_fault(
        2,
        Fault::RateLimited {
            daily: false,
            retry_after: Some("3".into()),
            reset: None,
        },
    );
    let started = tokio::time::Instant::now();
    let got = list_quarter(&zoom).await;
    assert_eq!(serde_json::to_value(&got).unwrap(), Value::from(expected));
    let times = list_times(&zoom);
    assert_eq!(times, [0.0, 0.0, 6.0, 12.0, 18.0, 24.0, 30.0]);
    assert!(started.elapsed() < Duration::from_secs(31));
    // Never more than 10 in any 60 s (refused requests counted).
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..].iter().filter(|t| **t - start < 60.0).count();
        assert!(in_window <= 10, "{in_window} list requests within 60 s");
    }
}
