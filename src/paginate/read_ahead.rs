//! Read-ahead: pages fetched on a task of their own while the caller handles the current one.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::stream::{BoxStream, Stream, StreamExt};
use tokio::sync::mpsc;

use super::Fetched;
use crate::error::{Error, Result};

/// What the read-ahead task sends: a page, or the news that the walk is over. A channel
/// that closes without the latter means the task died.
pub(super) enum Message {
    Page(Result<Fetched>),
    End,
}

/// Reads up to `depth` pages ahead on a task of its own, started on the first poll and
/// aborted when the stream is dropped. A slot is reserved before each fetch, so no more
/// than `depth` pages are ever fetched or waiting beyond the one the caller holds.
pub(super) enum ReadAhead {
    Idle {
        pages: BoxStream<'static, Result<Fetched>>,
        depth: usize,
    },
    Running {
        receiver: mpsc::Receiver<Message>,
        _task: AbortOnDrop,
    },
    Done,
}

pub(super) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Stream for ReadAhead {
    type Item = Result<Fetched>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let ReadAhead::Idle { .. } = this {
            let ReadAhead::Idle { mut pages, depth } = std::mem::replace(this, ReadAhead::Done)
            else {
                unreachable!("matched Idle just above");
            };
            let (sender, receiver) = mpsc::channel(depth);
            let task = tokio::spawn(async move {
                while let Ok(slot) = sender.reserve().await {
                    match pages.next().await {
                        Some(page) => slot.send(Message::Page(page)),
                        None => {
                            slot.send(Message::End);
                            return;
                        }
                    }
                }
            });
            *this = ReadAhead::Running {
                receiver,
                _task: AbortOnDrop(task),
            };
        }
        let ReadAhead::Running { receiver, .. } = this else {
            return Poll::Ready(None);
        };
        match ready!(receiver.poll_recv(cx)) {
            Some(Message::Page(page)) => Poll::Ready(Some(page)),
            Some(Message::End) => {
                *this = ReadAhead::Done;
                Poll::Ready(None)
            }
            None => {
                *this = ReadAhead::Done;
                Poll::Ready(Some(Err(Error::Internal(
                    "the read-ahead task stopped before the list ended (it panicked or its runtime shut down)"
                        .into(),
                ))))
            }
        }
    }
}
