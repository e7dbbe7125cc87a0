//! One export, from the request to the last row, whatever interrupts it.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use zoom_participants::{
    Attendance, Checkpoint, Client, Connection, Error, Meeting, MeetingType, Participant,
    ParticipantsRequest, ReportParticipant, Result as ZoomResult, Row, Webinar, WebinarType,
    WebinarsCheckpoint, WebinarsRequest,
};

use super::args::{Args, Format, SourceArg, TypeArg};
use super::display::{progress_display, summary};
use super::durable::{OpenError, Opened, Output, Target};
use super::output::{Encoder, Tags};
use super::pump::{Encode, Sink, pump_many, pump_one};
use super::signals::interrupted;
use super::text::{say, shell_quote};
use super::{DEMO_WEBINAR, Failure, OTHER, USAGE, request_fingerprint};

/// Where a durable export stands.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// The webinar instances of a period, once listed.
    instances: Option<Vec<Instance>>,
    /// While the period is being listed: where the list stands, and the instances so far.
    listing: Option<Checkpoint>,
    listed: Vec<Instance>,
    /// One stream of rows (a webinar, or the list).
    pub one: Option<Checkpoint>,
    /// Many webinars' rows.
    pub many: Option<WebinarsCheckpoint>,
    /// Webinars whose per-person rows are written.
    people_done: BTreeSet<String>,
}

/// Which kind of instance an ID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Webinar,
    Meeting,
}

impl Kind {
    /// The tags of a period's instances: `webinar_uuid`… or `meeting_uuid`…
    fn instance_tags(self) -> Vec<&'static str> {
        match self {
            Kind::Webinar => vec![
                "webinar_uuid",
                "webinar_id",
                "webinar_topic",
                "webinar_start_time",
            ],
            Kind::Meeting => vec![
                "meeting_uuid",
                "meeting_id",
                "meeting_topic",
                "meeting_start_time",
            ],
        }
    }

    /// The tag of a row in a fan-out of IDs.
    fn id_tag(self) -> &'static str {
        match self {
            Kind::Webinar => "webinar_id",
            Kind::Meeting => "meeting_id",
        }
    }
}

/// An instance of a period, as rows are tagged with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Instance {
    uuid: String,
    id: Option<i64>,
    topic: Option<String>,
    start_time: Option<DateTime<Utc>>,
}

impl Instance {
    fn tags(&self, kind: Kind) -> Tags {
        let names = kind.instance_tags();
        Tags::new(vec![
            (names[0], self.uuid.clone().into()),
            (names[1], self.id.into()),
            (names[2], self.topic.clone().into()),
            // As the list writes instants (`2026-01-07T17:00:00Z`), not chrono's default
            // `+00:00`: the same text as the instance's `start_time` in `--list-webinars`.
            (
                names[3],
                self.start_time
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                    .into(),
            ),
        ])
    }
}

/// A list's CSV columns: the ones a reader looks for first, then the rest of the schema in
/// the row type's order.
fn instance_columns(fields: &'static [&'static str]) -> Vec<&'static str> {
    const FIRST: [&str; 4] = ["uuid", "id", "topic", "start_time"];
    FIRST
        .into_iter()
        .chain(fields.iter().copied().filter(|f| !FIRST.contains(f)))
        .collect()
}

/// Not an exit code: marks a reader that went away, which ends the run quietly.
const BROKEN_PIPE: u8 = u8::MAX;

pub fn write_failure(err: io::Error, output: &Output) -> Failure {
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
pub enum End {
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
        Some(path) => match Target::of(path) {
            Target::Directory => {
                return Err(Failure::new(
                    USAGE,
                    format!(
                        "--output {} is a directory; name a file in it",
                        path.display()
                    ),
                ));
            }
            Target::Stream(target) => (
                Output::stream(&target).map_err(|e| {
                    Failure::new(
                        OTHER,
                        format!("cannot open --output {}: {e}", path.display()),
                    )
                })?,
                Progress::default(),
            ),
            Target::Durable => durable(args, path, fingerprint)?,
        },
    };
    // A CSV header starts a file; on standard output, a run that resumes at a token is
    // appended to an earlier one's rows and has none.
    let fresh = output.bytes() == 0 && (output.is_durable() || args.resume_from.is_none());
    let started = std::time::Instant::now();
    let bar = progress_display();
    let mut sink = Sink {
        output: &mut output,
        progress: &mut progress,
        notify: &notify,
        fresh,
    };
    let result = run(args, client, &ids, &mut sink).await;
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

/// Opens a durable export to `path`: fresh, or resumed from the checkpoint it left.
fn durable(
    args: &Args,
    path: &std::path::Path,
    fingerprint: std::collections::BTreeMap<String, String>,
) -> Result<(Output, Progress), Failure> {
    match Output::durable::<Progress>(path, fingerprint, args.restart) {
        Ok(Opened::Fresh(output)) => Ok((output, Progress::default())),
        Ok(Opened::Resumed(output, progress)) => {
            if args.resume_from.is_some() {
                return Err(Failure::new(
                    USAGE,
                    "--resume-from cannot be used with --output when a checkpoint exists: run the command without it to continue, or add --restart",
                ));
            }
            Ok((output, progress))
        }
        Err(OpenError::Mismatch(message)) => Err(Failure::new(USAGE, message)),
        Err(OpenError::Io(message)) => Err(Failure::new(OTHER, message)),
    }
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

async fn run(
    args: &Args,
    client: &Client,
    ids: &[String],
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    if let (Some(from), Some(to)) = (args.from, args.to) {
        let kind = if args.period_meetings || args.list_meetings {
            Kind::Meeting
        } else {
            Kind::Webinar
        };
        if args.list_webinars {
            let request = client
                .webinars(from, to)
                .webinar_type(WebinarType::Past)
                .page_size(args.page_size);
            return list::<Webinar>(args, request, sink).await;
        }
        // `--type pastOne` is the one-person meetings of the period: Zoom lists them apart.
        let listed = match args.webinar_type {
            Some(TypeArg::PastOne) => MeetingType::PastOne,
            _ => MeetingType::Past,
        };
        if args.list_meetings {
            let request = client
                .meetings(from, to)
                .meeting_type(listed)
                .page_size(args.page_size);
            return list::<Meeting>(args, request, sink).await;
        }
        if sink.progress.instances.is_none()
            && let Some(end) = list_instances(client, kind, listed, from, to, sink).await?
        {
            return Ok(end);
        }
        let instances = sink.progress.instances.clone().unwrap_or_default();
        let tags: HashMap<String, Tags> = instances
            .iter()
            .map(|i| (i.uuid.clone(), i.tags(kind)))
            .collect();
        let targets: Vec<(Kind, String)> =
            instances.iter().map(|i| (kind, i.uuid.clone())).collect();
        let tag_of = move |id: &str| tags.get(id).cloned().unwrap_or_default();
        return many(args, client, &targets, kind.instance_tags(), tag_of, sink).await;
    }
    let mut targets: Vec<(Kind, String)> =
        ids.iter().map(|id| (Kind::Webinar, id.clone())).collect();
    for id in &args.meetings {
        if !targets.iter().any(|(_, t)| t == id) {
            targets.push((Kind::Meeting, id.clone()));
        }
    }
    if targets.len() == 1 && !args.per_person {
        let (kind, id) = &targets[0];
        return match args.source {
            SourceArg::Dashboard => {
                one(args, with_options(dashboard(client, *kind, id), args), sink).await
            }
            SourceArg::Report => {
                one(args, with_options(report(client, *kind, id), args), sink).await
            }
        };
    }
    // Several instances: each row says which one it belongs to, by `webinar_id` or
    // `meeting_id` (both columns in a CSV of both kinds, one of them empty).
    let tagged = targets.len() > 1;
    let kinds: Vec<Kind> = [Kind::Webinar, Kind::Meeting]
        .into_iter()
        .filter(|k| tagged && targets.iter().any(|(t, _)| t == k))
        .collect();
    let names: Vec<&'static str> = kinds.iter().map(|k| k.id_tag()).collect();
    let meetings: std::collections::HashSet<String> = targets
        .iter()
        .filter(|(k, _)| *k == Kind::Meeting)
        .map(|(_, id)| id.clone())
        .collect();
    let tag_of = move |id: &str| {
        if kinds.is_empty() {
            return Tags::default();
        }
        let own = if meetings.contains(id) {
            Kind::Meeting
        } else {
            Kind::Webinar
        };
        let values = kinds
            .iter()
            .map(|k| (k.id_tag(), (*k == own).then(|| id.to_owned())))
            .collect();
        Tags::one_of(values)
    };
    many(args, client, &targets, names, tag_of, sink).await
}

/// The Dashboard's participants of one instance.
fn dashboard(client: &Client, kind: Kind, id: &str) -> ParticipantsRequest<Participant> {
    match kind {
        Kind::Webinar => client.webinar_participants(id),
        Kind::Meeting => client.meeting_participants(id),
    }
}

/// The Report API's participants of one instance.
fn report(client: &Client, kind: Kind, id: &str) -> ParticipantsRequest<ReportParticipant> {
    match kind {
        Kind::Webinar => client.report_webinar_participants(id),
        Kind::Meeting => client.report_meeting_participants(id),
    }
}

/// The participants of many instances, in the order given, from one source.
fn fan_out<R: Row>(
    targets: &[(Kind, String)],
    one: impl Fn(Kind, &str) -> ParticipantsRequest<R>,
) -> Option<WebinarsRequest<R>> {
    targets
        .iter()
        .map(|(kind, id)| one(*kind, id).into_many())
        .reduce(WebinarsRequest::and)
}

/// The per-instance options of the command line, the same for one instance and many.
fn with_options<R, S>(
    request: ParticipantsRequest<R, S>,
    args: &Args,
) -> ParticipantsRequest<R, S> {
    let mut request = request
        .page_size(args.page_size)
        .prefetch(usize::from(args.prefetch));
    // The instances of a period have ended: their participants are asked for with
    // `type=past` (Zoom's default is live) unless `--type` says otherwise. The Report API
    // takes no type.
    let kind = args
        .webinar_type
        .map(MeetingType::from)
        .or(args.from.map(|_| MeetingType::Past));
    if let (Some(kind), SourceArg::Dashboard) = (kind, args.source) {
        request = request.meeting_type(kind);
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
}

/// The instances of a period, alone (`--list-webinars`, `--list-meetings`).
async fn list<R: zoom_participants::Listed + Encode + Fields>(
    args: &Args,
    mut request: zoom_participants::InstanceListRequest<R>,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    let encoder = Encoder::new(args.format, Vec::new(), instance_columns(R::FIELDS));
    header(&encoder, sink)?;
    if let Some(checkpoint) = sink.progress.one.clone() {
        request = request.resume(checkpoint);
    }
    match args.format {
        Format::Ndjson => pump_one(request.stream_raw(), &encoder, sink).await,
        Format::Csv => pump_one(request.stream(), &encoder, sink).await,
    }
}

/// The fields of a row type, in its order: its CSV columns.
pub trait Fields {
    const FIELDS: &'static [&'static str];
}

macro_rules! fields {
    ($($row:ty),*) => {$(
        impl Fields for $row {
            const FIELDS: &'static [&'static str] = <$row>::FIELDS;
        }
    )*};
}
fields!(Participant, ReportParticipant, Webinar, Meeting, Attendance);

fn header(encoder: &Encoder, sink: &mut Sink<'_>) -> Result<(), Failure> {
    if sink.fresh
        && let Some(header) = encoder
            .header()
            .map_err(|e| write_failure(e, sink.output))?
    {
        sink.write(&header)?;
    }
    Ok(())
}

/// Lists the instances of the period into `progress`, checkpointed page by page (the list
/// costs Resource-intensive calls, 10 a minute on Pro: a rerun must not spend them again)
/// and stopping at a signal. `Some(end)` when the run ends here.
async fn list_instances(
    client: &Client,
    kind: Kind,
    meeting_type: MeetingType,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    sink: &mut Sink<'_>,
) -> Result<Option<End>, Failure> {
    let saved = sink.progress.listing.clone();
    // Both lists' rows as sent, read for what tags their instances' rows.
    let mut stream = match kind {
        Kind::Webinar => {
            let request = client.webinars(from, to).webinar_type(WebinarType::Past);
            saved
                .map_or(request.clone(), |c| request.resume(c))
                .stream_raw()
        }
        Kind::Meeting => {
            let request = client.meetings(from, to).meeting_type(meeting_type);
            saved
                .map_or(request.clone(), |c| request.resume(c))
                .stream_raw()
        }
    };
    loop {
        if let Some(signal) = interrupted() {
            sink.save(|p| p.listing = Some(stream.checkpoint()))?;
            return Ok(Some(End::Signal(signal)));
        }
        let next = tokio::select! {
            next = stream.next() => next,
            _ = sink.notify.notified() => continue,
        };
        match next {
            Some(Ok(row)) => {
                // A meeting row has the webinar row's uuid, id, topic and start_time.
                let instance: Webinar = serde_json::from_str(row.as_str()).unwrap_or_default();
                if let Some(uuid) = instance.uuid.filter(|u| !u.is_empty()) {
                    sink.progress.listed.push(Instance {
                        uuid,
                        id: instance.id,
                        topic: instance.topic,
                        start_time: instance.start_time,
                    });
                }
                if stream.checkpoint().rows_in_progress() == 0 {
                    sink.save(|p| p.listing = Some(stream.checkpoint()))?;
                }
            }
            Some(Err(err)) => {
                sink.progress.listing = Some(stream.checkpoint());
                return Ok(Some(End::Failed(vec![err])));
            }
            None => break,
        }
    }
    let listed = std::mem::take(&mut sink.progress.listed);
    sink.save(|p| {
        p.instances = Some(listed);
        p.listing = None;
    })?;
    Ok(None)
}

async fn one<R: Row + Encode + Fields>(
    args: &Args,
    mut request: ParticipantsRequest<R>,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    match (&sink.progress.one, &args.resume_from) {
        (Some(checkpoint), _) => request = request.resume(checkpoint.clone()),
        (None, Some(token)) => request = request.resume_from(token),
        (None, None) => {}
    }
    let encoder = Encoder::new(args.format, Vec::new(), R::FIELDS.to_vec());
    header(&encoder, sink)?;
    match args.format {
        Format::Ndjson => pump_one(request.stream_raw(), &encoder, sink).await,
        Format::Csv => pump_one(request.stream(), &encoder, sink).await,
    }
}

async fn many(
    args: &Args,
    client: &Client,
    targets: &[(Kind, String)],
    tag_names: Vec<&'static str>,
    tag_of: impl Fn(&str) -> Tags,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    match args.source {
        SourceArg::Dashboard => {
            let one = |kind, id: &str| with_options(dashboard(client, kind, id), args);
            many_of(args, targets, one, tag_names, &tag_of, sink).await
        }
        SourceArg::Report => {
            let one = |kind, id: &str| with_options(report(client, kind, id), args);
            many_of(args, targets, one, tag_names, &tag_of, sink).await
        }
    }
}

async fn many_of<R: Row + Encode + Fields + Connection>(
    args: &Args,
    targets: &[(Kind, String)],
    one: impl Fn(Kind, &str) -> ParticipantsRequest<R>,
    tag_names: Vec<&'static str>,
    tag_of: &dyn Fn(&str) -> Tags,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    if args.per_person {
        let encoder = Encoder::new(args.format, tag_names, Attendance::FIELDS.to_vec());
        header(&encoder, sink)?;
        let requests = targets
            .iter()
            .filter(|(_, id)| !sink.progress.people_done.contains(id))
            .map(|(kind, id)| (id.clone(), one(*kind, id)))
            .collect();
        return per_person(args, requests, &encoder, tag_of, sink).await;
    }
    let encoder = Encoder::new(args.format, tag_names, R::FIELDS.to_vec());
    header(&encoder, sink)?;
    let Some(request) = fan_out(targets, one) else {
        return Ok(End::Done);
    };
    let mut request = request.concurrency(args.concurrency as usize).ordered(true);
    if let Some(checkpoint) = sink.progress.many.clone() {
        request = request.resume(checkpoint);
    }
    match args.format {
        Format::Ndjson => {
            let stream = request.stream_raw();
            pump_many(stream, &encoder, tag_of, args.limit, sink).await
        }
        Format::Csv => {
            let stream = request.stream();
            pump_many(stream, &encoder, tag_of, args.limit, sink).await
        }
    }
}

async fn per_person<R: Row + Connection>(
    args: &Args,
    requests: Vec<(String, ParticipantsRequest<R>)>,
    encoder: &Encoder,
    tag_of: &dyn Fn(&str) -> Tags,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    let mut people = futures::stream::iter(requests.into_iter().map(|(id, request)| {
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
            _ = sink.notify.notified() => continue,
        };
        let Some((id, result)) = next else { break };
        match result {
            Ok(people) => {
                let tags = tag_of(&id);
                for person in &people {
                    row.clear();
                    encoder
                        .typed(person, &tags, &mut row)
                        .map_err(|e| write_failure(e, sink.output))?;
                    sink.write(&row)?;
                }
                sink.save(|p| {
                    p.people_done.insert(id);
                })?;
            }
            Err(err) => {
                errors.push(Error::Webinar {
                    webinar_id: id,
                    source: Box::new(err),
                });
                if sink.output.is_durable() {
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
    if args.demo && args.from.is_none() && args.meetings.is_empty() {
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
    if let Some(id) = args.meetings.iter().find(|id| ids.contains(id)) {
        return Err(Failure::new(
            USAGE,
            format!("{id:?} is given both as a webinar and as --meeting; give it once"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() && args.meetings.is_empty() {
        return Err(Failure::new(USAGE, "no webinar or meeting ID given"));
    }
    Ok(ids)
}
