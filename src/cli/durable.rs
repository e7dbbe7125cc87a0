//! Where rows go: standard output, or a durable export to a file.
//!
//! A durable export writes to `FILE.part`, and after a page's rows (at most every 50 ms) a
//! checkpoint `FILE.part.checkpoint` (written to a temporary file, then renamed over the old
//! one, so that it is always whole). The rows a checkpoint covers are flushed before it is written,
//! and made durable (fsync) at least once a second and at the end; the kernel is asked to
//! start writing them back as they go, so that the fsyncs find little left. A rerun of the same
//! command truncates `FILE.part` to what its checkpoint covers (dropping a half line or
//! rows written after it) and continues; success renames `FILE.part` over `FILE` and removes
//! the checkpoint.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The state file's format version (2: a fan-out's place in its list instead of every
/// webinar's checkpoint, a period's instances in a file of their own).
const VERSION: u32 = 2;

/// Files beside the checkpoint (suffixes after the target's name), written once and
/// removed with it.
/// The file a period's instances are saved in, after the export's: `F.part.instances`.
pub const INSTANCES_FILE: &str = ".part.instances";

const BESIDE: [&str; 1] = [INSTANCES_FILE];

/// How often rows and checkpoint are made durable (fsync) during a run.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The least time between two checkpoints of rows written ([`Output::checkpoint_rows`]):
/// one a page from a server that takes longer than this per page (Zoom does), not four
/// hundred file replacements a second from a fast one on loopback.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// How many bytes of rows between two requests to start their writeback.
const WRITEBACK_EVERY: u64 = 4 << 20;

/// Starting the writeback of part of a file, where the system offers it.
mod writeback {
    use std::fs::File;

    /// Starts writing `len` bytes of `file` from `offset` to disk and returns at once.
    /// Best effort: a refusal changes nothing (the fsyncs write what is left).
    #[cfg(target_os = "linux")]
    pub fn start(file: &File, offset: u64, len: u64) {
        use std::os::fd::AsRawFd;
        use std::os::raw::{c_int, c_uint};
        /// `SYNC_FILE_RANGE_WRITE` (linux/fs.h): start writeback of dirty pages in the
        /// range, without waiting for it.
        const SYNC_FILE_RANGE_WRITE: c_uint = 2;
        unsafe extern "C" {
            fn sync_file_range(fd: c_int, offset: i64, nbytes: i64, flags: c_uint) -> c_int;
        }
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return;
        };
        // SAFETY: the descriptor is open for the duration of the call (borrowed from
        // `file`); the call only reads its arguments and touches no memory of ours.
        let _ = unsafe { sync_file_range(file.as_raw_fd(), offset, len, SYNC_FILE_RANGE_WRITE) };
    }

    #[cfg(not(target_os = "linux"))]
    pub fn start(_file: &File, _offset: u64, _len: u64) {}
}

/// What a checkpoint file holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct State<P> {
    version: u32,
    /// The command's options that decide the file's content.
    request: BTreeMap<String, String>,
    /// How many bytes of the in-progress file the checkpoint covers.
    bytes: u64,
    pub progress: P,
}

/// The output of a run.
pub struct Output {
    out: BufWriter<File>,
    /// Bytes written (for a durable export: the size of the in-progress file).
    bytes: u64,
    durable: Option<Durable>,
}

struct Durable {
    target: PathBuf,
    part: PathBuf,
    checkpoint: PathBuf,
    request: BTreeMap<String, String>,
    last_sync: Instant,
    /// When the checkpoint was last replaced.
    last_checkpoint: Option<Instant>,
    /// How far into the in-progress file the kernel was asked to start writing back.
    written_back: u64,
}

/// What opening an output found.
pub enum Opened<P> {
    /// A fresh start: nothing written yet.
    Fresh(Output),
    /// A checkpoint of the same command: continue from its progress.
    Resumed(Output, P),
}

/// Why an output cannot be opened.
pub enum OpenError {
    /// A checkpoint of another command: a usage error.
    Mismatch(String),
    Io(String),
}

impl Output {
    /// Standard output, written through a handle of its own (Rust's `Stdout` would
    /// silently swallow every write to a closed descriptor and report success).
    pub fn stdout() -> io::Result<Output> {
        use std::os::fd::AsFd;
        if super::STDOUT_CLOSED.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(io::Error::other("standard output is closed"));
        }
        let handle = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| io::Error::new(e.kind(), format!("standard output is closed ({e})")))?;
        Ok(Output {
            out: BufWriter::with_capacity(1 << 18, File::from(handle)),
            bytes: 0,
            durable: None,
        })
    }

    /// A file, device, FIFO or socket streamed into as standard output is (no `.part`, no
    /// checkpoint): what [`Target::Stream`] names.
    pub fn stream(target: &Stream) -> io::Result<Output> {
        use std::os::fd::AsFd;
        let file = match target {
            Stream::Descriptor(0) => File::from(io::stdin().as_fd().try_clone_to_owned()?),
            Stream::Descriptor(1) => {
                if super::STDOUT_CLOSED.load(std::sync::atomic::Ordering::SeqCst) {
                    return Err(io::Error::other("standard output is closed"));
                }
                File::from(io::stdout().as_fd().try_clone_to_owned()?)
            }
            Stream::Descriptor(_) => File::from(io::stderr().as_fd().try_clone_to_owned()?),
            Stream::Socket(path) => {
                let socket = std::os::unix::net::UnixStream::connect(path)?;
                File::from(std::os::fd::OwnedFd::from(socket))
            }
            Stream::Path(path) => OpenOptions::new().write(true).open(path)?,
        };
        Ok(Output {
            out: BufWriter::with_capacity(1 << 18, file),
            bytes: 0,
            durable: None,
        })
    }

    /// A durable export to `target`, resumed from its checkpoint when one was left by
    /// the same command (`request`), unless `restart`.
    pub fn durable<P: Serialize + for<'de> Deserialize<'de>>(
        target: &Path,
        request: BTreeMap<String, String>,
        restart: bool,
    ) -> Result<Opened<P>, OpenError> {
        // The file is replaced by a rename: a link is followed to the file it names, and
        // anything but a regular file is refused rather than replaced (`Target::of` sends
        // devices, FIFOs and sockets elsewhere, and refuses directories, before this).
        let resolved;
        let target = match fs::symlink_metadata(target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                resolved = fs::canonicalize(target).map_err(|e| {
                    OpenError::Mismatch(format!(
                        "--output {} is a link that leads nowhere: {e}",
                        target.display()
                    ))
                })?;
                resolved.as_path()
            }
            _ => target,
        };
        if let Ok(meta) = fs::metadata(target)
            && !meta.is_file()
        {
            return Err(OpenError::Mismatch(format!(
                "--output {} is not a regular file; a durable export replaces its file when it succeeds (write to standard output to stream into it)",
                target.display()
            )));
        }
        let part = sibling(target, ".part");
        let checkpoint = sibling(target, ".part.checkpoint");
        let io_error = |what: &str, path: &Path, e: io::Error| {
            OpenError::Io(format!("cannot {what} {}: {e}", path.display()))
        };
        let saved: Option<State<P>> = if restart {
            None
        } else {
            match fs::read(&checkpoint) {
                Ok(bytes) => Some(serde_json::from_slice(&bytes).map_err(|_| {
                    OpenError::Mismatch(format!(
                        "{} is not a checkpoint this version can read; rerun with --restart to start over",
                        checkpoint.display()
                    ))
                })?),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_error("read", &checkpoint, e)),
            }
        };
        let durable = |file: File, bytes: u64| Output {
            out: BufWriter::with_capacity(1 << 18, file),
            bytes,
            durable: Some(Durable {
                target: target.to_owned(),
                part: part.clone(),
                checkpoint: checkpoint.clone(),
                request: request.clone(),
                last_sync: Instant::now(),
                last_checkpoint: None,
                written_back: 0,
            }),
        };
        match saved {
            Some(state) => {
                if state.version != VERSION || state.request != request {
                    return Err(OpenError::Mismatch(describe_mismatch(
                        &state.request,
                        &request,
                        &checkpoint,
                    )));
                }
                let mut file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&part)
                    .map_err(|e| io_error("open", &part, e))?;
                let length = file
                    .metadata()
                    .map_err(|e| io_error("read", &part, e))?
                    .len();
                if length < state.bytes {
                    return Err(OpenError::Io(format!(
                        "{} is shorter than its checkpoint says (it did not reach the disk before a crash); rerun with --restart to start over",
                        part.display()
                    )));
                }
                // Drop what the checkpoint does not cover: a half line, rows after it.
                file.set_len(state.bytes)
                    .and_then(|()| file.seek(SeekFrom::End(0)).map(|_| ()))
                    .map_err(|e| io_error("truncate", &part, e))?;
                Ok(Opened::Resumed(durable(file, state.bytes), state.progress))
            }
            None => {
                let file = File::create(&part).map_err(|e| io_error("create", &part, e))?;
                let _ = fs::remove_file(&checkpoint);
                for suffix in BESIDE {
                    let _ = fs::remove_file(sibling(target, suffix));
                }
                Ok(Opened::Fresh(durable(file, 0)))
            }
        }
    }

    /// Bytes of the output so far (a resumed export counts what it kept).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn is_durable(&self) -> bool {
        self.durable.is_some()
    }

    /// Writes one whole row (or header) in one write.
    pub fn write(&mut self, row: &[u8]) -> io::Result<()> {
        self.out.write_all(row)?;
        self.bytes += row.len() as u64;
        Ok(())
    }

    /// As [`checkpoint`](Output::checkpoint), for rows written as they come: the
    /// checkpoint file is replaced only if the last one is [`CHECKPOINT_EVERY`] old (a
    /// rerun then fetches again the few pages after it, and writes the same bytes).
    pub fn checkpoint_rows<P: Serialize>(&mut self, progress: &P) -> io::Result<()> {
        let recent = self.durable.as_ref().is_some_and(|d| {
            d.last_checkpoint
                .is_some_and(|at| at.elapsed() < CHECKPOINT_EVERY)
        });
        if recent {
            self.out.flush()?;
            self.start_writeback();
            return Ok(());
        }
        self.checkpoint(progress)
    }

    /// Asks the kernel to start writing the rows flushed so far to disk, without waiting
    /// (Linux `sync_file_range`), every [`WRITEBACK_EVERY`] bytes: the disk then works
    /// while the export goes on, and the fsyncs (once a second, and the one at the end
    /// before the file replaces its target) find little left to write. Durability still
    /// rests on those fsyncs alone.
    fn start_writeback(&mut self) {
        let Some(durable) = &mut self.durable else {
            return;
        };
        if self.bytes < durable.written_back + WRITEBACK_EVERY {
            return;
        }
        writeback::start(
            self.out.get_ref(),
            durable.written_back,
            self.bytes - durable.written_back,
        );
        durable.written_back = self.bytes;
    }

    /// Flushes the rows written so far, then (for a durable export) replaces the
    /// checkpoint with one that covers them.
    pub fn checkpoint<P: Serialize>(&mut self, progress: &P) -> io::Result<()> {
        self.out.flush()?;
        self.start_writeback();
        let bytes = self.bytes;
        let Some(durable) = &mut self.durable else {
            return Ok(());
        };
        durable.last_checkpoint = Some(Instant::now());
        let sync = durable.last_sync.elapsed() >= SYNC_EVERY;
        if sync {
            self.out.get_ref().sync_data()?;
            durable.last_sync = Instant::now();
        }
        let state = State {
            version: VERSION,
            request: durable.request.clone(),
            bytes,
            progress,
        };
        let text = serde_json::to_vec(&state).map_err(io::Error::other)?;
        let temporary = sibling(&durable.target, ".part.checkpoint.tmp");
        {
            let mut file = File::create(&temporary)?;
            file.write_all(&text)?;
            if sync {
                file.sync_data()?;
            }
        }
        fs::rename(&temporary, &durable.checkpoint)
    }

    /// Saves what is written once and never changes (a period's instances) in a file
    /// beside the checkpoint, `FILE{suffix}`: whole and on disk (temporary file, fsync,
    /// rename) before any checkpoint names it. Nothing for a stream.
    pub fn save_beside(&self, suffix: &str, bytes: &[u8]) -> io::Result<()> {
        let Some(durable) = &self.durable else {
            return Ok(());
        };
        let path = sibling(&durable.target, suffix);
        let temporary = sibling(&path, ".tmp");
        {
            let mut file = File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_data()?;
        }
        fs::rename(&temporary, &path)
    }

    /// What [`save_beside`](Output::save_beside) saved (`None`: no such file, or a stream).
    pub fn read_beside(&self, suffix: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(durable) = &self.durable else {
            return Ok(None);
        };
        match fs::read(sibling(&durable.target, suffix)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ends a successful run: the export replaces its target, and nothing else is left.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()?;
        if let Some(durable) = self.durable.take() {
            self.out.get_ref().sync_data()?;
            // The checkpoint goes first: a crash between the two leaves a complete part
            // file and no checkpoint, which a rerun simply starts over.
            match fs::remove_file(&durable.checkpoint) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            // Named by no checkpoint any more: a crash before this leaves a file that the
            // next fresh start removes.
            for suffix in BESIDE {
                let _ = fs::remove_file(sibling(&durable.target, suffix));
            }
            fs::rename(&durable.part, &durable.target)?;
            if let Some(dir) = durable
                .target
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                && let Ok(dir) = File::open(dir)
            {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }

    /// Where a durable export's in-progress file is, for messages.
    pub fn part_path(&self) -> Option<&Path> {
        self.durable.as_ref().map(|d| d.part.as_path())
    }
}

/// What `--output` names, by the type of what it leads to.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A regular file, or none yet: a durable export replaces it when it succeeds.
    Durable,
    /// A device, a FIFO, a socket or a standard stream: written as standard output is.
    Stream(Stream),
    /// A directory: a usage error.
    Directory,
}

/// Something streamed into.
#[derive(Debug, PartialEq, Eq)]
pub enum Stream {
    /// One of the process's standard descriptors (0, 1 or 2), duplicated: `/dev/stdout`,
    /// `/dev/fd/1`, `/proc/self/fd/1` work whatever that descriptor is (a pipe, a socket,
    /// a terminal, a file).
    Descriptor(u8),
    /// A Unix socket bound in the file system: connected to.
    Socket(PathBuf),
    /// A device, a FIFO, another descriptor: opened for writing.
    Path(PathBuf),
}

impl Target {
    /// Follows links, one at a time, and decides by the type of what `path` leads to.
    pub fn of(path: &Path) -> Target {
        use std::os::unix::fs::FileTypeExt;
        let mut current = path.to_path_buf();
        // As the kernel does, give up on a loop of links after 40 of them.
        for _ in 0..40 {
            if let Some(fd) = standard_descriptor(&current) {
                return Target::Stream(Stream::Descriptor(fd));
            }
            let Ok(meta) = fs::symlink_metadata(&current) else {
                // A new file, or a link that leads nowhere (refused by `durable`).
                return Target::Durable;
            };
            let kind = meta.file_type();
            if kind.is_symlink() {
                match fs::read_link(&current) {
                    Ok(link) => {
                        let base = current.parent().map(Path::to_path_buf).unwrap_or_default();
                        current = base.join(link);
                        continue;
                    }
                    Err(_) => return Target::Durable,
                }
            }
            return if kind.is_file() {
                Target::Durable
            } else if kind.is_dir() {
                Target::Directory
            } else if kind.is_socket() {
                Target::Stream(Stream::Socket(current))
            } else {
                Target::Stream(Stream::Path(current))
            };
        }
        Target::Durable
    }
}

/// The standard descriptor a path names: `/dev/stdin|stdout|stderr`, `/dev/fd/N`,
/// `/proc/self/fd/N`, `/proc/thread-self/fd/N` or `/proc/<this process>/fd/N` for N in 0..=2.
/// (Other descriptors are opened by their path, which the kernel resolves.)
fn standard_descriptor(path: &Path) -> Option<u8> {
    let text = path.to_str()?;
    let named = match text {
        "/dev/stdin" => Some(0),
        "/dev/stdout" => Some(1),
        "/dev/stderr" => Some(2),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let pid = std::process::id().to_string();
    let number = ["/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .or_else(|| {
            text.strip_prefix("/proc/")?
                .strip_prefix(pid.as_str())?
                .strip_prefix("/fd/")
        })?;
    number.parse::<u8>().ok().filter(|n| *n <= 2)
}

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A fingerprint value as a person writes it on the command line: the checkpoint keeps
/// Rust's own notation (`Some(Past)`, `InMeeting`, `None`), which must not change under
/// existing checkpoints; messages say `past`, `in_meeting`, `unset`.
fn shown(value: &str) -> String {
    if value.is_empty() || value == "None" {
        return "unset".to_owned();
    }
    if let Some(inner) = value
        .strip_prefix("Some(")
        .and_then(|v| v.strip_suffix(')'))
    {
        return shown(inner);
    }
    let word = |w: &str| {
        let named = w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && w.chars().all(|c| c.is_ascii_alphanumeric());
        match w {
            "PastOne" => "pastOne".to_owned(),
            _ if named => w
                .chars()
                .enumerate()
                .fold(String::new(), |mut out, (i, c)| {
                    if c.is_ascii_uppercase() && i > 0 {
                        out.push('_');
                    }
                    out.push(c.to_ascii_lowercase());
                    out
                }),
            _ => w.to_owned(),
        }
    };
    if value.starts_with('[') || value.starts_with('"') || value.contains(' ') {
        return value.to_owned();
    }
    value.split(',').map(word).collect::<Vec<_>>().join(",")
}

fn describe_mismatch(
    saved: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
    checkpoint: &Path,
) -> String {
    let keys: std::collections::BTreeSet<&String> = saved.keys().chain(now.keys()).collect();
    let differences: Vec<String> = keys
        .into_iter()
        .filter(|k| saved.get(*k) != now.get(*k))
        .map(|k| {
            format!(
                "{k} was {} and is now {}",
                saved.get(k).map_or("unset".to_owned(), |v| shown(v)),
                now.get(k).map_or("unset".to_owned(), |v| shown(v))
            )
        })
        .collect();
    format!(
        "{} was left by a different command ({}); rerun that command to continue it, or add --restart to start this one over",
        checkpoint.display(),
        if differences.is_empty() {
            "another format version".to_owned()
        } else {
            differences.join(", ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn fingerprint_values_are_shown_as_options_are_written() {
        let cases = [
            ("Some(Past)", "past"),
            ("Some(PastOne)", "pastOne"),
            ("None", "unset"),
            ("", "unset"),
            ("InMeeting", "in_meeting"),
            ("InMeeting,InWaitingRoom", "in_meeting,in_waiting_room"),
            ("Ndjson", "ndjson"),
            ("Some(50)", "50"),
            ("300", "300"),
            ("true", "true"),
            (r#"["95204914252"]"#, r#"["95204914252"]"#),
            ("https://api.zoom.us/v2", "https://api.zoom.us/v2"),
            ("demo Some(200)", "demo Some(200)"),
        ];
        for (saved, want) in cases {
            assert_eq!(shown(saved), want, "{saved:?}");
        }
    }
}
