//! [`connections`]: joins and leaves paired back into connection rows, so that a live
//! stream folds like an export ([`attendance`](crate::attendance)).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, Stream, StreamExt};

use super::event::{EventKind, ParticipantEvent};
use crate::error::Result;
use crate::model::Participant;

/// Pairs each `left` with the `joined` of the same connection and yields one row per
/// connection, as a participants export has it: the joined row, with `leave_time` from the
/// leave (its `leave_time`, else its `event_ts`) and `join_time` from the join (else its
/// `event_ts`). A row is yielded when its connection ends; connections still open when the
/// stream ends are yielded then, without `leave_time` (the end of the session). Other
/// kinds are skipped; an error is passed on and ends the stream.
///
/// A connection is the instance (UUID, else ID) and the participant's `participant_uuid`,
/// else `user_id`, `id`, `email` or `user_name`, the first that is not blank. With
/// [`attendance`](crate::attendance) this gives one record per person once the stream ends:
///
/// ```no_run
/// # async fn run(events: zoom_participants::webhook::EventStream) {
/// use futures::StreamExt;
/// use zoom_participants::{attendance, webhook};
///
/// let people = attendance(webhook::connections(events), None);
/// # let _ = people;
/// # }
/// ```
pub fn connections<S>(events: S) -> BoxStream<'static, Result<Participant>>
where
    S: Stream<Item = Result<ParticipantEvent>> + Send + 'static,
{
    async_stream::stream! {
        let mut open: HashMap<String, (u64, Participant)> = HashMap::new();
        let mut joins = 0u64;
        let mut events = std::pin::pin!(events);
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                Err(err) => {
                    yield Err(err);
                    return;
                }
            };
            let key = connection_key(&event);
            let at = instant(event.event_ts);
            match event.kind {
                EventKind::Joined => {
                    let mut row = event.participant;
                    if row.join_time.is_none() {
                        row.join_time = at;
                    }
                    joins += 1;
                    // A second join of an open connection keeps the first (a redelivery).
                    open.entry(key).or_insert((joins, row));
                }
                EventKind::Left => {
                    let left = event.participant;
                    let mut row = match open.remove(&key) {
                        Some((_, joined)) => joined,
                        None => left.clone(),
                    };
                    row.leave_time = left.leave_time.or(at);
                    if row.join_time.is_none() {
                        row.join_time = left.join_time;
                    }
                    if row.leave_reason.is_none() {
                        row.leave_reason = left.leave_reason;
                    }
                    yield Ok(row);
                }
                EventKind::Other(_) => {}
            }
        }
        let mut rest: Vec<_> = open.into_values().collect();
        rest.sort_by_key(|(order, _)| *order);
        for (_, row) in rest {
            yield Ok(row);
        }
    }
    .boxed()
}

fn instant(millis: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
}

fn connection_key(event: &ParticipantEvent) -> String {
    let instance = event
        .instance
        .uuid
        .as_deref()
        .or(event.instance.id.as_deref())
        .unwrap_or("");
    let p = &event.participant;
    let who = [
        &p.participant_uuid,
        &p.user_id,
        &p.id,
        &p.email,
        &p.user_name,
    ]
    .into_iter()
    .flatten()
    .find(|s| !s.is_empty())
    .map_or("", String::as_str);
    format!("{instance}\u{0}{who}")
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;
    use crate::model::Extra;
    use crate::webhook::{Instance, InstanceKind};

    fn event(kind: EventKind, who: &str, ts: i64, leave_time: Option<&str>) -> ParticipantEvent {
        ParticipantEvent {
            event: format!("webinar.participant_{}", kind.as_str()),
            kind,
            event_ts: ts,
            account_id: None,
            instance: Instance {
                kind: InstanceKind::Webinar,
                uuid: Some("u==".into()),
                id: None,
                topic: None,
                extra: Extra::default(),
            },
            participant: Participant {
                user_id: Some(who.into()),
                user_name: Some(format!("Person {who}")),
                leave_time: leave_time.and_then(|t| t.parse().ok()),
                ..Participant::default()
            },
            extra: Extra::default(),
        }
    }

    #[tokio::test]
    async fn joins_and_leaves_pair_into_rows_and_fold_into_attendance() {
        let events = futures::stream::iter(vec![
            Ok(event(EventKind::Joined, "a", 1_767_268_800_000, None)),
            Ok(event(EventKind::Joined, "b", 1_767_268_860_000, None)),
            Ok(event(
                EventKind::Other("x".into()),
                "a",
                1_767_268_870_000,
                None,
            )),
            Ok(event(
                EventKind::Left,
                "a",
                1_767_269_000_000,
                Some("2026-01-01T12:03:00Z"),
            )),
            Ok(event(EventKind::Left, "c", 1_767_269_100_000, None)),
        ]);
        let rows: Vec<Participant> = connections(events).try_collect().await.expect("rows");
        let summary: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.user_id.clone().unwrap_or_default(),
                    r.join_time.map(|t| t.to_rfc3339()),
                    r.leave_time.map(|t| t.to_rfc3339()),
                )
            })
            .collect();
        let t = |s: &str| Some(s.to_owned());
        assert_eq!(
            summary,
            [
                (
                    "a".into(),
                    t("2026-01-01T12:00:00+00:00"),
                    t("2026-01-01T12:03:00+00:00")
                ),
                ("c".into(), None, t("2026-01-01T12:05:00+00:00")),
                ("b".into(), t("2026-01-01T12:01:00+00:00"), None),
            ]
        );
        let people: Vec<_> = crate::attendance(
            connections(futures::stream::iter(vec![
                Ok(event(EventKind::Joined, "a", 1_767_268_800_000, None)),
                Ok(event(EventKind::Left, "a", 1_767_268_860_000, None)),
            ])),
            None,
        )
        .try_collect()
        .await
        .expect("people");
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].connections, 1);
        assert_eq!(people[0].attended, std::time::Duration::from_secs(60));
    }
}
