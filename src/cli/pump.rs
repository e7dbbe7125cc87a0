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
use super::end::{End, Failed, instance_hint, write_failure};
use super::output::{Encoder, Tags};
use super::progress::{Place, Progress};
use super::signals::interrupted;
use super::text::{say, shell_quote};

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
        let next = sink
            .next(&mut stream, |sink, stream| {
                // What was written goes out now, under a checkpoint unless the last one
                // already covers it.
                if since_checkpoint > 0 {
                    sink.save_rows(|p| p.one = Some(checkpoint(stream)))?;
                    since_checkpoint = 0;
                }
                Ok(())
            })
            .await?;
        let next = match next {
            Next::Item(next) => next,
            Next::Signal(signal) => return Ok(End::Signal(signal)),
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
                    sink.save_rows(|p| p.one = Some(checkpoint(&stream)))?;
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
                return Ok(End::Failed(vec![Failed::from(err)]));
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

    /// As [`save`](Sink::save) after rows written as they come: the checkpoint file is
    /// replaced at most every 50 ms (see `Output::checkpoint_rows`); the rows are flushed
    /// every time.
    pub fn save_rows(&mut self, update: impl FnOnce(&mut Progress)) -> Result<(), Failure> {
        update(self.progress);
        self.output
            .checkpoint_rows(&*self.progress)
            .map_err(|e| write_failure(e, self.output))
    }

    /// The next item of `stream`, or the signal that stopped the wait for it. When the item
    /// is not there at once (the stream has to wait for the network), `on_wait` runs first:
    /// what was written goes out then, under a checkpoint. A signal that came before the
    /// wait, or comes during it, ends the wait. The one loop every mode of an export waits
    /// in.
    pub async fn next<S: Stream + Unpin>(
        &mut self,
        stream: &mut S,
        on_wait: impl FnOnce(&mut Self, &S) -> Result<(), Failure>,
    ) -> Result<Next<S::Item>, Failure> {
        if let Some(item) = stream.next().now_or_never() {
            return Ok(Next::Item(item));
        }
        on_wait(self, stream)?;
        loop {
            if let Some(signal) = interrupted() {
                return Ok(Next::Signal(signal));
            }
            tokio::select! {
                item = stream.next() => return Ok(Next::Item(item)),
                _ = self.notify.notified() => {}
            }
        }
    }

    /// Writes one encoded row (or header).
    pub fn write(&mut self, row: &[u8]) -> Result<(), Failure> {
        self.output
            .write(row)
            .map_err(|e| write_failure(e, self.output))
    }
}

/// What waiting for a stream gave: its next item (`None`: it ended), or a signal.
pub enum Next<T> {
    Item(Option<T>),
    Signal(i32),
}

/// The webinars of a fan-out written one after the other: the ones asked for, and where
/// they start in the export's whole list.
pub struct List<'a> {
    pub ids: &'a [String],
    /// The option that names an instance on the command line (`--webinar`, `--meeting`).
    pub flag_of: &'a dyn Fn(&str) -> &'static str,
    pub start: usize,
    /// Rows the export wrote before this run.
    pub written: u64,
    /// An instance Zoom has no participant list for (404) is skipped with a line on
    /// standard error, not a failure (`--skip-missing`).
    pub skip_missing: bool,
    /// Whether the IDs are what the user asked for, so that a hint may name them (not the
    /// instances of a period or of `--all-instances`, whose rows are tagged otherwise).
    pub hint_ids: bool,
}

/// The most instances a hint to continue a fan-out on standard output names.
const HINT_IDS: usize = 20;

impl List<'_> {
    /// How to continue a fan-out stopped by a signal on standard output, at a page
    /// boundary of the instance in progress: that instance from its token, then the ones
    /// not started, each as its option. `None` where no short exact hint exists (a
    /// `--limit`, which the two commands could not share; IDs that are not the user's).
    fn continue_with<T: Row>(
        &self,
        stream: &WebinarsStream<T>,
        at: usize,
        limit: Option<u64>,
    ) -> Option<String> {
        if !self.hint_ids || limit.is_some() {
            return None;
        }
        let option = |id: &str| Some(format!("{} {}", (self.flag_of)(id), shell_quote(id)?));
        let mut unfinished = self
            .ids
            .iter()
            .skip(at)
            .filter(|id| !stream.checkpoint_of(id).is_some_and(|c| c.is_finished()));
        let mut parts = Vec::new();
        let mut rest: Vec<String> = Vec::new();
        if let Some(first) = unfinished.next() {
            match stream.checkpoint_of(first) {
                Some(c) if c.items_yielded() > 0 => {
                    if c.rows_in_progress() > 0 {
                        return None;
                    }
                    let token = shell_quote(c.next_page_token()?)?;
                    parts.push(format!("{} --resume-from {token}", option(first)?));
                }
                _ => rest.push(option(first)?),
            }
        }
        for id in unfinished {
            rest.push(option(id)?);
        }
        if rest.len() > HINT_IDS {
            return None;
        }
        if !rest.is_empty() {
            parts.push(rest.join(" "));
        }
        match parts.len() {
            0 => None,
            1 => Some(format!("continue with {}", parts[0])),
            _ => Some(format!(
                "continue with {}, then the ones not finished: {}",
                parts[0], parts[1]
            )),
        }
    }

    /// The export's place: webinar `at` of this run's list in progress.
    fn place<T: Row>(&self, stream: &WebinarsStream<T>, at: usize, written: u64) -> Place {
        Place {
            done: self.start + at,
            current: self.ids.get(at).and_then(|id| stream.checkpoint_of(id)),
            written,
        }
    }

    /// Moves `at` to webinar `id`: the webinars before it are written whole (they come in
    /// order).
    fn reach(&self, at: &mut usize, id: &str) {
        if self.ids.get(*at).is_some_and(|current| current == id) {
            return;
        }
        if let Some(ahead) = self.ids.iter().skip(*at).position(|i| i == id) {
            *at += ahead;
        }
    }
}

/// Rows of many webinars to the output, each tagged with its webinar: as [`pump_one`],
/// except that one webinar's error does not end the run on standard output. The
/// checkpoint keeps the place in `list` (a few bytes), not every webinar's.
pub async fn pump_many<T: Row + Encode>(
    mut stream: WebinarsStream<T>,
    encoder: &Encoder,
    tag_of: &dyn Fn(&str) -> Tags,
    limit: Option<u64>,
    list: List<'_>,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    let mut tags: HashMap<String, Tags> = HashMap::new();
    let mut row = Vec::with_capacity(4096);
    let mut since_checkpoint = 0u32;
    let mut failures = Vec::new();
    let mut at = 0;
    // The cap is on the whole export: what earlier runs of it wrote counts.
    let mut written = list.written;
    if limit.is_some_and(|limit| written >= limit) {
        return Ok(End::Done);
    }
    loop {
        let next = sink
            .next(&mut stream, |sink, stream| {
                if since_checkpoint > 0 {
                    let place = list.place(stream, at, written);
                    sink.save_rows(|p| p.many = Some(place))?;
                    since_checkpoint = 0;
                }
                Ok(())
            })
            .await?;
        let next = match next {
            Next::Item(next) => next,
            Next::Signal(signal) => {
                if !sink.output.is_durable() {
                    sink.progress.continue_with = list.continue_with(&stream, at, limit);
                }
                return Ok(End::Signal(signal));
            }
        };
        match next {
            Some(Ok((id, item))) => {
                list.reach(&mut at, &id);
                row.clear();
                let tags = tags.entry(id).or_insert_with_key(|id| tag_of(id));
                item.encode(encoder, tags, &mut row)
                    .map_err(|e| write_failure(e, sink.output))?;
                sink.write(&row)?;
                count_row();
                since_checkpoint += 1;
                written += 1;
                if since_checkpoint >= 300 {
                    let place = list.place(&stream, at, written);
                    sink.save_rows(|p| p.many = Some(place))?;
                    since_checkpoint = 0;
                }
                if limit == Some(written) {
                    break;
                }
                if let Some(signal) = interrupted() {
                    // A durable export stops at once (its checkpoint is exact); on standard
                    // output the page in progress is finished first (no request is needed
                    // for it), so that the hint's token continues exactly.
                    let durable = sink.output.is_durable();
                    let page_done = list
                        .ids
                        .get(at)
                        .and_then(|id| stream.checkpoint_of(id))
                        .is_none_or(|c| c.rows_in_progress() == 0);
                    if durable || page_done {
                        let place = list.place(&stream, at, written);
                        sink.save(|p| p.many = Some(place))?;
                        if !durable {
                            sink.progress.continue_with = list.continue_with(&stream, at, limit);
                        }
                        return Ok(End::Signal(signal));
                    }
                }
            }
            Some(Err(err)) => {
                let id = err
                    .webinar_id()
                    .or(err.meeting_id())
                    .unwrap_or_default()
                    .to_owned();
                list.reach(&mut at, &id);
                if list.skip_missing && err.http_status() == Some(404) {
                    // Nothing of it is written (or what was stays): a rerun that meets it
                    // again skips it again, so the file is the same.
                    say(&format!("skipped: {err}"));
                    continue;
                }
                if sink.output.is_durable() {
                    // Webinars are written one after the other: writing the next ones now
                    // would put this one's rest after them on the rerun, and the file would
                    // differ from an uninterrupted export.
                    failures.push(Failed::from(err));
                    break;
                }
                let left = limit.map(|limit| limit.saturating_sub(written));
                let checkpoint = stream.checkpoint_of(&id);
                let hint = instance_hint((list.flag_of)(&id), &id, checkpoint.as_ref(), &err, left);
                failures.push(Failed { error: err, hint });
            }
            None => break,
        }
    }
    sink.progress.many = Some(list.place(&stream, at, written));
    Ok(if failures.is_empty() {
        End::Done
    } else {
        End::Failed(failures)
    })
}
