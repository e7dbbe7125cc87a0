//! [`ParticipantsRequest::follow`]: the live list polled, and successive snapshots diffed
//! into joins and leaves.
//!
//! The core ([`FollowStream::from_snapshots`]) takes any way to walk a live list (a closure
//! that starts a fresh [`ParticipantStream`]) and the instance it describes, so a meeting's
//! live list follows the same way as a webinar's.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{BoxStream, Stream, StreamExt};

use crate::error::{Error, Result};
use crate::model::{Extra, Participant};
use crate::participants::ParticipantStream;
use crate::request::{One, ParticipantsRequest};
use crate::webhook::{EventKind, Instance, InstanceKind, ParticipantEvent};

/// The shortest interval between two snapshots a follow accepts; a shorter one is raised
/// to it. (The CLI's `--poll-interval` is at least 1 second.)
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// The longest interval a follow accepts (a day); a longer one is lowered to it.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(24 * 3600);

impl ParticipantsRequest<Participant, One> {
    /// Follows the webinar or meeting while it is live: every `interval`, one walk of the live list
    /// (`type=live`, whatever type was set; every page, through the client's rate limit
    /// and retries), diffed against the one before into [`ParticipantEvent`]s.
    ///
    /// - The first snapshot yields a `joined` for everyone already in the session (their
    ///   `join_time` tells when they really came); after that, a connection that appears
    ///   yields `joined` once, and one that goes away yields `left` once, with the row as
    ///   last seen. A row that comes with a `leave_time` is a connection that ended: `left`
    ///   (and `joined` first if it was never seen in the session).
    /// - A connection is its `user_id`, `participant_uuid`, `id`, `participant_user_id`,
    ///   `registrant_id` and `join_time` (and its name and email when all the IDs are
    ///   blank): someone who rejoins is a new connection, as in Zoom's lists.
    /// - A walk of several pages is not atomic: when someone ahead in the list leaves
    ///   between two pages, a row can shift onto a page already read and be missed. So a
    ///   connection missing from a snapshot of several pages is reported `left` only when
    ///   the next snapshot confirms it (its `event_ts` is still the first snapshot it was
    ///   missing from); from a one-page snapshot, at once.
    /// - `event_ts` is when the snapshot that showed the change was complete. Zoom's
    ///   Dashboard lags real time by about a minute.
    /// - It ends when the session does: Zoom answers the live list with 404 (code 3001,
    ///   "not available") once a webinar or meeting is no longer in progress. Everyone
    ///   still present then gets a `left`, and the stream ends. A 404 on the very first
    ///   snapshot is an error (not live yet, or a wrong ID). Any other error ends the
    ///   stream after yielding it; it also ends when dropped.
    ///
    /// Webinars ([`Client::webinar_participants`](crate::Client::webinar_participants)) and
    /// meetings ([`Client::meeting_participants`](crate::Client::meeting_participants))
    /// follow alike; the events name the instance's kind. (The Report API's rows have no
    /// live list: `follow` is not offered for them.)
    ///
    /// Cost: each snapshot is one Heavy request per 300 people in the session (the page
    /// size is kept; use 300). Filters and [`status`](ParticipantsRequest::status) /
    /// [`role`](ParticipantsRequest::role) apply to each snapshot (moving out of the
    /// waiting room is then a join); a `limit` or saved cursor is ignored.
    pub fn follow(self, interval: Duration) -> FollowStream {
        let target = self.scope.target();
        let kind = match target.endpoint.instance {
            "meeting" => InstanceKind::Meeting,
            "webinar" => InstanceKind::Webinar,
            other => InstanceKind::Other(other.to_owned()),
        };
        if !target.endpoint.types.contains(&"live") {
            let message = format!(
                "{} has no live list to follow (type=live)",
                target.endpoint.name
            );
            return FollowStream::failed(Error::InvalidRequest(message));
        }
        let instance = Instance {
            kind,
            ..instance_of(&target.id)
        };
        let mut request = self.resume_from("").prefetch(0);
        request.options.query.kind = Some("live");
        request.options.limit = None;
        FollowStream::from_snapshots(move || request.clone().stream(), instance, interval)
    }
}

/// The instance of a request's ID: a number is the meeting or webinar ID, anything else
/// its UUID.
fn instance_of(id: &str) -> Instance {
    let numeric = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    Instance {
        kind: InstanceKind::Webinar,
        uuid: (!numeric).then(|| id.to_owned()),
        id: numeric.then(|| id.to_owned()),
        topic: None,
        extra: Extra::default(),
    }
}

/// Joins and leaves of a live session, as a `Stream<Item = Result<ParticipantEvent>>`;
/// from [`ParticipantsRequest::follow`].
#[must_use = "streams do nothing unless polled"]
pub struct FollowStream {
    inner: BoxStream<'static, Result<ParticipantEvent>>,
}

impl std::fmt::Debug for FollowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowStream").finish_non_exhaustive()
    }
}

impl Stream for FollowStream {
    type Item = Result<ParticipantEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl FollowStream {
    /// A stream that yields `err` and ends.
    fn failed(err: Error) -> Self {
        FollowStream {
            inner: futures::stream::once(async move { Err(err) }).boxed(),
        }
    }

    /// Follows any live list: `snapshot` starts one walk of it (a fresh stream each call),
    /// `instance` names what it lists. The rules are [`ParticipantsRequest::follow`]'s.
    pub(crate) fn from_snapshots<F>(mut snapshot: F, instance: Instance, interval: Duration) -> Self
    where
        F: FnMut() -> ParticipantStream + Send + 'static,
    {
        let interval = interval.clamp(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL);
        let inner = async_stream::stream! {
            let mut board = Board::new(instance);
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut snapshots = 0u64;
            loop {
                ticker.tick().await;
                let mut walk = snapshot();
                let mut rows = Vec::new();
                let walked = loop {
                    match walk.next().await {
                        Some(Ok(row)) => rows.push(row),
                        Some(Err(err)) => break Err(err),
                        None => break Ok(walk.pages_received()),
                    }
                };
                let now = chrono::Utc::now().timestamp_millis();
                match walked {
                    Ok(pages) => {
                        snapshots += 1;
                        for event in board.apply(rows, pages, now) {
                            yield Ok(event);
                        }
                    }
                    Err(err) if snapshots > 0 && err.http_status() == Some(404) => {
                        for event in board.close(now) {
                            yield Ok(event);
                        }
                        break;
                    }
                    Err(err) => {
                        yield Err(err);
                        break;
                    }
                }
            }
        };
        FollowStream {
            inner: inner.boxed(),
        }
    }
}

/// Who is in the session, as the snapshots so far tell it.
pub(crate) struct Board {
    instance: Instance,
    present: HashMap<String, Present>,
    /// Connections that have ended: they never join again (a rejoin is a new connection).
    ended: HashSet<String>,
    joins: u64,
}

struct Present {
    row: Participant,
    /// Order of joining, so leaves at the end come in the order people came.
    order: u64,
    /// Snapshots in a row this connection was missing from, and when it first was.
    missed: u32,
    missed_at: i64,
}

impl Board {
    pub(crate) fn new(instance: Instance) -> Self {
        Board {
            instance,
            present: HashMap::new(),
            ended: HashSet::new(),
            joins: 0,
        }
    }

    fn event(&self, kind: EventKind, row: Participant, at: i64) -> ParticipantEvent {
        let action = match kind {
            EventKind::Joined => "participant_joined",
            _ => "participant_left",
        };
        ParticipantEvent {
            event: format!("{}.{action}", self.instance.kind.as_str()),
            kind,
            event_ts: at,
            account_id: None,
            instance: self.instance.clone(),
            participant: row,
            extra: Extra::default(),
        }
    }

    /// The events of one complete snapshot of `pages` pages, taken at `at`.
    pub(crate) fn apply(
        &mut self,
        rows: Vec<Participant>,
        pages: u64,
        at: i64,
    ) -> Vec<ParticipantEvent> {
        let confirm = if pages > 1 { 2 } else { 1 };
        let mut events = Vec::new();
        let mut seen = HashSet::new();
        for row in rows {
            let key = connection(&row);
            // A row shifted onto the next page while the list was walked comes twice.
            if !seen.insert(key.clone()) || self.ended.contains(&key) {
                continue;
            }
            if row.leave_time.is_some() {
                self.ended.insert(key.clone());
                if self.present.remove(&key).is_none() {
                    events.push(self.event(EventKind::Joined, row.clone(), at));
                }
                events.push(self.event(EventKind::Left, row, at));
                continue;
            }
            match self.present.get_mut(&key) {
                Some(present) => {
                    present.row = row;
                    present.missed = 0;
                }
                None => {
                    events.push(self.event(EventKind::Joined, row.clone(), at));
                    self.joins += 1;
                    let order = self.joins;
                    self.present.insert(
                        key,
                        Present {
                            row,
                            order,
                            missed: 0,
                            missed_at: at,
                        },
                    );
                }
            }
        }
        let mut gone = Vec::new();
        for (key, present) in &mut self.present {
            if seen.contains(key) {
                continue;
            }
            if present.missed == 0 {
                present.missed_at = at;
            }
            present.missed += 1;
            if present.missed >= confirm {
                gone.push((present.order, key.clone()));
            }
        }
        events.extend(self.leave(gone));
        events
    }

    /// The session is over: everyone still present leaves, in the order they came.
    pub(crate) fn close(&mut self, at: i64) -> Vec<ParticipantEvent> {
        let everyone: Vec<_> = self
            .present
            .iter_mut()
            .map(|(key, present)| {
                if present.missed == 0 {
                    present.missed_at = at;
                }
                (present.order, key.clone())
            })
            .collect();
        self.leave(everyone)
    }

    fn leave(&mut self, mut gone: Vec<(u64, String)>) -> Vec<ParticipantEvent> {
        gone.sort();
        let mut events = Vec::with_capacity(gone.len());
        for (_, key) in gone {
            if let Some(present) = self.present.remove(&key) {
                events.push(self.event(EventKind::Left, present.row, present.missed_at));
                self.ended.insert(key);
            }
        }
        events
    }
}

/// What tells one connection from another across snapshots.
fn connection(p: &Participant) -> String {
    let ids = [
        &p.user_id,
        &p.participant_uuid,
        &p.id,
        &p.participant_user_id,
        &p.registrant_id,
    ];
    let mut key = String::new();
    let mut blank = true;
    for id in ids {
        let id = id.as_deref().unwrap_or("");
        blank &= id.is_empty();
        key.push_str(id);
        key.push('\u{0}');
    }
    if let Some(joined) = p.join_time {
        key.push_str(&joined.timestamp_millis().to_string());
    }
    if blank {
        for other in [&p.user_name, &p.email] {
            key.push('\u{0}');
            key.push_str(other.as_deref().unwrap_or(""));
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, joined: &str) -> Participant {
        Participant {
            user_id: Some(id.into()),
            user_name: Some(format!("Person {id}")),
            join_time: chrono::DateTime::parse_from_rfc3339(joined)
                .ok()
                .map(|t| t.to_utc()),
            ..Participant::default()
        }
    }

    fn summary(events: &[ParticipantEvent]) -> Vec<(String, String, i64)> {
        events
            .iter()
            .map(|e| {
                let who = e.participant.user_id.clone().unwrap_or_default();
                (e.kind.as_str().to_owned(), who, e.event_ts)
            })
            .collect()
    }

    fn board() -> Board {
        Board::new(instance_of("95204914252"))
    }

    const T0: &str = "2026-01-01T12:00:00Z";
    const T1: &str = "2026-01-01T12:05:00Z";

    #[test]
    fn joins_and_leaves_are_reported_once() {
        let mut b = board();
        let e = b.apply(vec![row("a", T0), row("b", T0)], 1, 1);
        assert_eq!(
            summary(&e),
            [
                ("joined".into(), "a".into(), 1),
                ("joined".into(), "b".into(), 1)
            ]
        );
        assert_eq!(e[0].event, "webinar.participant_joined");
        assert_eq!(e[0].instance.id.as_deref(), Some("95204914252"));
        assert!(b.apply(vec![row("b", T0), row("a", T0)], 1, 2).is_empty());
        let e = b.apply(vec![row("b", T0), row("c", T1)], 1, 3);
        assert_eq!(
            summary(&e),
            [
                ("joined".into(), "c".into(), 3),
                ("left".into(), "a".into(), 3)
            ]
        );
        assert_eq!(e[1].event, "webinar.participant_left");
        // A rejoin is a new connection; the old one never comes back.
        let e = b.apply(
            vec![row("a", T1), row("a", T0), row("b", T0), row("c", T1)],
            1,
            4,
        );
        assert_eq!(summary(&e), [("joined".into(), "a".into(), 4)]);
        assert_eq!(
            e[0].participant
                .join_time
                .map(|t| t.to_rfc3339())
                .as_deref(),
            Some("2026-01-01T12:05:00+00:00")
        );
        let e = b.close(5);
        assert_eq!(
            summary(&e),
            [
                ("left".into(), "b".into(), 5),
                ("left".into(), "c".into(), 5),
                ("left".into(), "a".into(), 5)
            ]
        );
        assert!(b.close(6).is_empty());
    }

    #[test]
    fn a_row_missing_from_a_paged_snapshot_leaves_only_when_confirmed() {
        let mut b = board();
        b.apply(vec![row("a", T0), row("b", T0)], 2, 1);
        // Missing once from a two-page walk: maybe shifted; back in the next one: nothing.
        assert!(b.apply(vec![row("b", T0)], 2, 2).is_empty());
        assert!(b.apply(vec![row("a", T0), row("b", T0)], 2, 3).is_empty());
        // Missing twice: left, at the first snapshot it was missing from.
        assert!(b.apply(vec![row("b", T0)], 2, 4).is_empty());
        let e = b.apply(vec![row("b", T0)], 1, 5);
        assert_eq!(summary(&e), [("left".into(), "a".into(), 4)]);
    }

    #[test]
    fn rows_with_a_leave_time_are_ended_connections() {
        let mut b = board();
        b.apply(vec![row("a", T0)], 1, 1);
        let mut left = row("a", T0);
        left.leave_time = left.join_time;
        let mut never_seen = row("z", T0);
        never_seen.leave_time = never_seen.join_time;
        let e = b.apply(vec![left.clone(), never_seen.clone()], 1, 2);
        assert_eq!(
            summary(&e),
            [
                ("left".into(), "a".into(), 2),
                ("joined".into(), "z".into(), 2),
                ("left".into(), "z".into(), 2)
            ]
        );
        assert!(b.apply(vec![left, never_seen], 1, 3).is_empty());
        assert!(b.close(4).is_empty());
    }

    #[test]
    fn anonymous_rows_are_told_apart_by_name_and_join_time() {
        let anonymous = |name: &str, joined: &str| Participant {
            user_name: Some(name.into()),
            join_time: chrono::DateTime::parse_from_rfc3339(joined)
                .ok()
                .map(|t| t.to_utc()),
            ..Participant::default()
        };
        let mut b = board();
        let e = b.apply(
            vec![anonymous("x", T0), anonymous("y", T0), anonymous("x", T1)],
            1,
            1,
        );
        assert_eq!(e.len(), 3);
        assert_eq!(instance_of("abc/+==").uuid.as_deref(), Some("abc/+=="));
    }
}
