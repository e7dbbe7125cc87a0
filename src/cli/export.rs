//! The export: from the request to the last row, whatever interrupts it: which instances,
//! from which source, one or many, rows or people.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use tokio::sync::Notify;
use zoom_participants::{
    Attendance, Client, Connection, Meeting, MeetingType, Participant, ParticipantsRequest,
    ReportParticipant, Result as ZoomResult, Row, Webinar, WebinarType, WebinarsRequest,
};

use super::args::{Args, Format, SourceArg, TypeArg};
use super::display::{progress_display, summary};
use super::durable::{OpenError, Opened, Output, Target};
use super::end::{BROKEN_PIPE, End, Failed, finish, output_failure, write_failure};
use super::output::{Encoder, Tags};
use super::period;
use super::progress::{Instance, Kind, Progress, instance_columns};
use super::pump::{Encode, List, Next, Sink, pump_many, pump_one};
use super::text::say;
use super::{DEMO_RECURRING_WEBINAR, DEMO_WEBINAR, Failure, OTHER, USAGE, request_fingerprint};

pub async fn run(args: &Args, client: &Client, notify: Arc<Notify>) -> Result<(), Failure> {
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
    let result = rows(args, client, &ids, &mut sink).await;
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

/// What the export writes: a list, one instance, or many (a period's, or the IDs given).
async fn rows(
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
        return match period::instances(client, kind, listed, (from, to), sink).await? {
            Ok(instances) => instance_rows(args, client, kind, &instances, sink).await,
            Err(end) => Ok(end),
        };
    }
    if args.all_instances {
        let (kind, mut numbers) = if args.meetings.is_empty() {
            (Kind::Webinar, ids.to_vec())
        } else {
            (Kind::Meeting, args.meetings.clone())
        };
        let mut seen = std::collections::HashSet::new();
        numbers.retain(|n| seen.insert(n.clone()));
        let listed = period::past_instances(client, kind, &numbers, args.skip_missing, sink);
        let (instances, mut failures) = match listed.await? {
            Ok(listed) => listed,
            Err(end) => return Ok(end),
        };
        // The numbers whose list failed (standard output only) join the instances' failures.
        return Ok(
            match instance_rows(args, client, kind, &instances, sink).await? {
                End::Done if failures.is_empty() => End::Done,
                End::Done => End::Failed(failures),
                End::Failed(more) => {
                    failures.extend(more);
                    End::Failed(failures)
                }
                signal => signal,
            },
        );
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

/// The rows of listed instances (a period's, or every one of some numbers), each tagged
/// with its instance.
async fn instance_rows(
    args: &Args,
    client: &Client,
    kind: Kind,
    instances: &[Instance],
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    let tags: HashMap<String, Tags> = instances
        .iter()
        .map(|i| (i.uuid.clone(), i.tags(kind)))
        .collect();
    // In list order, each once: a place in this list is what the checkpoint keeps.
    let mut seen = std::collections::HashSet::new();
    let targets: Vec<(Kind, String)> = instances
        .iter()
        .filter(|i| seen.insert(i.uuid.as_str()))
        .map(|i| (kind, i.uuid.clone()))
        .collect();
    let tag_of = move |id: &str| tags.get(id).cloned().unwrap_or_default();
    many(args, client, &targets, kind.instance_tags(), tag_of, sink).await
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
    // The instances of a period, or every instance of some numbers, have ended: their
    // participants are asked for with `type=past` (Zoom's default is live) unless `--type`
    // says otherwise. The Report API takes no type.
    let kind = args
        .webinar_type
        .map(MeetingType::from)
        .or(args.lists_instances().then_some(MeetingType::Past));
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
        // Written in order: the first `people_done` are whole.
        let requests = targets
            .iter()
            .skip(sink.progress.people_done)
            .map(|(kind, id)| (*kind, id.clone(), one(*kind, id)))
            .collect();
        return per_person(args, requests, &encoder, tag_of, sink).await;
    }
    let encoder = Encoder::new(args.format, tag_names, R::FIELDS.to_vec());
    header(&encoder, sink)?;
    // Only the instances not written whole yet are asked for; the first of them resumes.
    let place = sink.progress.many.clone().unwrap_or_default();
    let start = place.done.min(targets.len());
    let rest = &targets[start..];
    let Some(request) = fan_out(rest, one) else {
        return Ok(End::Done);
    };
    let mut request = request.concurrency(args.concurrency as usize).ordered(true);
    if args.limit.is_some() {
        // `--limit` requests no page beyond the one that holds the last row: with several
        // instances that means one after the other, each page only when it is needed
        // (an instance's own limit cannot know what the ones before it wrote).
        request = request.concurrency(1).prefetch(0);
    }
    if let (Some(current), Some((_, id))) = (place.current, rest.first()) {
        request = request.resume(std::iter::once((id.clone(), current)).collect());
    }
    let ids: Vec<String> = rest.iter().map(|(_, id)| id.clone()).collect();
    // Listed instances are asked for with `type=past` when no `--type` says otherwise: a
    // hint to continue one of them must say so too.
    let implicit_past = args.source == SourceArg::Dashboard
        && args.webinar_type.is_none()
        && args.lists_instances();
    let flags: HashMap<&str, &'static str> = rest
        .iter()
        .map(|(kind, id)| {
            let flag = if implicit_past {
                kind.past_flag()
            } else {
                kind.flag()
            };
            (id.as_str(), flag)
        })
        .collect();
    let list = List {
        ids: &ids,
        flag_of: &|id: &str| flags.get(id).copied().unwrap_or("--webinar"),
        start,
        written: place.written,
        skip_missing: args.skip_missing,
        hint_ids: !args.lists_instances(),
    };
    match args.format {
        Format::Ndjson => {
            let stream = request.stream_raw();
            pump_many(stream, &encoder, tag_of, args.limit, list, sink).await
        }
        Format::Csv => {
            let stream = request.stream();
            pump_many(stream, &encoder, tag_of, args.limit, list, sink).await
        }
    }
}

async fn per_person<R: Row + Connection>(
    args: &Args,
    requests: Vec<(Kind, String, ParticipantsRequest<R>)>,
    encoder: &Encoder,
    tag_of: &dyn Fn(&str) -> Tags,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    let mut people = futures::stream::iter(requests.into_iter().map(|(kind, id, request)| {
        let stream = request.stream();
        async move {
            let people: ZoomResult<Vec<Attendance>> = stream.attendance().try_collect().await;
            (kind, id, people)
        }
    }))
    .buffered(args.concurrency as usize);
    let mut errors = Vec::new();
    let mut row = Vec::with_capacity(4096);
    loop {
        let next = match sink.next(&mut people, |_, _| Ok(())).await? {
            Next::Item(next) => next,
            Next::Signal(signal) => return Ok(End::Signal(signal)),
        };
        let Some((kind, id, result)) = next else {
            break;
        };
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
                sink.save(|p| p.people_done += 1)?;
            }
            Err(err) if args.skip_missing && err.http_status() == Some(404) => {
                say(&format!("skipped: {}", kind.error(id, err)));
                // Its place in the list is done: the next instances' people follow.
                sink.save(|p| p.people_done += 1)?;
            }
            Err(err) => {
                errors.push(Failed::from(kind.error(id, err)));
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
        let demo = if args.all_instances {
            DEMO_RECURRING_WEBINAR
        } else {
            DEMO_WEBINAR
        };
        return Ok(vec![demo.to_owned()]);
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
    if args.all_instances
        && let Some(id) = ids.iter().chain(&args.meetings).find(|id| !is_number(id))
    {
        return Err(Failure::new(
            USAGE,
            format!(
                "--all-instances takes webinar and meeting numbers; {id:?} is not one (a UUID names one instance already)"
            ),
        ));
    }
    Ok(ids)
}

/// A webinar or meeting number: digits only, within `int64`.
fn is_number(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && id.parse::<i64>().is_ok()
}
