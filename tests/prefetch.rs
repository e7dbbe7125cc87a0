//! Read-ahead, limits, fan-out across webinars, and gzip.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, Error, Participant, RateLimit};

const WEBINAR: &str = "95204914252";

fn client(zoom: &FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .build()
        .unwrap()
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

#[tokio::test]
async fn prefetch_reads_exactly_that_many_pages_ahead() {
    for (prefetch, expected) in [(0, 1), (1, 2), (2, 3)] {
        let zoom = FakeZoom::builder()
            .webinar(WEBINAR, 100)
            .start()
            .await
            .unwrap();
        let mut stream = client(&zoom)
            .webinar_participants(WEBINAR)
            .page_size(10)
            .prefetch(prefetch)
            .stream();
        settle().await;
        assert_eq!(
            zoom.request_count(),
            0,
            "lazy even with prefetch {prefetch}"
        );
        stream.try_next().await.unwrap();
        settle().await;
        assert_eq!(zoom.request_count(), expected, "prefetch {prefetch}");
        let rest: Vec<Participant> = stream.try_collect().await.unwrap();
        assert_eq!(rest.len(), 99);
        assert_eq!(zoom.request_count(), 10);
    }
}

#[tokio::test]
async fn the_cursor_keeps_its_meaning_with_prefetch() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 30)
        .start()
        .await
        .unwrap();
    let mut stream = client(&zoom)
        .webinar_participants(WEBINAR)
        .page_size(10)
        .prefetch(2)
        .stream();
    for _ in 0..10 {
        stream.try_next().await.unwrap();
    }
    settle().await;
    let second_page_token = zoom.requests()[1]
        .query_value("next_page_token")
        .unwrap()
        .to_owned();
    assert_eq!(stream.next_page_token(), Some(second_page_token.as_str()));
}

#[tokio::test]
async fn limit_requests_no_page_beyond_the_one_holding_the_last_participant() {
    for prefetch in [0, 1, 4] {
        let zoom = FakeZoom::builder()
            .webinar(WEBINAR, 100)
            .start()
            .await
            .unwrap();
        let got: Vec<Participant> = client(&zoom)
            .webinar_participants(WEBINAR)
            .page_size(10)
            .prefetch(prefetch)
            .limit(12)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            got,
            zoom.expected_participants(WEBINAR, false)[..12].to_vec()
        );
        settle().await;
        assert_eq!(zoom.request_count(), 2, "prefetch {prefetch}");
    }
}

#[tokio::test]
async fn an_error_of_a_prefetched_page_comes_after_every_participant_before_it() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 25)
        .page_token_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let mut stream = client(&zoom)
        .webinar_participants(WEBINAR)
        .page_size(10)
        .prefetch(1)
        .stream();
    let mut got = Vec::new();
    let err = loop {
        match stream.try_next().await {
            Ok(Some(p)) => got.push(p),
            Ok(None) => panic!("the expired token should fail"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        got,
        zoom.expected_participants(WEBINAR, false)[..10].to_vec()
    );
    assert_eq!((err.http_status(), err.zoom_code()), (Some(400), Some(300)));
    let failed = zoom.requests()[1]
        .query_value("next_page_token")
        .unwrap()
        .to_owned();
    assert_eq!(stream.next_page_token(), Some(failed.as_str()));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn fan_out_streams_each_webinar_in_order_and_tags_errors() {
    let zoom = FakeZoom::builder()
        .webinar("a", 23)
        .webinar("b", 5)
        .webinar("c", 41)
        .start()
        .await
        .unwrap();
    let results: Vec<_> = client(&zoom)
        .webinars_participants(["a", "missing", "b", "c"])
        .page_size(10)
        .concurrency(2)
        .stream()
        .collect()
        .await;
    let mut errors = Vec::new();
    let mut by_webinar: std::collections::BTreeMap<String, Vec<Participant>> = Default::default();
    for r in results {
        match r {
            Ok((id, p)) => by_webinar.entry(id).or_default().push(p),
            Err(e) => errors.push(e),
        }
    }
    for id in ["a", "b", "c"] {
        assert_eq!(
            by_webinar[id],
            zoom.expected_participants(id, false),
            "webinar {id}"
        );
    }
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].webinar_id(), Some("missing"));
    assert_eq!(
        (errors[0].http_status(), errors[0].zoom_code()),
        (Some(404), Some(3001))
    );
    assert!(matches!(&errors[0], Error::Webinar { .. }));
    assert_eq!(zoom.request_count(), 3 + 1 + 1 + 5);
}

#[tokio::test]
async fn fan_out_keeps_to_its_concurrency() {
    let mut builder = FakeZoom::builder().latency(Duration::from_millis(100));
    for w in 0..4 {
        builder = builder.webinar(format!("w{w}"), 3);
    }
    let zoom = builder.start().await.unwrap();
    let got: Vec<_> = client(&zoom)
        .webinars_participants((0..4).map(|w| format!("w{w}")))
        .concurrency(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 12);
    let times: Vec<_> = zoom.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 4);
    assert!(times[1].duration_since(times[0]) < Duration::from_millis(50));
    assert!(
        times[2].duration_since(times[0]) >= Duration::from_millis(90),
        "only two at once"
    );
}

#[tokio::test]
async fn gzip_is_asked_for_and_served() {
    let mut sent = Vec::new();
    for gzip in [true, false] {
        let zoom = FakeZoom::builder()
            .webinar(WEBINAR, 600)
            .gzip(gzip)
            .start()
            .await
            .unwrap();
        let got: Vec<Participant> = client(&zoom)
            .webinar_participants(WEBINAR)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got, zoom.expected_participants(WEBINAR, false));
        sent.push(zoom.bytes_sent());
    }
    assert!(
        sent[0] * 4 < sent[1],
        "gzip {} bytes vs plain {}",
        sent[0],
        sent[1]
    );
}
