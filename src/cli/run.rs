//! One export, from the request to the last row, whatever interrupts it.

use std::collections::HashMap;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use zoom_participants::{
    Attendance, Checkpoint, Client, Error, Participant, Result as ZoomResult, WebinarType,
};

use super::args::{Args, Format};
use super::display::{progress_display, summary};
use super::durable::{OpenError, Opened, Output, Target};
use super::end::{BROKEN_PIPE, End, Failed, finish, output_failure, write_failure};
use super::output::{Encoder, Tags};
use super::period::{self, INSTANCE_TAGS, Instance, Listed, WEBINAR_COLUMNS};
use super::pump::{List, Sink, pump_many, pump_one};
use super::signals::interrupted;
use super::{DEMO_WEBINAR, Failure, OTHER, USAGE, request_fingerprint};

/// Where a durable export stands: a few hundred bytes however long the export (a
/// period's instances are saved once in a file of their own, see `period`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// The webinar instances of a period, once listed: which saved list they are.
    pub instances: Option<Listed>,
    /// While the period is being listed: where the list stands, and the instances so far.
    pub listing: Option<Checkpoint>,
    pub listed: Vec<Instance>,
    /// One stream of rows (a webinar, or the list).
    pub one: Option<Checkpoint>,
    /// Many webinars' rows, written one after the other.
    pub many: Option<Place>,
    /// How many webinars (in order) have their per-person rows written.
    pub people_done: usize,
}

/// Where an export of many webinars, written one after the other, stands in their list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// Webinars before this one in the list are written whole.
    pub done: usize,
    /// Where the webinar at `done` stands (`None`: not started).
    pub current: Option<Checkpoint>,
    /// Rows written in all, for `--limit`.
    pub written: u64,
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

async fn run(
    args: &Args,
    client: &Client,
    ids: &[String],
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if args.list_webinars {
            let encoder = Encoder::new(args.format, Vec::new(), WEBINAR_COLUMNS);
            header(&encoder, sink)?;
            let mut request = client
                .webinars(from, to)
                .webinar_type(WebinarType::Past)
                .page_size(args.page_size);
            if let Some(checkpoint) = sink.progress.one.clone() {
                request = request.resume(checkpoint);
            }
            return match args.format {
                Format::Ndjson => pump_one(request.stream_raw(), &encoder, sink).await,
                Format::Csv => pump_one(request.stream(), &encoder, sink).await,
            };
        }
        let instances = match period::instances(client, from, to, sink).await? {
            Ok(instances) => instances,
            Err(end) => return Ok(end),
        };
        let tags: HashMap<String, Tags> = instances
            .iter()
            .map(|i| (i.uuid.clone(), i.tags()))
            .collect();
        // In list order, each once: a place in this list is what the checkpoint keeps.
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<String> = instances
            .iter()
            .filter(|i| seen.insert(i.uuid.as_str()))
            .map(|i| i.uuid.clone())
            .collect();
        let tag_of = move |id: &str| tags.get(id).cloned().unwrap_or_default();
        return many(args, client, &ids, INSTANCE_TAGS.to_vec(), tag_of, sink).await;
    }
    if ids.len() == 1 && !args.per_person {
        return one_webinar(args, client, &ids[0], sink).await;
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
    many(args, client, ids, names, tag_of, sink).await
}

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
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    let mut request = with_query_options!(client.webinar_participants(id), args);
    match (&sink.progress.one, &args.resume_from) {
        (Some(checkpoint), _) => request = request.resume(checkpoint.clone()),
        (None, Some(token)) => request = request.resume_from(token),
        (None, None) => {}
    }
    let encoder = Encoder::new(args.format, Vec::new(), Participant::FIELDS);
    header(&encoder, sink)?;
    match args.format {
        Format::Ndjson => pump_one(request.stream_raw(), &encoder, sink).await,
        Format::Csv => pump_one(request.stream(), &encoder, sink).await,
    }
}

async fn many(
    args: &Args,
    client: &Client,
    ids: &[String],
    tag_names: Vec<&'static str>,
    tag_of: impl Fn(&str) -> Tags,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    if args.per_person {
        let encoder = Encoder::new(args.format, tag_names, Attendance::FIELDS);
        header(&encoder, sink)?;
        return per_person(args, client, ids, &encoder, &tag_of, sink).await;
    }
    let encoder = Encoder::new(args.format, tag_names, Participant::FIELDS);
    header(&encoder, sink)?;
    // Only the webinars not written whole yet are asked for; the first of them resumes.
    let place = sink.progress.many.clone().unwrap_or_default();
    let start = place.done.min(ids.len());
    let rest = &ids[start..];
    let mut request = with_query_options!(client.webinars_participants(rest.to_vec()), args)
        .concurrency(args.concurrency as usize)
        .ordered(true);
    if let (Some(current), Some(id)) = (place.current, rest.first()) {
        request = request.resume(std::iter::once((id.clone(), current)).collect());
    }
    let list = List {
        ids: rest,
        start,
        written: place.written,
    };
    match args.format {
        Format::Ndjson => {
            let stream = request.stream_raw();
            pump_many(stream, &encoder, &tag_of, args.limit, list, sink).await
        }
        Format::Csv => {
            let stream = request.stream();
            pump_many(stream, &encoder, &tag_of, args.limit, list, sink).await
        }
    }
}

async fn per_person(
    args: &Args,
    client: &Client,
    ids: &[String],
    encoder: &Encoder,
    tag_of: &impl Fn(&str) -> Tags,
    sink: &mut Sink<'_>,
) -> Result<End, Failure> {
    // Written in order: the first `people_done` are whole.
    let todo: Vec<String> = ids
        .iter()
        .skip(sink.progress.people_done)
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
                sink.save(|p| p.people_done += 1)?;
            }
            Err(err) => {
                errors.push(Failed::from(Error::Webinar {
                    webinar_id: id,
                    source: Box::new(err),
                }));
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
