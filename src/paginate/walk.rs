//! The walk: pages fetched in token order, a repeated token refused, and the resume that
//! re-walks the pages done when the saved token has died.

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;

use chrono::{DateTime, Utc};
use futures::stream::Stream;
use futures::{FutureExt, TryFutureExt};

use super::{FetchPage, Fetched, Plan, Start, TOKEN_LIFETIME};
use crate::checkpoint::Position;
use crate::envelope::{Digest, RawPage};
use crate::error::{Error, Result};

/// Fetches pages, numbering them, turning a panic into an error, refusing a repeated token.
struct Walker {
    fetch: FetchPage,
    number: u64,
    used: HashSet<String>,
}

impl Walker {
    async fn page(&mut self, token: Option<String>) -> Result<RawPage> {
        self.number += 1;
        let future = (self.fetch)(token, self.number);
        AssertUnwindSafe(future)
            .catch_unwind()
            .unwrap_or_else(|panic| Err(Error::internal(panic)))
            .await
    }

    /// Whether `next` was handed out before in this walk.
    fn repeats(&mut self, next: &Option<String>) -> bool {
        next.as_ref().is_some_and(|t| !self.used.insert(t.clone()))
    }
}

pub(super) fn all_rows_digest(raw: &RawPage, rows: usize) -> Option<u64> {
    let mut digest = Digest::default();
    for range in raw.rows.get(..rows)? {
        digest.add(&raw.body[range.clone()]);
    }
    Some(digest.value())
}

pub(super) fn walk(plan: Plan) -> impl Stream<Item = Result<Fetched>> + Send {
    let Plan {
        fetch,
        request,
        start,
        filter,
        limit,
        ..
    } = plan;
    async_stream::stream! {
        let mut walker = Walker { fetch, number: 0, used: HashSet::new() };
        let mut kept_total = 0u64;
        let (mut token, mut token_received, first) = match start {
            Start::First => (None, None, None),
            Start::Token(token) => (Some(token), None, None),
            Start::Checkpoint(checkpoint) => {
                if let Err(err) = checkpoint.check(&request) {
                    yield Err(err);
                    return;
                }
                let position = checkpoint.position();
                if position.finished {
                    return;
                }
                kept_total = position.yielded;
                match resume(&mut walker, &position).await {
                    Ok(first) => (first.token.clone(), first.token_received, Some(first)),
                    Err(err) => {
                        yield Err(err);
                        return;
                    }
                }
            }
        };
        walker.used.extend(token.clone());
        let mut first = first;
        loop {
            let mut page = match first.take() {
                Some(page) => page,
                None => match walker.page(token.clone()).await {
                    Ok(raw) => Fetched {
                        raw,
                        token: token.take(),
                        token_received,
                        received: Utc::now(),
                        kept: None,
                        skip: 0,
                        digest: 0,
                    },
                    Err(err) => {
                        yield Err(err);
                        return;
                    }
                },
            };
            let rows = page.skip..page.raw.rows.len();
            let kept = match &filter {
                Some(filter) => {
                    let kept: Vec<bool> = (0..page.raw.rows.len())
                        .map(|i| filter(page.raw.row(i)))
                        .collect();
                    kept_total += kept[rows].iter().filter(|k| **k).count() as u64;
                    Some(kept)
                }
                None => {
                    kept_total += rows.len() as u64;
                    None
                }
            };
            page.kept = kept;
            page.digest = all_rows_digest(&page.raw, page.raw.rows.len()).unwrap_or_default();
            let next = page.raw.next_page_token.clone();
            let repeated = walker.repeats(&next);
            token_received = Some(page.received);
            yield Ok(page);
            if limit.is_some_and(|limit| kept_total >= limit) {
                return;
            }
            if repeated {
                yield Err(Error::RepeatedPageToken);
                return;
            }
            match next {
                Some(next) => token = Some(next),
                None => return,
            }
        }
    }
}

/// The page in progress at `position`, fetched with its saved token while that lives, or
/// reached again by re-walking the pages done and checking each against its digest.
async fn resume(walker: &mut Walker, position: &Position) -> Result<Fetched> {
    let expired = position
        .token_received
        .is_some_and(|at| Utc::now() - at >= TOKEN_LIFETIME);
    // A stream that started at a bare `next_page_token` (no pages done) knows nothing of
    // the pages before it and cannot re-walk: its token is tried whatever its age.
    let can_rewalk = position.pages_done > 0;
    if position.token.is_none() || !expired || !can_rewalk {
        match walker.page(position.token.clone()).await {
            Ok(raw) => {
                return in_progress(
                    raw,
                    position,
                    position.token.clone(),
                    position.token_received,
                );
            }
            Err(err) if can_rewalk && err.is_expired_page_token() => {}
            Err(err) => return Err(err),
        }
    }
    tracing::info!(
        pages = position.pages_done,
        "the saved page token has expired: re-walking the pages already done (each counts against the daily budget)"
    );
    let mut token = None;
    let mut received = None;
    let mut chain = Position::default().pages_digest;
    for page in 1..=position.pages_done {
        let raw = walker.page(token.clone()).await?;
        let digest = all_rows_digest(&raw, raw.rows.len()).unwrap_or_default();
        chain = Digest::chain(chain, digest);
        received = Some(Utc::now());
        token = raw.next_page_token.clone();
        if token.is_none() || walker.repeats(&token) {
            // The list ends (or loops) before the page the checkpoint was on.
            return Err(Error::ListChanged { page: page + 1 });
        }
    }
    if chain != position.pages_digest {
        return Err(Error::ListChanged {
            page: position.pages_done,
        });
    }
    let raw = walker.page(token.clone()).await?;
    in_progress(raw, position, token, received)
}

/// The page in progress, checked against the rows of it already consumed.
fn in_progress(
    raw: RawPage,
    position: &Position,
    token: Option<String>,
    token_received: Option<DateTime<Utc>>,
) -> Result<Fetched> {
    let skip = usize::try_from(position.rows_done).unwrap_or(usize::MAX);
    if skip > 0 && all_rows_digest(&raw, skip) != Some(position.rows_digest) {
        return Err(Error::ListChanged {
            page: position.pages_done + 1,
        });
    }
    Ok(Fetched {
        raw,
        token,
        token_received,
        received: Utc::now(),
        kept: None,
        skip,
        digest: 0,
    })
}
