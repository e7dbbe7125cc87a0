//! Rows from a stream to the output: whole rows, flushed whenever the stream has to wait,
//! checkpointed after every page, stopped at a signal at a whole line.

use std::collections::HashMap;
use std::io;

use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::Notify;
use zoom_participants::{
    Checkpoint, InstanceListStream, Meeting, Participant, ParticipantStream, RawRow,
    ReportParticipant, Result as ZoomResult, Row, Webinar, WebinarsStream,
};

use super::Failure;
use super::display::count_row;
use super::durable::Output;
use super::output::{Encoder, Tags};
use super::run::{End, Progress, write_failure};
use super::signals::interrupted;

/// A row the output can encode: as Zoom sent it (NDJSON), or typed (CSV).
pub trait Encode {
    fn encode(&self, encoder: &Encoder, tags: &Tags, out: &mut Vec<u8>) -> io::Result<()>;
}

impl Encode for RawRow {
    fn encode(&self, encoder: &Encoder, tags: &Tags, out: &mut Vec<u8>) -> io::Result<()> {
        encoder.raw(self, tags, out);
        Ok(())
    }
}

macro_rules! encode_typed {
    ($($row:ty),*) => {$(
        impl Encode for $row {
            fn encode(&self, encoder: &Encoder, tags: &Tags, out: &mut Vec<u8>) -> io::Result<()> {
                encoder.typed(self, tags, out)
            }
        }
    )*};
}
encode_typed!(Participant, ReportParticipant, Webinar, Meeting);

/// A stream that can say where it stands.
pub trait Resumable {
    fn checkpoint(&self) -> Checkpoint;
}

impl<T: Row> Resumable for ParticipantStream<T> {
    fn checkpoint(&self) -> Checkpoint {
        ParticipantStream::checkpoint(self)
    }
}

impl<T: Row> Resumable for InstanceListStream<T> {
    fn checkpoint(&self) -> Checkpoint {
        InstanceListStream::checkpoint(self)
    }
}

/// Rows of one stream to the output: whole rows, flushed whenever the stream has to wait,
/// checkpointed after every page's worth of rows. An error ends it.
pub async fn pump_one<S, T>(
    mut stream: S,
    encoder: &Encoder,
    sink: &mut Sink<'_>,
) -> Result<End, Failure>
where
    S: Stream<Item = ZoomResult<T>> + Resumable + Unpin,
    T: Encode,
{
    let checkpoint = |s: &S| s.checkpoint();
    let tags = Tags::default();
    let mut row = Vec::with_capacity(4096);
    let mut since_checkpoint = 0u32;
    loop {
        let next = match stream.next().now_or_never() {
            Some(next) => next,
            None => {
                // The stream has to wait: what was written goes out now, under a checkpoint
                // unless the last one already covers it.
                if since_checkpoint > 0 {
                    sink.save(|p| p.one = Some(checkpoint(&stream)))?;
                    since_checkpoint = 0;
                }
                if let Some(signal) = interrupted() {
                    return Ok(End::Signal(signal));
                }
                tokio::select! {
                    next = stream.next() => next,
                    _ = sink.notify.notified() => continue,
                }
            }
        };
        match next {
            Some(Ok(item)) => {
                row.clear();
                item.encode(encoder, &tags, &mut row)
                    .map_err(|e| write_failure(e, sink.output))?;
                sink.write(&row)?;
                count_row();
                since_checkpoint += 1;
                if since_checkpoint >= 300 {
                    sink.save(|p| p.one = Some(checkpoint(&stream)))?;
                    since_checkpoint = 0;
                }
                if interrupted().is_some() && checkpoint(&stream).rows_in_progress() == 0 {
                    // A signal: stop at the end of the page in progress (no request is
                    // needed for it), so that the cursor is exact.
                    sink.save(|p| p.one = Some(checkpoint(&stream)))?;
                    return Ok(End::Signal(interrupted().unwrap_or(2)));
                }
            }
            Some(Err(err)) => {
                sink.progress.one = Some(checkpoint(&stream));
                return Ok(End::Failed(vec![err]));
            }
            None => {
                sink.progress.one = Some(checkpoint(&stream));
                return Ok(End::Done);
            }
        }
    }
}

/// Where rows go, what the checkpoint says, and how a signal is heard: what every mode of
/// an export works with.
pub struct Sink<'a> {
    pub output: &'a mut Output,
    pub progress: &'a mut Progress,
    pub notify: &'a Notify,
    /// Whether the output starts here (a CSV header is due).
    pub fresh: bool,
}

impl Sink<'_> {
    /// Updates the progress, then checkpoints the rows written so far under it.
    pub fn save(&mut self, update: impl FnOnce(&mut Progress)) -> Result<(), Failure> {
        update(self.progress);
        self.output
            .checkpoint(&*self.progress)
            .map_err(|e| write_failure(e, self.output))
    }

    /// Writes one encoded row (or header).
    pub fn write(&mut self, row: &[u8]) -> Result<(), Failure> {
        self.output
            .write(row)
            .map_err(|e| write_failure(e, self.output))
    }
}

/// Rows of many webinars to the output, each tagged with its webinar: as [`pump_one`],
/// except that one webinar's error does not end the run.
pub async fn pump_many<T: Row + Encode>(
    mut stream: WebinarsStream<T>,
    encoder: &Encoder,
    tag_of: &dyn Fn(&str) -> Tags,
    limit: Option<u64>,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    let mut tags: HashMap<String, Tags> = HashMap::new();
    let mut row = Vec::with_capacity(4096);
    let mut since_checkpoint = 0u32;
    let mut errors = Vec::new();
    // The cap is on the whole export: what earlier runs of it wrote counts.
    let mut written: u64 = sink
        .progress
        .many
        .as_ref()
        .map_or(0, |c| c.iter().map(|(_, c)| c.items_yielded()).sum());
    if limit.is_some_and(|limit| written >= limit) {
        return Ok(End::Done);
    }
    loop {
        let next = match stream.next().now_or_never() {
            Some(next) => next,
            None => {
                // The stream has to wait: what was written goes out now, under a checkpoint
                // unless the last one already covers it.
                if since_checkpoint > 0 {
                    sink.save(|p| p.many = Some(stream.checkpoint()))?;
                    since_checkpoint = 0;
                }
                if let Some(signal) = interrupted() {
                    return Ok(End::Signal(signal));
                }
                tokio::select! {
                    next = stream.next() => next,
                    _ = sink.notify.notified() => continue,
                }
            }
        };
        match next {
            Some(Ok((id, item))) => {
                row.clear();
                let tags = tags.entry(id).or_insert_with_key(|id| tag_of(id));
                item.encode(encoder, tags, &mut row)
                    .map_err(|e| write_failure(e, sink.output))?;
                sink.write(&row)?;
                count_row();
                since_checkpoint += 1;
                written += 1;
                if since_checkpoint >= 300 {
                    sink.save(|p| p.many = Some(stream.checkpoint()))?;
                    since_checkpoint = 0;
                }
                if limit == Some(written) {
                    break;
                }
                if let Some(signal) = interrupted() {
                    sink.save(|p| p.many = Some(stream.checkpoint()))?;
                    return Ok(End::Signal(signal));
                }
            }
            Some(Err(err)) => {
                errors.push(err);
                if sink.output.is_durable() {
                    // Webinars are written one after the other: writing the next ones now
                    // would put this one's rest after them on the rerun, and the file would
                    // differ from an uninterrupted export.
                    break;
                }
            }
            None => break,
        }
    }
    sink.progress.many = Some(stream.checkpoint());
    Ok(if errors.is_empty() {
        End::Done
    } else {
        End::Failed(errors)
    })
}
