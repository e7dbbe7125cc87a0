//! One export, from the request to the last row, whatever interrupts it.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use futures::{FutureExt, Stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use zoom_participants::{
    Attendance, Checkpoint, Client, Error, FromRow, Participant, ParticipantStream, RawRow,
    Result as ZoomResult, Webinar, WebinarListStream, WebinarType, WebinarsCheckpoint,
};

use super::args::{Args, Format};
use super::durable::{OpenError, Opened, Output};
use super::output::{Encoder, Tags};
use super::text::{say, shell_quote};
use super::{DEMO_WEBINAR, Failure, OTHER, USAGE, request_fingerprint};

/// Where a durable export stands.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Progress {
    /// The webinar instances of a period, once listed.
    instances: Option<Vec<Instance>>,
    /// While the period is being listed: where the list stands, and the instances so far.
    listing: Option<Checkpoint>,
    listed: Vec<Instance>,
    /// One stream of rows (a webinar, or the list).
    one: Option<Checkpoint>,
    /// Many webinars' rows.
    many: Option<WebinarsCheckpoint>,
    /// Webinars whose per-person rows are written.
    people_done: BTreeSet<String>,
}

/// A webinar instance of a period, as rows are tagged with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Instance {
    uuid: String,
    id: Option<i64>,
    topic: Option<String>,
    start_time: Option<DateTime<Utc>>,
}

impl Instance {
    fn tags(&self) -> Tags {
        Tags::new(vec![
            ("webinar_uuid", self.uuid.clone().into()),
            ("webinar_id", self.id.into()),
            ("webinar_topic", self.topic.clone().into()),
            // As the list writes instants (`2026-01-07T17:00:00Z`), not chrono's default
            // `+00:00`: the same text as the instance's `start_time` in `--list-webinars`.
            (
                "webinar_start_time",
                self.start_time
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                    .into(),
            ),
        ])
    }
}

/// The list's CSV columns: the ones a reader looks for first, then the rest of the schema.
const WEBINAR_COLUMNS: &[&str] = &[
    "uuid",
    "id",
    "topic",
    "start_time",
    "host",
    "email",
    "user_type",
    "end_time",
    "duration",
    "participants",
    "has_pstn",
    "has_voip",
    "has_3rd_party_audio",
    "has_video",
    "has_screen_share",
    "has_recording",
    "has_sip",
    "dept",
    "custom_keys",
    "has_external_participant",
];

const INSTANCE_TAGS: [&str; 4] = [
    "webinar_uuid",
    "webinar_id",
    "webinar_topic",
    "webinar_start_time",
];

/// The signal that interrupted the run (0: none yet), set by a task of its own.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

pub fn listen_for_signals() -> Arc<Notify> {
    let notify = Arc::new(Notify::new());
    let notified = notify.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        // A file over RLIMIT_FSIZE (a full quota) would kill the process with SIGXFSZ
        // before it could keep its checkpoint; handled, the write fails with EFBIG and the
        // run ends with one line like any full disk.
        let _file_size = signal(SignalKind::from_raw(25));
        let number = tokio::select! {
            _ = int.recv() => 2,
            _ = term.recv() => 15,
        };
        SIGNAL.store(number, Ordering::SeqCst);
        notified.notify_one();
    });
    notify
}

fn interrupted() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}

/// Not an exit code: marks a reader that went away, which ends the run quietly.
const BROKEN_PIPE: u8 = u8::MAX;

fn write_failure(err: io::Error, output: &Output) -> Failure {
    output_failure(err, output.is_durable())
}

fn output_failure(err: io::Error, durable: bool) -> Failure {
    if err.kind() == io::ErrorKind::BrokenPipe && !durable {
        return Failure::new(BROKEN_PIPE, "");
    }
    let rerun = if durable {
        "; rows written so far are kept: run the same command again to continue"
    } else {
        ""
    };
    Failure::new(OTHER, format!("cannot write the output: {err}{rerun}"))
}

/// How the run ended for the rows.
enum End {
    Done,
    /// A signal: exit 128 + its number.
    Signal(i32),
    /// Errors (several for a fan-out).
    Failed(Vec<Error>),
}

pub async fn export(args: &Args, client: &Client, notify: Arc<Notify>) -> Result<(), Failure> {
    let ids = webinar_ids(args)?;
    let fingerprint = request_fingerprint(args, &ids);
    let (mut output, mut progress) = match &args.output {
        None => (
            Output::stdout().map_err(|e| output_failure(e, false))?,
            Progress::default(),
        ),
        Some(path) => match Output::durable::<Progress>(path, fingerprint, args.restart) {
            Ok(Opened::Fresh(output)) => (output, Progress::default()),
            Ok(Opened::Resumed(output, progress)) => {
                if args.resume_from.is_some() {
                    return Err(Failure::new(
                        USAGE,
                        "--resume-from cannot be used with --output when a checkpoint exists: run the command without it to continue, or add --restart",
                    ));
                }
                (output, progress)
            }
            Err(OpenError::Mismatch(message)) => return Err(Failure::new(USAGE, message)),
            Err(OpenError::Io(message)) => return Err(Failure::new(OTHER, message)),
        },
    };
    // A CSV header starts a file; on standard output, a run that resumes at a token is
    // appended to an earlier one's rows and has none.
    let fresh = output.bytes() == 0 && (output.is_durable() || args.resume_from.is_none());
    let started = std::time::Instant::now();
    let bar = progress_display();
    let result = run(
        args,
        client,
        &ids,
        &mut output,
        &mut progress,
        fresh,
        &notify,
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let end = match result {
        Ok(end) => end,
        Err(failure) if failure.code == BROKEN_PIPE => return Ok(()),
        Err(failure) => return Err(failure),
    };
    let done = matches!(end, End::Done);
    let result = finish(end, output, &progress, args.limit);
    if done && result.is_ok() {
        summary(bar, client, started);
    }
    result
}

fn finish(
    end: End,
    mut output: Output,
    progress: &Progress,
    limit: Option<u64>,
) -> Result<(), Failure> {
    let hint = |checkpoint: &Checkpoint, token: &str| match shell_quote(token) {
        Some(token) => {
            // A limit counts this run's rows: the rerun may only write what is left.
            let rest = limit
                .map(|l| format!(" --limit {}", l.saturating_sub(checkpoint.items_yielded())))
                .unwrap_or_default();
            format!("--resume-from {token}{rest}")
        }
        None => "rerun with --output for a durable export".into(),
    };
    let durable = output.is_durable();
    let part = output
        .part_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match end {
        End::Done => {
            output.finish().map_err(|e| output_failure(e, durable))?;
            Ok(())
        }
        End::Signal(signal) => {
            output
                .checkpoint(progress)
                .map_err(|e| write_failure(e, &output))?;
            let how = if durable {
                format!("rows so far are in {part}: run the same command again to continue")
            } else {
                match progress
                    .one
                    .as_ref()
                    .and_then(|c| Some((c, c.next_page_token()?)))
                {
                    Some((checkpoint, token)) => {
                        format!("continue with {}", hint(checkpoint, token))
                    }
                    None if progress.one.is_some() => {
                        "nothing was written past the first page: run the command again".into()
                    }
                    None => "rerun with --output for a durable export that can continue".into(),
                }
            };
            let name = if signal == 2 { "SIGINT" } else { "SIGTERM" };
            Err(Failure::new(
                128 + signal as u8,
                format!("interrupted by {name}; {how}"),
            ))
        }
        End::Failed(errors) => {
            output
                .checkpoint(progress)
                .map_err(|e| write_failure(e, &output))?;
            let codes: BTreeSet<u8> = errors.iter().map(Failure::code_of).collect();
            let code = if codes.len() == 1 {
                codes.into_iter().next().unwrap_or(OTHER)
            } else {
                OTHER
            };
            let hint = if durable {
                format!("; rows so far are kept in {part}: run the same command again to continue")
            } else {
                match (&errors[..], progress.one.as_ref()) {
                    ([err], Some(checkpoint)) if resumable(err) => checkpoint
                        .next_page_token()
                        .map(|token| format!("; resume with {}", hint(checkpoint, token)))
                        .unwrap_or_default(),
                    _ => String::new(),
                }
            };
            if errors.len() == 1 {
                return Err(Failure::new(code, format!("{}{hint}", errors[0])));
            }
            for err in &errors {
                say(&format!("error: {err}"));
            }
            Err(Failure::new(
                code,
                format!("{} webinars failed (see above){hint}", errors.len()),
            ))
        }
    }
}

/// Whether a `--resume-from` hint would continue the export: not after Zoom repeated a
/// token (resuming would replay a page) or the list changed.
fn resumable(err: &Error) -> bool {
    !matches!(
        err,
        Error::RepeatedPageToken | Error::ListChanged { .. } | Error::Checkpoint(_)
    )
}

/// Rows written by this run, for the progress display.
static ROWS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A progress display on standard error, only when it is a terminal: rows written, redrawn
/// a few times a second by a task of its own.
fn progress_display() -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    let shown = bar.clone();
    tokio::spawn(async move {
        loop {
            shown.set_message(format!("{} rows", ROWS.load(Ordering::Relaxed)));
            shown.tick();
            if shown.is_finished() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    Some(bar)
}

fn summary(bar: Option<indicatif::ProgressBar>, client: &Client, started: std::time::Instant) {
    let Some(bar) = bar else { return };
    bar.finish_and_clear();
    let rows = ROWS.load(Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let remaining = client
        .rate_limit_remaining()
        .map(|r| format!("; Zoom says {r} requests remain today"))
        .unwrap_or_default();
    say(&format!(
        "{rows} rows, {} requests in {seconds:.1}s ({:.0} rows/s){remaining}",
        client.requests_sent(),
        rows as f64 / seconds.max(1e-9)
    ));
}

async fn run(
    args: &Args,
    client: &Client,
    ids: &[String],
    output: &mut Output,
    progress: &mut Progress,
    fresh: bool,
    notify: &Notify,
) -> Result<End, Failure> {
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if args.list_webinars {
            let encoder = Encoder::new(args.format, Vec::new(), WEBINAR_COLUMNS);
            header(&encoder, output, fresh)?;
            let mut request = client
                .webinars(from, to)
                .webinar_type(WebinarType::Past)
                .page_size(args.page_size);
            if let Some(checkpoint) = progress.one.clone() {
                request = request.resume(checkpoint);
            }
            return match args.format {
                Format::Ndjson => {
                    pump_one(request.stream_raw(), &encoder, output, progress, notify).await
                }
                Format::Csv => pump_one(request.stream(), &encoder, output, progress, notify).await,
            };
        }
        if progress.instances.is_none()
            && let Some(end) = list_instances(client, from, to, output, progress, notify).await?
        {
            return Ok(end);
        }
        let instances = progress.instances.clone().unwrap_or_default();
        let tags: HashMap<String, Tags> = instances
            .iter()
            .map(|i| (i.uuid.clone(), i.tags()))
            .collect();
        let ids: Vec<String> = instances.iter().map(|i| i.uuid.clone()).collect();
        let tag_of = move |id: &str| tags.get(id).cloned().unwrap_or_default();
        return many(
            args,
            client,
            &ids,
            INSTANCE_TAGS.to_vec(),
            tag_of,
            output,
            progress,
            fresh,
            notify,
        )
        .await;
    }
    if ids.len() == 1 && !args.per_person {
        return one_webinar(args, client, &ids[0], output, progress, fresh, notify).await;
    }
    let tagged = ids.len() > 1;
    let names = if tagged {
        vec!["webinar_id"]
    } else {
        Vec::new()
    };
    let tag_of = move |id: &str| {
        if tagged {
            Tags::new(vec![("webinar_id", id.into())])
        } else {
            Tags::default()
        }
    };
    many(
        args, client, ids, names, tag_of, output, progress, fresh, notify,
    )
    .await
}

fn header(encoder: &Encoder, output: &mut Output, fresh: bool) -> Result<(), Failure> {
    if fresh && let Some(header) = encoder.header().map_err(|e| write_failure(e, output))? {
        output
            .write(&header)
            .map_err(|e| write_failure(e, output))?;
    }
    Ok(())
}

/// Lists the instances of the period into `progress`, checkpointed page by page (the list
/// costs Resource-intensive calls, 10 a minute on Pro: a rerun must not spend them again)
/// and stopping at a signal. `Some(end)` when the run ends here.
async fn list_instances(
    client: &Client,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    output: &mut Output,
    progress: &mut Progress,
    notify: &Notify,
) -> Result<Option<End>, Failure> {
    let mut request = client.webinars(from, to).webinar_type(WebinarType::Past);
    if let Some(checkpoint) = progress.listing.clone() {
        request = request.resume(checkpoint);
    }
    let mut stream = request.stream();
    loop {
        if let Some(signal) = interrupted() {
            save(output, progress, |p| p.listing = Some(stream.checkpoint()))?;
            return Ok(Some(End::Signal(signal)));
        }
        let next = tokio::select! {
            next = stream.next() => next,
            _ = notify.notified() => continue,
        };
        match next {
            Some(Ok(webinar)) => {
                if let Some(uuid) = webinar.uuid.filter(|u| !u.is_empty()) {
                    progress.listed.push(Instance {
                        uuid,
                        id: webinar.id,
                        topic: webinar.topic,
                        start_time: webinar.start_time,
                    });
                }
                if stream.checkpoint().rows_in_progress() == 0 {
                    save(output, progress, |p| p.listing = Some(stream.checkpoint()))?;
                }
            }
            Some(Err(err)) => {
                progress.listing = Some(stream.checkpoint());
                return Ok(Some(End::Failed(vec![err])));
            }
            None => break,
        }
    }
    let listed = std::mem::take(&mut progress.listed);
    save(output, progress, |p| {
        p.instances = Some(listed);
        p.listing = None;
    })?;
    Ok(None)
}

/// Applies the options one-webinar and many-webinar requests share.
macro_rules! with_query_options {
    ($request:expr, $args:expr) => {{
        let args = $args;
        let mut request = $request
            .page_size(args.page_size)
            .prefetch(usize::from(args.prefetch));
        // The instances of a period are past webinars: their participants are asked for
        // with `type=past` (Zoom's default is live) unless `--type` says otherwise.
        let kind = args
            .webinar_type
            .map(WebinarType::from)
            .or(args.from.map(|_| WebinarType::Past));
        if let Some(kind) = kind {
            request = request.webinar_type(kind);
        }
        if args.include_registrant_id {
            request = request.include_registrant_id();
        }
        if let Some(limit) = args.limit {
            request = request.limit(limit);
        }
        for status in &args.status {
            request = request.status((*status).into());
        }
        for role in &args.role {
            request = request.role((*role).into());
        }
        request
    }};
}

async fn one_webinar(
    args: &Args,
    client: &Client,
    id: &str,
    output: &mut Output,
    progress: &mut Progress,
    fresh: bool,
    notify: &Notify,
) -> Result<End, Failure> {
    let mut request = with_query_options!(client.webinar_participants(id), args);
    match (&progress.one, &args.resume_from) {
        (Some(checkpoint), _) => request = request.resume(checkpoint.clone()),
        (None, Some(token)) => request = request.resume_from(token),
        (None, None) => {}
    }
    let encoder = Encoder::new(args.format, Vec::new(), Participant::FIELDS);
    header(&encoder, output, fresh)?;
    match args.format {
        Format::Ndjson => pump_one(request.stream_raw(), &encoder, output, progress, notify).await,
        Format::Csv => pump_one(request.stream(), &encoder, output, progress, notify).await,
    }
}

/// A row the output can encode: as Zoom sent it (NDJSON), or typed (CSV).
trait Encode {
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
encode_typed!(Participant, Webinar);

/// A stream that can say where it stands.
trait Resumable {
    fn checkpoint(&self) -> Checkpoint;
}

impl<T: FromRow> Resumable for ParticipantStream<T> {
    fn checkpoint(&self) -> Checkpoint {
        ParticipantStream::checkpoint(self)
    }
}

impl<T: FromRow> Resumable for WebinarListStream<T> {
    fn checkpoint(&self) -> Checkpoint {
        WebinarListStream::checkpoint(self)
    }
}

/// Rows of one stream to the output: whole rows, flushed whenever the stream has to wait,
/// checkpointed after every page's worth of rows. An error ends it.
async fn pump_one<S, T>(
    mut stream: S,
    encoder: &Encoder,
    output: &mut Output,
    progress: &mut Progress,
    notify: &Notify,
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
                    save(output, progress, |p| p.one = Some(checkpoint(&stream)))?;
                    since_checkpoint = 0;
                }
                if let Some(signal) = interrupted() {
                    return Ok(End::Signal(signal));
                }
                tokio::select! {
                    next = stream.next() => next,
                    _ = notify.notified() => continue,
                }
            }
        };
        match next {
            Some(Ok(item)) => {
                row.clear();
                item.encode(encoder, &tags, &mut row)
                    .map_err(|e| write_failure(e, output))?;
                output.write(&row).map_err(|e| write_failure(e, output))?;
                ROWS.fetch_add(1, Ordering::Relaxed);
                since_checkpoint += 1;
                if since_checkpoint >= 300 {
                    save(output, progress, |p| p.one = Some(checkpoint(&stream)))?;
                    since_checkpoint = 0;
                }
                if interrupted().is_some() && checkpoint(&stream).rows_in_progress() == 0 {
                    // A signal: stop at the end of the page in progress (no request is
                    // needed for it), so that the cursor is exact.
                    save(output, progress, |p| p.one = Some(checkpoint(&stream)))?;
                    return Ok(End::Signal(interrupted().unwrap_or(2)));
                }
            }
            Some(Err(err)) => {
                progress.one = Some(checkpoint(&stream));
                return Ok(End::Failed(vec![err]));
            }
            None => {
                progress.one = Some(checkpoint(&stream));
                return Ok(End::Done);
            }
        }
    }
}

fn save(
    output: &mut Output,
    progress: &mut Progress,
    update: impl FnOnce(&mut Progress),
) -> Result<(), Failure> {
    update(progress);
    output
        .checkpoint(progress)
        .map_err(|e| write_failure(e, output))
}

#[allow(clippy::too_many_arguments)]
async fn many(
    args: &Args,
    client: &Client,
    ids: &[String],
    tag_names: Vec<&'static str>,
    tag_of: impl Fn(&str) -> Tags,
    output: &mut Output,
    progress: &mut Progress,
    fresh: bool,
    notify: &Notify,
) -> Result<End, Failure> {
    if args.per_person {
        let encoder = Encoder::new(args.format, tag_names, Attendance::FIELDS);
        header(&encoder, output, fresh)?;
        return per_person(
            args, client, ids, &encoder, &tag_of, output, progress, notify,
        )
        .await;
    }
    let encoder = Encoder::new(args.format, tag_names, Participant::FIELDS);
    header(&encoder, output, fresh)?;
    let mut request = with_query_options!(client.webinars_participants(ids.to_vec()), args)
        .concurrency(args.concurrency as usize)
        .ordered(true);
    if let Some(checkpoint) = progress.many.clone() {
        request = request.resume(checkpoint);
    }
    match args.format {
        Format::Ndjson => {
            let stream = request.stream_raw();
            pump_many(
                stream, &encoder, &tag_of, args.limit, output, progress, notify,
            )
            .await
        }
        Format::Csv => {
            let stream = request.stream();
            pump_many(
                stream, &encoder, &tag_of, args.limit, output, progress, notify,
            )
            .await
        }
    }
}

/// Rows of many webinars to the output, each tagged with its webinar: as [`pump_one`],
/// except that one webinar's error does not end the run.
#[allow(clippy::too_many_arguments)]
async fn pump_many<T: FromRow + Encode>(
    mut stream: zoom_participants::WebinarsStream<T>,
    encoder: &Encoder,
    tag_of: &dyn Fn(&str) -> Tags,
    limit: Option<u64>,
    output: &mut Output,
    progress: &mut Progress,
    notify: &Notify,
) -> Result<End, Failure> {
    let mut tags: HashMap<String, Tags> = HashMap::new();
    let mut row = Vec::with_capacity(4096);
    let mut since_checkpoint = 0u32;
    let mut errors = Vec::new();
    // The cap is on the whole export: what earlier runs of it wrote counts.
    let mut written: u64 = progress
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
                    save(output, progress, |p| p.many = Some(stream.checkpoint()))?;
                    since_checkpoint = 0;
                }
                if let Some(signal) = interrupted() {
                    return Ok(End::Signal(signal));
                }
                tokio::select! {
                    next = stream.next() => next,
                    _ = notify.notified() => continue,
                }
            }
        };
        match next {
            Some(Ok((id, item))) => {
                row.clear();
                let tags = tags.entry(id).or_insert_with_key(|id| tag_of(id));
                item.encode(encoder, tags, &mut row)
                    .map_err(|e| write_failure(e, output))?;
                output.write(&row).map_err(|e| write_failure(e, output))?;
                ROWS.fetch_add(1, Ordering::Relaxed);
                since_checkpoint += 1;
                written += 1;
                if since_checkpoint >= 300 {
                    save(output, progress, |p| p.many = Some(stream.checkpoint()))?;
                    since_checkpoint = 0;
                }
                if limit == Some(written) {
                    break;
                }
                if let Some(signal) = interrupted() {
                    save(output, progress, |p| p.many = Some(stream.checkpoint()))?;
                    return Ok(End::Signal(signal));
                }
            }
            Some(Err(err)) => {
                errors.push(err);
                if output.is_durable() {
                    // Webinars are written one after the other: writing the next ones now
                    // would put this one's rest after them on the rerun, and the file would
                    // differ from an uninterrupted export.
                    break;
                }
            }
            None => break,
        }
    }
    progress.many = Some(stream.checkpoint());
    Ok(if errors.is_empty() {
        End::Done
    } else {
        End::Failed(errors)
    })
}

#[allow(clippy::too_many_arguments)]
async fn per_person(
    args: &Args,
    client: &Client,
    ids: &[String],
    encoder: &Encoder,
    tag_of: &impl Fn(&str) -> Tags,
    output: &mut Output,
    progress: &mut Progress,
    notify: &Notify,
) -> Result<End, Failure> {
    let todo: Vec<String> = ids
        .iter()
        .filter(|id| !progress.people_done.contains(*id))
        .cloned()
        .collect();
    let mut people = futures::stream::iter(todo.into_iter().map(|id| {
        let request = with_query_options!(client.webinar_participants(id.clone()), args);
        let stream = request.stream();
        async move {
            let people: ZoomResult<Vec<Attendance>> = stream.attendance().try_collect().await;
            (id, people)
        }
    }))
    .buffered(args.concurrency as usize);
    let mut errors = Vec::new();
    let mut row = Vec::with_capacity(4096);
    loop {
        if let Some(signal) = interrupted() {
            return Ok(End::Signal(signal));
        }
        let next = tokio::select! {
            next = people.next() => next,
            _ = notify.notified() => continue,
        };
        let Some((id, result)) = next else { break };
        match result {
            Ok(people) => {
                let tags = tag_of(&id);
                for person in &people {
                    row.clear();
                    encoder
                        .typed(person, &tags, &mut row)
                        .map_err(|e| write_failure(e, output))?;
                    output.write(&row).map_err(|e| write_failure(e, output))?;
                }
                save(output, progress, |p| {
                    p.people_done.insert(id);
                })?;
            }
            Err(err) => {
                errors.push(Error::Webinar {
                    webinar_id: id,
                    source: Box::new(err),
                });
                if output.is_durable() {
                    // As for rows: the next webinars' people must come after this one's.
                    break;
                }
            }
        }
    }
    Ok(if errors.is_empty() {
        End::Done
    } else {
        End::Failed(errors)
    })
}

fn webinar_ids(args: &Args) -> Result<Vec<String>, Failure> {
    if args.demo && args.from.is_none() {
        return Ok(vec![DEMO_WEBINAR.to_owned()]);
    }
    if args.from.is_some() {
        return Ok(Vec::new());
    }
    let mut ids = args.webinars.clone();
    if let Some(path) = &args.webinars_from {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::new(USAGE, format!("cannot read {}: {e}", path.display())))?;
        ids.extend(
            text.trim_start_matches('\u{feff}')
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() {
        return Err(Failure::new(USAGE, "no webinar ID given"));
    }
    Ok(ids)
}
