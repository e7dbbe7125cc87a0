//! Where `--listen` and `--follow` write: one NDJSON line per event, to standard output or
//! appended to a file, and the loop that writes a stream of events until it ends or a
//! signal stops it.
//!
//! A file is opened to append (created if missing): a restart adds after what is there.
//! Each line goes out in one write as soon as it is made (a reader sees it at once), and
//! the file is made durable (fsync) when something was written and a second has passed
//! since the last time, and at the end. Only a torn last line (a crash in the middle of a
//! write) is cut when the file is opened again: every line in the file is whole.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::Notify;
use zoom_participants::Result as ZoomResult;
use zoom_participants::webhook::ParticipantEvent;

use super::signals::interrupted;
use super::{Failure, OTHER};

/// How often a file being written is made durable, at most and (while lines come) at least.
const SYNC_EVERY: Duration = Duration::from_secs(1);

pub struct EventLog {
    out: File,
    line: Vec<u8>,
    written: u64,
    /// A file (fsync applies), not standard output.
    file: bool,
    unsynced: bool,
    last_sync: Instant,
}

impl EventLog {
    /// Standard output, through a handle of its own (see `durable::Output::stdout`).
    pub fn stdout() -> io::Result<EventLog> {
        use std::os::fd::AsFd;
        if super::STDOUT_CLOSED.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(io::Error::other("standard output is closed"));
        }
        let handle = io::stdout().as_fd().try_clone_to_owned()?;
        Ok(EventLog::new(File::from(handle), false))
    }

    /// `path`, opened to append; a torn last line left by a crash is cut first.
    pub fn append(path: &Path) -> io::Result<EventLog> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let whole = whole_lines_length(&file, meta.len())?;
        if whole < meta.len() {
            file.set_len(whole)?;
            file.sync_data()?;
        }
        Ok(EventLog::new(file, true))
    }

    fn new(out: File, file: bool) -> Self {
        EventLog {
            out,
            line: Vec::with_capacity(4096),
            written: 0,
            file,
            unsynced: false,
            last_sync: Instant::now(),
        }
    }

    /// Writes one event as one line, in one write.
    pub fn write(&mut self, event: &ParticipantEvent) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, event).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.written += 1;
        self.unsynced = true;
        self.tick()
    }

    /// Makes the file durable if a second has passed since it last was.
    pub fn tick(&mut self) -> io::Result<()> {
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// Makes everything written so far durable.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.file && self.unsynced {
            self.out.sync_data()?;
        }
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Lines written by this run.
    pub fn written(&self) -> u64 {
        self.written
    }
}

/// The length of the file up to and including its last newline (0 if it has none).
fn whole_lines_length(file: &File, length: u64) -> io::Result<u64> {
    let mut end = length;
    let mut chunk = [0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.read_exact_at(part, start)?;
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// How a stream of events stops on a signal.
pub enum OnSignal<'a> {
    /// Stop at once (a follow: nothing was acknowledged to anyone).
    Stop,
    /// Call this (a listener's `close`), then write everything the stream still yields.
    Drain(&'a dyn Fn()),
}

/// Writes every event of `events` until it ends, fails, or a signal stops it; the file is
/// made durable at the end in every case.
pub async fn write_events<S>(
    events: &mut S,
    log: &mut EventLog,
    notify: &Notify,
    on_signal: OnSignal<'_>,
) -> Result<Option<i32>, Failure>
where
    S: Stream<Item = ZoomResult<ParticipantEvent>> + Unpin,
{
    let mut tick = tokio::time::interval(SYNC_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut signal = None;
    let result = loop {
        if signal.is_none()
            && let Some(number) = interrupted()
        {
            signal = Some(number);
            match &on_signal {
                OnSignal::Stop => break write_ready(events, log),
                OnSignal::Drain(close) => close(),
            }
        }
        tokio::select! {
            next = events.next() => match next {
                Some(Ok(event)) => {
                    if let Err(err) = log.write(&event) {
                        break Err(err);
                    }
                }
                Some(Err(err)) => {
                    let _ = log.sync();
                    return Err(Failure::from_error(&err));
                }
                None => break Ok(()),
            },
            _ = tick.tick() => {
                if let Err(err) = log.tick() {
                    break Err(err);
                }
            }
            _ = notify.notified(), if signal.is_none() => {}
        }
    };
    let result = result.and_then(|()| log.sync());
    match result {
        Ok(()) => Ok(signal),
        Err(err) => Err(Failure::new(
            OTHER,
            format!(
                "cannot write the output after {} events: {err}",
                log.written()
            ),
        )),
    }
}

/// Writes the events the stream has ready without waiting (the rest of a snapshot
/// already taken), so a stop never leaves half of one unwritten.
fn write_ready<S>(events: &mut S, log: &mut EventLog) -> io::Result<()>
where
    S: Stream<Item = ZoomResult<ParticipantEvent>> + Unpin,
{
    while let Some(Some(Ok(event))) = events.next().now_or_never() {
        log.write(&event)?;
    }
    Ok(())
}

/// The failure that reports a signal, after `written` lines.
pub fn interrupted_failure(signal: i32, written: u64, after: &str) -> Failure {
    let name = if signal == 2 { "SIGINT" } else { "SIGTERM" };
    Failure::new(
        128 + signal as u8,
        format!("interrupted by {name}; {written} events written{after}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_appends_after_the_last_whole_line_only() {
        let dir = std::env::temp_dir().join(format!("zp-event-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let path = dir.join("events.ndjson");
        // Two whole lines and a torn third, as a crash in the middle of a write leaves them.
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n{\"c\":").expect("written");
        let log = EventLog::append(&path).expect("opened");
        assert_eq!(log.written(), 0);
        drop(log);
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{\"a\":1}\n{\"b\":2}\n"
        );
        // Whole lines are never cut, however long the file.
        let long = format!("{}\n", "x".repeat(10_000));
        std::fs::write(&path, &long).expect("written");
        drop(EventLog::append(&path).expect("opened"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), long);
        // A file of one torn line is emptied; a missing one is created.
        std::fs::write(&path, "x".repeat(9_000)).expect("written");
        drop(EventLog::append(&path).expect("opened"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "");
        std::fs::remove_file(&path).expect("removed");
        drop(EventLog::append(&path).expect("created"));
        assert!(path.exists());
        assert!(EventLog::append(&dir).is_err(), "a directory is refused");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
