//! Checkpoints against the fake Zoom: taken anywhere, carried through JSON, resumed on a
//! fresh stream (and across token expiry by a verified re-walk), they yield exactly what
//! came after the last item; a changed list or a foreign checkpoint is an error, never a
//! duplicate or a gap.
#![cfg(feature = "fake")]

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use zoom_participants::fake::{FakeZoom, RecordedRequest};
use zoom_participants::{Checkpoint, Client, Error, Participant, RateLimit, WebinarsCheckpoint};

const WEBINAR: &str = "95204914252";
const PAGE_SIZE: u32 = 5;

fn client(zoom: &FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .build()
        .unwrap()
}

async fn fake_with(builder: zoom_participants::fake::FakeZoomBuilder) -> FakeZoom {
    builder.webinar(WEBINAR, 15).start().await.unwrap()
}

/// Takes `n` participants of a fresh stream and its checkpoint, carried through JSON.
async fn take(zoom: &FakeZoom, n: usize, prefetch: usize) -> (Vec<Participant>, Checkpoint) {
    let mut stream = client(zoom)
        .webinar_participants(WEBINAR)
        .page_size(PAGE_SIZE)
        .prefetch(prefetch)
        .stream();
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(stream.try_next().await.unwrap().expect("a participant"));
    }
    let text = serde_json::to_string(&stream.checkpoint()).unwrap();
    (got, serde_json::from_str(&text).unwrap())
}

/// Every participant a fresh stream resumed from `checkpoint` yields.
async fn resume(
    zoom: &FakeZoom,
    checkpoint: Checkpoint,
    prefetch: usize,
) -> zoom_participants::Result<Vec<Participant>> {
    client(zoom)
        .webinar_participants(WEBINAR)
        .page_size(PAGE_SIZE)
        .prefetch(prefetch)
        .resume(checkpoint)
        .stream()
        .try_collect()
        .await
}

/// The `next_page_token` of each request, in order.
fn tokens(requests: &[RecordedRequest]) -> Vec<Option<String>> {
    requests
        .iter()
        .map(|r| r.query_value("next_page_token").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_checkpoint_taken_at_any_position_resumes_exactly() {
    let zoom = fake_with(FakeZoom::builder()).await;
    let expected = zoom.expected_participants(WEBINAR, false);
    assert_eq!(expected.len(), 15);
    for prefetch in [0, 2] {
        for n in 0..=expected.len() {
            let (mut got, checkpoint) = take(&zoom, n, prefetch).await;
            assert_eq!(checkpoint.items_yielded(), n as u64);
            assert_eq!(checkpoint.is_finished(), n == 15, "after {n}");
            let saved = checkpoint.next_page_token().map(str::to_owned);
            let before = zoom.request_count();
            let rest = resume(&zoom, checkpoint, prefetch).await.unwrap();
            let requests = &zoom.requests()[before..];
            got.extend(rest);
            assert_eq!(got, expected, "after {n}, prefetch {prefetch}");
            if prefetch > 0 {
                // A read-ahead request of the dropped stream may still be landing: the
                // request log is checked without read-ahead.
                continue;
            }
            // Tokens live: only the pages not done yet are requested, once each, page 1
            // without a token, the others with the saved one and those that follow.
            let pages_left = if n == 15 { 0 } else { 3 - n / 5 };
            assert_eq!(requests.len(), pages_left, "after {n}");
            assert!(
                requests
                    .iter()
                    .all(|r| r.query_value("page_size") == Some("5"))
            );
            if let Some(first) = requests.first() {
                assert_eq!(
                    first.query_value("next_page_token"),
                    saved.as_deref(),
                    "after {n}"
                );
                assert_eq!(saved.is_none(), n < 5, "after {n}");
            }
        }
    }
}

#[tokio::test]
async fn after_the_tokens_expired_resume_re_walks_and_verifies() {
    let zoom = fake_with(FakeZoom::builder().page_token_ttl(Duration::from_millis(200))).await;
    let expected = zoom.expected_participants(WEBINAR, false);
    // Mid page 1, at the end of page 1, mid page 2, at the end of page 2, mid page 3.
    let positions = [3, 5, 7, 10, 12];
    let mut taken = Vec::new();
    for prefetch in [0, 2] {
        for n in positions {
            let (got, checkpoint) = take(&zoom, n, prefetch).await;
            taken.push((n, prefetch, got, checkpoint));
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (n, prefetch, mut got, checkpoint) in taken {
        let saved = checkpoint.next_page_token().map(str::to_owned);
        let before = zoom.request_count();
        let rest = resume(&zoom, checkpoint, prefetch).await.unwrap();
        let requests = zoom.requests()[before..].to_vec();
        got.extend(rest);
        assert_eq!(got, expected, "after {n}, prefetch {prefetch}");
        let tokens = tokens(&requests);
        let done = n / 5; // pages finished before the checkpoint
        if n < 5 {
            // Page 1 needs no token: nothing to re-walk.
            assert_eq!(saved, None);
            assert_eq!(tokens.len(), 3, "after {n}");
            assert_eq!(tokens[0], None);
        } else {
            // The dead token, refused; then pages 1..=done again, then the rest.
            let saved = saved.expect("a token past page 1");
            assert_eq!(
                tokens.len(),
                1 + 3,
                "after {n}, prefetch {prefetch}: {tokens:?}"
            );
            assert_eq!(
                tokens[0].as_deref(),
                Some(saved.as_str()),
                "the saved token first"
            );
            assert_eq!(tokens[1], None, "the re-walk starts at page 1");
            assert!(
                tokens[2..]
                    .iter()
                    .all(|t| t.is_some() && t.as_deref() != Some(saved.as_str())),
                "fresh tokens after page 1: {tokens:?}"
            );
            assert_eq!(tokens[2..].len(), 3 - 1, "pages 2 and 3, done = {done}");
        }
        assert!(
            requests
                .iter()
                .all(|r| r.query_value("page_size") == Some("5"))
        );
    }
}

#[tokio::test]
async fn a_list_that_changed_behind_dead_tokens_is_list_changed() {
    let zoom = fake_with(FakeZoom::builder().page_token_ttl(Duration::from_millis(200))).await;
    let (_, mid_page_2) = take(&zoom, 7, 0).await;
    let (_, end_of_page_2) = take(&zoom, 10, 0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Fewer rows: page 1 is the same, page 2 is short and the last: the list ends before
    // the page the checkpoint was on (page 3).
    zoom.set_webinar(WEBINAR, 7);
    let before = zoom.request_count();
    let mut stream = client(&zoom)
        .webinar_participants(WEBINAR)
        .page_size(PAGE_SIZE)
        .resume(end_of_page_2)
        .stream();
    let err = stream.try_next().await.unwrap_err();
    assert!(matches!(err, Error::ListChanged { page: 3 }), "{err:?}");
    assert_eq!(stream.try_next().await.unwrap(), None);
    let requests = zoom.requests()[before..].to_vec();
    assert_eq!(requests.len(), 3, "dead token, page 1, page 2");
    assert_eq!(tokens(&requests)[1], None);

    // Other rows altogether (another seed): page 1 already differs.
    zoom.set_webinar(WEBINAR, 15);
    zoom.set_seed(43);
    for prefetch in [0, 2] {
        let before = zoom.request_count();
        let mut stream = client(&zoom)
            .webinar_participants(WEBINAR)
            .page_size(PAGE_SIZE)
            .prefetch(prefetch)
            .resume(mid_page_2.clone())
            .stream();
        let err = stream.try_next().await.unwrap_err();
        assert!(matches!(err, Error::ListChanged { page: 1 }), "{err:?}");
        assert_eq!(stream.try_next().await.unwrap(), None);
        assert_eq!(zoom.request_count() - before, 2, "dead token, page 1");
    }
}

#[tokio::test]
async fn a_changed_page_in_progress_is_list_changed_even_with_live_tokens() {
    let zoom = fake_with(FakeZoom::builder()).await;
    let (_, mid_page_1) = take(&zoom, 3, 0).await;
    zoom.set_seed(43);
    let before = zoom.request_count();
    let err = resume(&zoom, mid_page_1, 0).await.unwrap_err();
    assert!(matches!(err, Error::ListChanged { page: 1 }), "{err:?}");
    assert_eq!(zoom.request_count() - before, 1);
}

#[tokio::test]
async fn a_checkpoint_of_another_request_is_refused_before_any_request() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 15)
        .webinar("other", 15)
        .start()
        .await
        .unwrap();
    let (_, checkpoint) = take(&zoom, 7, 0).await;
    let before = zoom.request_count();
    let client = client(&zoom);
    let requests = [
        client.webinar_participants("other").page_size(PAGE_SIZE),
        client.webinar_participants(WEBINAR).page_size(6),
        client.webinar_participants(WEBINAR),
        client
            .webinar_participants(WEBINAR)
            .page_size(PAGE_SIZE)
            .webinar_type(zoom_participants::WebinarType::Past),
        client
            .webinar_participants(WEBINAR)
            .page_size(PAGE_SIZE)
            .include_registrant_id(),
    ];
    for request in requests {
        let mut stream = request.resume(checkpoint.clone()).stream();
        let err = stream.try_next().await.unwrap_err();
        assert!(matches!(err, Error::Checkpoint(_)), "{err:?}");
        assert!(err.to_string().contains("another request"), "{err}");
        assert_eq!(stream.try_next().await.unwrap(), None);
    }
    assert_eq!(zoom.request_count(), before, "no request made");
}

#[tokio::test]
async fn a_tampered_checkpoint_is_refused_on_one_clean_line() {
    let zoom = fake_with(FakeZoom::builder()).await;
    let (_, checkpoint) = take(&zoom, 7, 0).await;
    let mut value = serde_json::to_value(&checkpoint).unwrap();
    value["request"] = "webinar \"x\"\n\u{1b}[31merror: all done\r".into();
    let tampered: Checkpoint = serde_json::from_value(value).unwrap();
    let before = zoom.request_count();
    let err = resume(&zoom, tampered, 0).await.unwrap_err();
    assert!(matches!(err, Error::Checkpoint(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        !text.contains('\n') && !text.contains('\r') && !text.contains('\x1b'),
        "{text:?}"
    );
    assert!(text.contains("\\n\\u{1b}[31merror: all done\\r"), "{text}");
    assert_eq!(zoom.request_count(), before);
}

#[tokio::test]
async fn a_finished_streams_checkpoint_resumes_to_nothing_without_a_request() {
    let zoom = fake_with(FakeZoom::builder()).await;
    for prefetch in [0, 2] {
        let mut stream = client(&zoom)
            .webinar_participants(WEBINAR)
            .page_size(PAGE_SIZE)
            .prefetch(prefetch)
            .stream();
        let mut got = Vec::new();
        while let Some(p) = stream.try_next().await.unwrap() {
            got.push(p);
        }
        assert_eq!(got, zoom.expected_participants(WEBINAR, false));
        let checkpoint = stream.checkpoint();
        assert!(checkpoint.is_finished());
        let checkpoint: Checkpoint =
            serde_json::from_str(&serde_json::to_string(&checkpoint).unwrap()).unwrap();
        let before = zoom.request_count();
        assert_eq!(resume(&zoom, checkpoint, prefetch).await.unwrap(), vec![]);
        assert_eq!(zoom.request_count(), before);
    }
}

#[tokio::test]
async fn a_fan_out_resumes_per_webinar_skipping_the_finished_and_retrying_the_failed() {
    let (a, b, c) = ("111", "222", "333");
    let zoom = FakeZoom::builder()
        .webinar(a, 12)
        .webinar(c, 23)
        .start()
        .await
        .unwrap();
    let client = client(&zoom);
    let request = || {
        client
            .webinars_participants([a, b, c])
            .page_size(PAGE_SIZE)
            .concurrency(2)
    };
    let mut got: BTreeMap<String, Vec<Participant>> = BTreeMap::new();
    let mut stream = request().stream();
    let mut failed = None;
    // Until a is done and b has failed (404: not served yet).
    while got.get(a).map_or(0, Vec::len) < 12 || failed.is_none() {
        match stream.try_next().await {
            Ok(Some((id, p))) => got.entry(id).or_default().push(p),
            Ok(None) => panic!("ended early"),
            Err(err) => {
                assert!(failed.is_none(), "one error: {err:?}");
                assert_eq!(err.webinar_id(), Some(b));
                assert_eq!(
                    (err.http_status(), err.zoom_code()),
                    (Some(404), Some(3001))
                );
                failed = Some(err);
            }
        }
    }
    let checkpoint: WebinarsCheckpoint =
        serde_json::from_str(&serde_json::to_string(&stream.checkpoint()).unwrap()).unwrap();
    drop(stream);
    assert!(checkpoint.get(a).unwrap().is_finished());
    assert!(!checkpoint.get(b).unwrap().is_finished());
    let c_before = got.get(c).map_or(0, Vec::len);
    assert!(c_before < 23, "c is not done yet");

    zoom.set_webinar(b, 6);
    let before = zoom.request_count();
    let rest: Vec<(String, Participant)> = request()
        .resume(checkpoint)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let mut resumed: BTreeMap<String, Vec<Participant>> = BTreeMap::new();
    for (id, p) in rest {
        resumed.entry(id).or_default().push(p);
    }
    assert_eq!(resumed.get(a), None, "a is not streamed again");
    assert_eq!(resumed[b], zoom.expected_participants(b, false));
    let mut all_c = got.remove(c).unwrap_or_default();
    all_c.extend(resumed.remove(c).unwrap_or_default());
    assert_eq!(all_c, zoom.expected_participants(c, false));
    assert_eq!(got[a], zoom.expected_participants(a, false));

    let requests = zoom.requests()[before..].to_vec();
    let path = |id: &str| format!("/v2/metrics/webinars/{id}/participants");
    assert!(
        requests.iter().all(|r| r.path != path(a)),
        "a requested again"
    );
    let of_b: Vec<_> = requests.iter().filter(|r| r.path == path(b)).collect();
    assert_eq!(of_b.len(), 2, "b from its first page");
    assert_eq!(of_b[0].query_value("next_page_token"), None);
    let of_c = requests.iter().filter(|r| r.path == path(c)).count();
    assert_eq!(of_c, 5 - c_before / 5, "c from its page in progress");
}
