use super::*;
use crate::envelope::split;
use crate::error::Error;
use crate::row::Row;
use bytes::Bytes;
use futures::TryStreamExt;
use items::Items;
use std::sync::Mutex;

impl crate::row::sealed::Sealed for u32 {}
impl Row for u32 {
    fn from_row(page: &RawPage, index: usize) -> Self {
        page.row(index).parse().unwrap_or(u32::MAX)
    }
}

type Log = Arc<Mutex<Vec<Option<String>>>>;

/// A scripted list: page `i` holds the given items and points at token `t{i+1}`.
fn scripted(pages: Arc<Mutex<Vec<Vec<u32>>>>, log: Log) -> FetchPage {
    Arc::new(move |token: Option<String>, number| {
        log.lock().unwrap().push(token.clone());
        let pages = pages.lock().unwrap().clone();
        let index = token
            .as_deref()
            .map_or(0, |t| t[1..].parse::<usize>().unwrap());
        let next = (index + 1 < pages.len()).then(|| format!("t{}", index + 1));
        let body = serde_json::json!({"rows": pages[index], "next_page_token": next});
        Box::pin(async move { split(Bytes::from(body.to_string()), "rows", number) })
    })
}

fn plan(pages: Vec<Vec<u32>>, log: Log) -> Plan {
    Plan {
        fetch: scripted(Arc::new(Mutex::new(pages)), log),
        request: "scripted".into(),
        start: Start::First,
        filter: None,
        limit: None,
        prefetch: 0,
    }
}

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

#[tokio::test]
async fn items_come_in_order_and_the_cursor_moves_at_page_ends() {
    let log = log();
    let mut items = Items::<u32>::new(plan(vec![vec![1, 2], vec![], vec![3]], log.clone()));
    assert!(
        log.lock().unwrap().is_empty(),
        "nothing before the first poll"
    );
    assert_eq!(items.try_next().await.unwrap(), Some(1));
    assert_eq!(items.cursor(), None, "page 1 is not finished");
    assert_eq!(items.try_next().await.unwrap(), Some(2));
    assert_eq!(items.cursor(), Some("t1"), "page 1 finished");
    assert_eq!(*log.lock().unwrap(), vec![None]);
    assert_eq!(items.try_next().await.unwrap(), Some(3));
    assert_eq!(items.cursor(), None, "last page finished");
    assert_eq!(items.try_next().await.unwrap(), None);
    assert_eq!(
        *log.lock().unwrap(),
        vec![None, Some("t1".into()), Some("t2".into())]
    );
}

#[tokio::test]
async fn limit_requests_no_page_beyond_the_one_holding_the_last_item() {
    for prefetch in [0, 1, 3] {
        let log = log();
        let mut p = plan(vec![vec![1, 2], vec![3, 4], vec![5]], log.clone());
        p.limit = Some(3);
        p.prefetch = prefetch;
        let got: Vec<u32> = Items::<u32>::new(p).try_collect().await.unwrap();
        assert_eq!(got, vec![1, 2, 3]);
        tokio::task::yield_now().await;
        assert_eq!(
            *log.lock().unwrap(),
            vec![None, Some("t1".into())],
            "prefetch {prefetch}"
        );
    }
}

#[tokio::test]
async fn a_repeated_token_is_an_error_not_a_loop() {
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let fetch: FetchPage = Arc::new(move |_token, number| {
        *counter.lock().unwrap() += 1;
        let body = Bytes::from_static(br#"{"rows":[7],"next_page_token":"same"}"#);
        Box::pin(async move { split(body, "rows", number) })
    });
    let mut p = plan(vec![], log());
    p.fetch = fetch;
    let mut items = Items::<u32>::new(p);
    assert_eq!(items.try_next().await.unwrap(), Some(7));
    assert_eq!(items.try_next().await.unwrap(), Some(7));
    assert!(matches!(
        items.try_next().await,
        Err(Error::RepeatedPageToken)
    ));
    assert_eq!(items.try_next().await.unwrap(), None);
    assert_eq!(*calls.lock().unwrap(), 2);
}

#[tokio::test]
async fn a_panic_while_fetching_is_an_error_with_or_without_read_ahead() {
    for prefetch in [0, 2] {
        let fetch: FetchPage =
            Arc::new(|_token, _number| Box::pin(async { panic!("an Instant overflowed") }));
        let mut p = plan(vec![], log());
        p.fetch = fetch;
        p.prefetch = prefetch;
        let mut items = Items::<u32>::new(p);
        let err = items.try_next().await.unwrap_err();
        assert!(matches!(err, Error::Internal(_)), "{err:?}");
        assert_eq!(items.try_next().await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_checkpoint_taken_anywhere_resumes_exactly_after_the_last_item() {
    let pages = vec![vec![1, 2, 3], vec![4, 5], vec![], vec![6, 7]];
    let all: Vec<u32> = (1..=7).collect();
    for taken_after in 0..=all.len() {
        for prefetch in [0, 2] {
            let mut p = plan(pages.clone(), log());
            p.prefetch = prefetch;
            let mut items = Items::<u32>::new(p);
            let mut got = Vec::new();
            for _ in 0..taken_after {
                got.push(items.try_next().await.unwrap().unwrap());
            }
            let checkpoint = items.checkpoint();
            drop(items);
            let text = serde_json::to_string(&checkpoint).unwrap();
            let mut p = plan(pages.clone(), log());
            p.start = Start::Checkpoint(serde_json::from_str(&text).unwrap());
            let rest: Vec<u32> = Items::<u32>::new(p).try_collect().await.unwrap();
            got.extend(rest);
            assert_eq!(got, all, "after {taken_after}, prefetch {prefetch}");
        }
    }
}

#[tokio::test]
async fn an_expired_token_is_re_walked_and_a_changed_list_is_an_error() {
    let pages = Arc::new(Mutex::new(vec![vec![1, 2], vec![3, 4], vec![5]]));
    let log = log();
    let fetch = {
        let scripted = scripted(pages.clone(), log.clone());
        // Tokens die: only the first page can be had without walking there.
        let dead = Arc::new(Mutex::new(false));
        let dead2 = dead.clone();
        let log = log.clone();
        let fetch: FetchPage = Arc::new(move |token: Option<String>, number| {
            if token.is_some() && *dead2.lock().unwrap() {
                *dead2.lock().unwrap() = false;
                log.lock().unwrap().push(token);
                return Box::pin(async {
                    Err(Error::Api {
                        status: 400,
                        code: Some(300),
                        message: "The next page token is invalid or expired.".into(),
                    })
                });
            }
            scripted(token, number)
        });
        (fetch, dead)
    };
    let mut p = plan(vec![], log.clone());
    p.fetch = fetch.0.clone();
    let mut items = Items::<u32>::new(p);
    for want in [1, 2, 3] {
        assert_eq!(items.try_next().await.unwrap(), Some(want));
    }
    let checkpoint = items.checkpoint();
    drop(items);
    log.lock().unwrap().clear();
    *fetch.1.lock().unwrap() = true;
    let mut p = plan(vec![], log.clone());
    p.fetch = fetch.0.clone();
    p.start = Start::Checkpoint(checkpoint.clone());
    let rest: Vec<u32> = Items::<u32>::new(p).try_collect().await.unwrap();
    assert_eq!(rest, vec![4, 5]);
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            Some("t1".into()), // refused
            None,              // re-walk: page 1, checked
            Some("t1".into()), // page in progress, its row 3 checked and skipped
            Some("t2".into()),
        ]
    );

    // The list changed before the resume: an error, and nothing yielded.
    pages.lock().unwrap()[0] = vec![1, 9];
    *fetch.1.lock().unwrap() = true;
    let mut p = plan(vec![], log.clone());
    p.fetch = fetch.0.clone();
    p.start = Start::Checkpoint(checkpoint);
    let mut items = Items::<u32>::new(p);
    let err = items.try_next().await.unwrap_err();
    assert!(matches!(err, Error::ListChanged { page: 1 }), "{err:?}");
    assert_eq!(items.try_next().await.unwrap(), None);
}

#[tokio::test]
async fn a_checkpoint_of_another_request_is_refused_without_a_request() {
    let log = log();
    let checkpoint = Checkpoint::start("another".into());
    let mut p = plan(vec![vec![1]], log.clone());
    p.start = Start::Checkpoint(checkpoint);
    let err = Items::<u32>::new(p).try_next().await.unwrap_err();
    assert!(matches!(err, Error::Checkpoint(_)), "{err:?}");
    assert!(log.lock().unwrap().is_empty());
}
