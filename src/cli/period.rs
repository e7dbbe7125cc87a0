//! The instances an export covers: a period's (`--from/--to`), listed once page by page
//! under a checkpoint, or every ended instance of webinar or meeting numbers
//! (`--all-instances`); either way saved whole in a file of their own beside the
//! checkpoint, which from then on only names it (count and digest) and says where the
//! export stands in it.

use chrono::NaiveDate;
use zoom_participants::{Client, MeetingType, PastInstance, Webinar, WebinarType};

use super::durable::INSTANCES_FILE;
use super::end::{End, Failed, write_failure};
use super::progress::{Instance, Kind, Listed};
use super::pump::{Next, Sink};
use super::text::say;
use super::{Failure, OTHER};

/// The instances of the period: read back from their file when an earlier run listed them,
/// else listed now (resuming a listing that was interrupted), saved once, and named in the
/// checkpoint. `Err(end)` when the run ends while listing.
pub async fn instances(
    client: &Client,
    kind: Kind,
    meeting_type: MeetingType,
    (from, to): (NaiveDate, NaiveDate),
    sink: &mut Sink<'_>,
) -> Result<Result<Vec<Instance>, End>, Failure> {
    if let Some(listed) = sink.progress.instances.clone() {
        return load(&listed, sink, "the period's saved instances").map(Ok);
    }
    if let Some(end) = list(client, kind, meeting_type, (from, to), sink).await? {
        return Ok(Err(end));
    }
    let instances = std::mem::take(&mut sink.progress.listed);
    keep(instances, sink).map(Ok)
}

/// The ended instances of webinar or meeting `numbers` (`--all-instances`), in the order
/// given and then Zoom's: read back when an earlier run listed them, else listed now (one
/// Light or Medium request a number, cheap enough to repeat after an interruption) and
/// saved once. A number whose list fails is a failure of the run, as an instance of a
/// fan-out is: on standard output the other numbers go on; a durable export stops (its
/// saved list must be whole). With `skip_missing`, a number Zoom does not know (404) is
/// skipped with a line on standard error. `Err(end)` when the run ends while listing.
pub async fn past_instances(
    client: &Client,
    kind: Kind,
    numbers: &[String],
    skip_missing: bool,
    sink: &mut Sink<'_>,
) -> Result<Result<(Vec<Instance>, Vec<Failed>), End>, Failure> {
    if let Some(listed) = sink.progress.instances.clone() {
        return load(&listed, sink, "the saved instances").map(|i| Ok((i, Vec::new())));
    }
    let mut instances = Vec::new();
    let mut failures = Vec::new();
    for number in numbers {
        let request = match kind {
            Kind::Webinar => client.past_webinar_instances(number),
            Kind::Meeting => client.past_meeting_instances(number),
        };
        let mut stream = request.stream();
        let mut rows = 0;
        loop {
            let next = match sink.next(&mut stream, |_, _| Ok(())).await? {
                Next::Item(next) => next,
                Next::Signal(signal) => return Ok(Err(End::Signal(signal))),
            };
            rows += usize::from(matches!(next, Some(Ok(_))));
            match next {
                Some(Ok(PastInstance {
                    uuid: Some(uuid),
                    start_time,
                    ..
                })) if !uuid.is_empty() => instances.push(Instance {
                    uuid,
                    id: number.parse().ok(),
                    topic: None,
                    start_time,
                }),
                Some(Ok(instance)) => say(&format!(
                    "skipped an instance of {} {number} without a uuid: {}",
                    kind.name(),
                    serde_json::to_string(&instance).unwrap_or_default()
                )),
                Some(Err(err)) if skip_missing && err.http_status() == Some(404) => {
                    say(&format!("skipped: {}", kind.error(number.clone(), err)));
                    break;
                }
                Some(Err(err)) => {
                    let failed = Failed::from(kind.error(number.clone(), err));
                    if sink.output.is_durable() {
                        return Ok(Err(End::Failed(vec![failed])));
                    }
                    failures.push(failed);
                    break;
                }
                None => {
                    if rows == 0 {
                        say(&format!("{} {number} has no ended instance", kind.name()));
                    }
                    break;
                }
            }
        }
    }
    keep(instances, sink).map(|i| Ok((i, failures)))
}

/// Saves the instances in their file, whole and on disk before the checkpoint that names
/// them.
fn keep(instances: Vec<Instance>, sink: &mut Sink<'_>) -> Result<Vec<Instance>, Failure> {
    let mut bytes = Vec::with_capacity(instances.len() * 128);
    for instance in &instances {
        serde_json::to_writer(&mut bytes, instance)
            .map_err(|e| write_failure(e.into(), sink.output))?;
        bytes.push(b'\n');
    }
    sink.output
        .save_beside(INSTANCES_FILE, &bytes)
        .map_err(|e| write_failure(e, sink.output))?;
    let listed = Listed {
        count: instances.len(),
        digest: digest(&bytes),
    };
    sink.save(|p| {
        p.instances = Some(listed);
        p.listing = None;
    })?;
    Ok(instances)
}

/// Reads back the saved instances; `what` names them in messages.
fn load(listed: &Listed, sink: &Sink<'_>, what: &str) -> Result<Vec<Instance>, Failure> {
    let unreadable = |why: String| {
        Failure::new(
            OTHER,
            format!("{why}; rerun with --restart to start the export over"),
        )
    };
    let bytes = sink
        .output
        .read_beside(INSTANCES_FILE)
        .map_err(|e| unreadable(format!("cannot read {what}: {e}")))?
        .ok_or_else(|| unreadable(format!("{what} are missing")))?;
    let instances: Vec<Instance> = bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(serde_json::from_slice)
        .collect::<Result<_, _>>()
        .map_err(|_| unreadable(format!("{what} are damaged")))?;
    if instances.len() != listed.count || digest(&bytes) != listed.digest {
        return Err(unreadable(format!(
            "{what} are not the ones the checkpoint names"
        )));
    }
    Ok(instances)
}

/// FNV-1a, 64 bits, as 16 hex digits: a check that a file is the one written, not a
/// defence against forgery.
fn digest(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Lists the instances of the period into `progress.listed`, checkpointed page by page
/// (the list costs Resource-intensive calls, 10 a minute on Pro: a rerun must not spend
/// them again) and stopping at a signal. `Some(end)` when the run ends here.
async fn list(
    client: &Client,
    kind: Kind,
    meeting_type: MeetingType,
    (from, to): (NaiveDate, NaiveDate),
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
        let next = match sink.next(&mut stream, |_, _| Ok(())).await? {
            Next::Item(next) => next,
            Next::Signal(signal) => {
                sink.save(|p| p.listing = Some(stream.checkpoint()))?;
                return Ok(Some(End::Signal(signal)));
            }
        };
        match next {
            Some(Ok(row)) => {
                // A meeting row has the webinar row's uuid, id, topic and start_time.
                let instance: Webinar = serde_json::from_str(row.as_str()).unwrap_or_default();
                match instance.uuid.filter(|u| !u.is_empty()) {
                    Some(uuid) => sink.progress.listed.push(Instance {
                        uuid,
                        id: instance.id,
                        topic: instance.topic,
                        start_time: instance.start_time,
                    }),
                    // Nothing can reach its participants: said, never dropped in silence.
                    None => say(&format!(
                        "skipped a {} of the list without a uuid: {}",
                        kind.name(),
                        row.as_str()
                    )),
                }
                if stream.checkpoint().rows_in_progress() == 0 {
                    sink.save(|p| p.listing = Some(stream.checkpoint()))?;
                }
            }
            Some(Err(err)) => {
                sink.progress.listing = Some(stream.checkpoint());
                return Ok(Some(End::Failed(vec![Failed::from(err)])));
            }
            None => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::digest;

    #[test]
    fn the_digest_is_fnv_1a() {
        assert_eq!(digest(b""), "cbf29ce484222325");
        assert_eq!(digest(b"a"), "af63dc4c8601ec8c");
    }
}
