//! The client-side rate limit holds across every stream of a client.

use std::time::Duration;

use futures::TryStreamExt;
use futures::future::join_all;
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, RateLimit};

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
