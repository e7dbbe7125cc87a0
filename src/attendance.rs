//! Attendance: the rows of a webinar folded into one summary per person.
//!
//! Zoom reports connections, not people: a person who rejoins, or joins from two devices,
//! is several rows. This view groups the rows by a documented identity key and measures the
//! time each person spent in the webinar as the union of their connections.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::{Stream, StreamExt as _};
use serde::{Serialize, Serializer};

use crate::error::Result;
use crate::model::{Participant, ReportParticipant, Role, Status};
use crate::row::Row;

/// A row that is one connection of one person: [`Participant`] (Dashboard) or
/// [`ReportParticipant`] (Report API), so that [`attendance`] folds either.
pub trait Connection: Row {
    /// The row in the Dashboard's terms (the Report API's `name` and `user_email` are the
    /// Dashboard's `user_name` and `email`).
    #[doc(hidden)]
    fn into_connection(self) -> Participant;
}

impl Connection for Participant {
    fn into_connection(self) -> Participant {
        self
    }
}

impl Connection for ReportParticipant {
    fn into_connection(self) -> Participant {
        Participant {
            id: self.id,
            user_id: self.user_id,
            user_name: self.name,
            email: self.user_email,
            join_time: self.join_time,
            leave_time: self.leave_time,
            status: self.status,
            customer_key: self.customer_key,
            registrant_id: self.registrant_id,
            participant_user_id: self.participant_user_id,
            bo_mtg_id: self.bo_mtg_id,
            ..Participant::default()
        }
    }
}

/// What makes two rows the same person, strongest evidence first.
///
/// See [`attendance`] for the order in which the fields are tried.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonKey {
    /// A non-empty `registrant_id` (sent with `include_fields=registrant_id`).
    Registrant(String),
    /// A non-empty `participant_user_id` (the person's Zoom user ID).
    User(String),
    /// A non-empty `id` (blank when the participant did not sign in).
    Participant(String),
    /// A non-empty `email`, trimmed and lower-cased.
    Email(String),
    /// Nothing identifies the row: a person of their own, numbered by the row's position in
    /// the input (0-based).
    Row(u64),
}

impl PersonKey {
    /// The key for `row`, the `index`-th row of the input.
    fn of(row: &Participant, index: u64) -> PersonKey {
        let present = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        if let Some(id) = present(&row.registrant_id) {
            PersonKey::Registrant(id)
        } else if let Some(id) = present(&row.participant_user_id) {
            PersonKey::User(id)
        } else if let Some(id) = present(&row.id) {
            PersonKey::Participant(id)
        } else if let Some(email) = present(&row.email) {
            PersonKey::Email(email.to_lowercase())
        } else {
            PersonKey::Row(index)
        }
    }

    /// The kind of key as serialized in `person_key_kind`: `registrant`, `user`,
    /// `participant`, `email` or `row`.
    pub fn kind(&self) -> &'static str {
        match self {
            PersonKey::Registrant(_) => "registrant",
            PersonKey::User(_) => "user",
            PersonKey::Participant(_) => "participant",
            PersonKey::Email(_) => "email",
            PersonKey::Row(_) => "row",
        }
    }

    /// The key's value as serialized in `person_key` (a row number in decimal for
    /// [`PersonKey::Row`]).
    pub fn value(&self) -> String {
        match self {
            PersonKey::Registrant(v)
            | PersonKey::User(v)
            | PersonKey::Participant(v)
            | PersonKey::Email(v) => v.clone(),
            PersonKey::Row(index) => index.to_string(),
        }
    }
}

/// One person's attendance of a webinar, folded from all of their rows.
///
/// Serializes with snake_case keys: `person_key_kind`, `person_key`, `name`, `email`,
/// `first_join`, `last_leave` (RFC 3339 instants or `null`), `attended_seconds` (whole
/// seconds, rounded down), `connections`, `roles`, `statuses` and `still_in_session`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attendance {
    /// Which rows were taken to be this person.
    pub key: PersonKey,
    /// The first non-empty `user_name` among the person's rows.
    pub name: Option<String>,
    /// The first non-empty `email` among the person's rows, as Zoom sent it.
    pub email: Option<String>,
    /// The earliest `join_time` of the person's rows.
    pub first_join: Option<DateTime<Utc>>,
    /// The latest `leave_time`; `None` while the person is still in session (or when no row
    /// had a leave time).
    pub last_leave: Option<DateTime<Utc>>,
    /// Time in the webinar: the union of the person's `[join, leave)` intervals, so that
    /// overlapping connections (two devices) count once.
    pub attended: Duration,
    /// How many rows (connections) the person had.
    pub connections: u32,
    /// The distinct roles of the person's rows, in the order first seen.
    pub roles: Vec<Role>,
    /// The distinct statuses of the person's rows, in the order first seen.
    pub statuses: Vec<Status>,
    /// Whether some row of the person had no `leave_time`.
    pub still_in_session: bool,
}

impl Attendance {
    /// The names of the serialized fields, in order (CSV columns).
    pub const FIELDS: &'static [&'static str] = &[
        "person_key_kind",
        "person_key",
        "name",
        "email",
        "first_join",
        "last_leave",
        "attended_seconds",
        "connections",
        "roles",
        "statuses",
        "still_in_session",
    ];
}

impl Serialize for Attendance {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let instant =
            |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        AttendanceRecord {
            person_key_kind: self.key.kind(),
            person_key: self.key.value(),
            name: self.name.as_deref(),
            email: self.email.as_deref(),
            first_join: instant(self.first_join),
            last_leave: instant(self.last_leave),
            attended_seconds: self.attended.as_secs(),
            connections: self.connections,
            roles: &self.roles,
            statuses: &self.statuses,
            still_in_session: self.still_in_session,
        }
        .serialize(serializer)
    }
}

/// The serialized shape of an [`Attendance`].
#[derive(Serialize)]
struct AttendanceRecord<'a> {
    person_key_kind: &'static str,
    person_key: String,
    name: Option<&'a str>,
    email: Option<&'a str>,
    first_join: Option<String>,
    last_leave: Option<String>,
    attended_seconds: u64,
    connections: u32,
    roles: &'a [Role],
    statuses: &'a [Status],
    still_in_session: bool,
}

/// Folds a webinar's participant rows into one [`Attendance`] per person.
///
/// The stream consumes every row first, then yields the people in the order of each
/// person's first row. If the input yields an error, that error is yielded at once and the
/// stream ends: nobody is emitted, because their times would be wrong.
///
/// **Identity.** Rows are the same person when they share, in this order of preference:
/// 1. a non-empty `registrant_id` (ask Zoom for it with `include_fields=registrant_id`);
/// 2. else a non-empty `participant_user_id`;
/// 3. else a non-empty `id`;
/// 4. else a non-empty `email`, compared trimmed and case-insensitively;
/// 5. else nothing: the row is a person of its own. Two rows that only share a name (blank,
///    as on HIPAA accounts, or generic) are never merged.
///
/// A value of only whitespace counts as empty, and keys are compared trimmed.
///
/// Each row is keyed by the first of these it has, so a row with a registrant ID and a row
/// with only the same email are two people.
///
/// **Time.** A person's attended time is the union of their `[join_time, leave_time)`
/// intervals. A row without `leave_time` counts until *the stated end*: `session_end` when
/// given, else the latest join or leave instant seen in the whole input. A row without
/// `join_time` contributes no time but still counts as a connection.
///
/// **Memory** grows with the number of people (and, per person, with the number of
/// separate stretches of time they attended), not with the number of rows: rows are folded
/// as they arrive and not kept.
pub fn attendance<S, R>(
    rows: S,
    session_end: Option<DateTime<Utc>>,
) -> impl Stream<Item = Result<Attendance>> + Send + 'static
where
    S: Stream<Item = Result<R>> + Send + Unpin + 'static,
    R: Connection,
{
    async_stream::stream! {
        let mut rows = rows;
        let mut tally = Tally::default();
        while let Some(row) = rows.next().await {
            match row {
                Ok(row) => tally.add(row.into_connection()),
                Err(err) => {
                    yield Err(err);
                    return;
                }
            }
        }
        for person in tally.finish(session_end) {
            yield Ok(person);
        }
    }
}

/// The people seen so far, in order of their first row.
#[derive(Default)]
struct Tally {
    people: Vec<Person>,
    index: HashMap<PersonKey, usize>,
    rows: u64,
    /// The latest join or leave instant of the whole input.
    latest: Option<DateTime<Utc>>,
}

/// One person being folded.
struct Person {
    summary: Attendance,
    /// Closed intervals, sorted and disjoint.
    spans: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The earliest join of a row without a leave time: all such rows end at the stated
    /// end, so their union starts here.
    open_since: Option<DateTime<Utc>>,
}

impl Tally {
    fn add(&mut self, row: Participant) {
        let key = PersonKey::of(&row, self.rows);
        self.rows += 1;
        for instant in [row.join_time, row.leave_time].into_iter().flatten() {
            self.latest = self.latest.max(Some(instant));
        }
        let slot = match key {
            PersonKey::Row(_) => None,
            ref key => self.index.get(key).copied(),
        };
        let slot = slot.unwrap_or_else(|| {
            if !matches!(key, PersonKey::Row(_)) {
                self.index.insert(key.clone(), self.people.len());
            }
            self.people.push(Person::new(key));
            self.people.len() - 1
        });
        self.people[slot].add(row);
    }

    fn finish(self, session_end: Option<DateTime<Utc>>) -> impl Iterator<Item = Attendance> {
        let stated_end = session_end.or(self.latest);
        self.people.into_iter().map(move |p| p.finish(stated_end))
    }
}

impl Person {
    fn new(key: PersonKey) -> Person {
        Person {
            summary: Attendance {
                key,
                name: None,
                email: None,
                first_join: None,
                last_leave: None,
                attended: Duration::ZERO,
                connections: 0,
                roles: Vec::new(),
                statuses: Vec::new(),
                still_in_session: false,
            },
            spans: Vec::new(),
            open_since: None,
        }
    }

    fn add(&mut self, row: Participant) {
        let s = &mut self.summary;
        s.connections = s.connections.saturating_add(1);
        let non_empty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        if s.name.is_none() {
            s.name = non_empty(row.user_name);
        }
        if s.email.is_none() {
            s.email = non_empty(row.email);
        }
        if let Some(role) = row.role.filter(|r| !s.roles.contains(r)) {
            s.roles.push(role);
        }
        if let Some(status) = row.status.filter(|st| !s.statuses.contains(st)) {
            s.statuses.push(status);
        }
        if let Some(join) = row.join_time {
            s.first_join = Some(s.first_join.map_or(join, |first| first.min(join)));
        }
        match row.leave_time {
            Some(leave) => s.last_leave = s.last_leave.max(Some(leave)),
            None => s.still_in_session = true,
        }
        match (row.join_time, row.leave_time) {
            (Some(join), Some(leave)) => insert_span(&mut self.spans, join, leave),
            (Some(join), None) => {
                self.open_since = Some(self.open_since.map_or(join, |open| open.min(join)));
            }
            (None, _) => {}
        }
    }

    fn finish(mut self, stated_end: Option<DateTime<Utc>>) -> Attendance {
        if let (Some(open), Some(end)) = (self.open_since, stated_end) {
            insert_span(&mut self.spans, open, end);
        }
        self.summary.attended = self
            .spans
            .iter()
            .filter_map(|(start, end)| (*end - *start).to_std().ok())
            .sum();
        if self.summary.still_in_session {
            self.summary.last_leave = None;
        }
        self.summary
    }
}

/// Adds `[start, end)` to sorted, disjoint `spans`, merging what it overlaps or touches.
/// An empty or inverted interval adds nothing.
fn insert_span(
    spans: &mut Vec<(DateTime<Utc>, DateTime<Utc>)>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    if end <= start {
        return;
    }
    let first = spans.partition_point(|(_, e)| *e < start);
    let (mut merged_start, mut merged_end) = (start, end);
    let mut past = first;
    while let Some(&(s, e)) = spans.get(past).filter(|(s, _)| *s <= end) {
        merged_start = merged_start.min(s);
        merged_end = merged_end.max(e);
        past += 1;
    }
    spans.splice(first..past, [(merged_start, merged_end)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use futures::executor::block_on;
    use futures::{TryStreamExt as _, stream};
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn row(join: Option<&str>, leave: Option<&str>) -> Participant {
        Participant {
            join_time: join.map(at),
            leave_time: leave.map(at),
            ..Participant::default()
        }
    }

    fn fold(rows: Vec<Participant>, end: Option<&str>) -> Vec<Attendance> {
        let input = stream::iter(rows.into_iter().map(Ok));
        block_on(attendance(input, end.map(at)).try_collect()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_rejoin_sums_disjoint_intervals() {
        let mut first = row(Some("2026-01-01T12:00:00Z"), Some("2026-01-01T12:10:00Z"));
        first.registrant_id = Some("reg-1".into());
        first.user_name = Some("Riya".into());
        first.role = Some(Role::Attendee);
        first.status = Some(Status::InWaitingRoom);
        let mut again = row(Some("2026-01-01T12:30:00Z"), Some("2026-01-01T12:35:30Z"));
        again.registrant_id = Some("reg-1".into());
        again.user_name = Some("Riya S.".into());
        again.role = Some(Role::Attendee);
        again.status = Some(Status::InMeeting);
        let people = fold(vec![first, again], None);
        assert_eq!(
            people,
            vec![Attendance {
                key: PersonKey::Registrant("reg-1".into()),
                name: Some("Riya".into()),
                email: None,
                first_join: Some(at("2026-01-01T12:00:00Z")),
                last_leave: Some(at("2026-01-01T12:35:30Z")),
                attended: Duration::from_secs(15 * 60 + 30),
                connections: 2,
                roles: vec![Role::Attendee],
                statuses: vec![Status::InWaitingRoom, Status::InMeeting],
                still_in_session: false,
            }]
        );
    }

    #[test]
    fn two_overlapping_devices_count_once() {
        let mut laptop = row(Some("2026-01-01T12:00:00Z"), Some("2026-01-01T13:00:00Z"));
        laptop.participant_user_id = Some("u1".into());
        let mut phone = row(Some("2026-01-01T12:30:00Z"), Some("2026-01-01T13:15:00Z"));
        phone.participant_user_id = Some("u1".into());
        let people = fold(vec![laptop, phone], None);
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].key, PersonKey::User("u1".into()));
        assert_eq!(people[0].attended, Duration::from_secs(75 * 60));
        assert_eq!(people[0].connections, 2);
        assert_eq!(people[0].last_leave, Some(at("2026-01-01T13:15:00Z")));
    }

    #[test]
    fn a_row_still_in_the_meeting_counts_to_the_stated_end() {
        let mut staying = row(Some("2026-01-01T12:00:00Z"), None);
        staying.id = Some("p1".into());
        let mut other = row(Some("2026-01-01T12:05:00Z"), Some("2026-01-01T12:50:00Z"));
        other.id = Some("p2".into());

        // Without a session end, the latest instant of the input is the end.
        let people = fold(vec![staying.clone(), other.clone()], None);
        assert_eq!(people[0].key, PersonKey::Participant("p1".into()));
        assert_eq!(people[0].attended, Duration::from_secs(50 * 60));
        assert!(people[0].still_in_session);
        assert_eq!(people[0].last_leave, None);
        assert_eq!(people[1].attended, Duration::from_secs(45 * 60));
        assert!(!people[1].still_in_session);

        // A stated session end wins.
        let people = fold(vec![staying, other], Some("2026-01-01T13:00:00Z"));
        assert_eq!(people[0].attended, Duration::from_secs(60 * 60));
        assert_eq!(people[1].attended, Duration::from_secs(45 * 60));
    }

    #[test]
    fn hipaa_blank_rows_are_each_their_own_person() {
        let blank = || {
            let mut r = row(Some("2026-01-01T12:00:00Z"), Some("2026-01-01T12:10:00Z"));
            r.id = Some(String::new());
            r.user_name = Some(String::new());
            r.email = Some(" ".into());
            r.participant_user_id = Some(String::new());
            r
        };
        let mut generic = blank();
        generic.user_name = Some("iPhone".into());
        let people = fold(vec![blank(), blank(), generic.clone(), generic], None);
        let keys: Vec<_> = people.iter().map(|p| p.key.clone()).collect();
        assert_eq!(
            keys,
            vec![
                PersonKey::Row(0),
                PersonKey::Row(1),
                PersonKey::Row(2),
                PersonKey::Row(3)
            ]
        );
        assert!(people.iter().all(|p| p.connections == 1));
        assert_eq!(people[0].name, None, "a blank name is no name");
        assert_eq!(people[0].email, None, "a blank email is no email");
        assert_eq!(people[2].name.as_deref(), Some("iPhone"));
    }

    #[test]
    fn registrant_beats_email_and_email_ignores_case_and_spaces() {
        let mut registered = row(Some("2026-01-01T12:00:00Z"), Some("2026-01-01T12:10:00Z"));
        registered.registrant_id = Some("reg-9".into());
        registered.email = Some("pat@example.com".into());
        let mut by_mail = row(Some("2026-01-01T12:20:00Z"), Some("2026-01-01T12:30:00Z"));
        by_mail.email = Some(" Pat@Example.COM ".into());
        let mut by_mail_again = row(None, Some("2026-01-01T12:40:00Z"));
        by_mail_again.email = Some("pat@example.com".into());
        let people = fold(vec![registered, by_mail, by_mail_again], None);
        assert_eq!(people.len(), 2);
        assert_eq!(people[0].key, PersonKey::Registrant("reg-9".into()));
        assert_eq!(people[0].attended, Duration::from_secs(600));
        assert_eq!(people[1].key, PersonKey::Email("pat@example.com".into()));
        assert_eq!(people[1].email.as_deref(), Some(" Pat@Example.COM "));
        assert_eq!(
            people[1].connections, 2,
            "a row without join is a connection"
        );
        assert_eq!(people[1].attended, Duration::from_secs(600), "but no time");
        assert_eq!(people[1].first_join, Some(at("2026-01-01T12:20:00Z")));
    }

    #[test]
    fn an_error_ends_the_view_with_nothing_else() {
        let mut a = row(Some("2026-01-01T12:00:00Z"), Some("2026-01-01T12:10:00Z"));
        a.id = Some("p1".into());
        let input = stream::iter(vec![
            Ok(a),
            Err(Error::InvalidRequest("page 2 failed".into())),
        ]);
        let out: Vec<_> = block_on(attendance(input, None).collect());
        assert_eq!(out.len(), 1);
        assert!(matches!(&out[0], Err(Error::InvalidRequest(m)) if m == "page 2 failed"));
    }

    #[test]
    fn serializes_flat_with_whole_seconds_and_rfc3339() {
        let person = Attendance {
            key: PersonKey::Row(7),
            name: None,
            email: Some("a@b.c".into()),
            first_join: Some(at("2026-01-01T12:00:00.250Z")),
            last_leave: None,
            attended: Duration::from_millis(90_999),
            connections: 1,
            roles: vec![Role::Other("co-host".into())],
            statuses: vec![Status::InMeeting],
            still_in_session: true,
        };
        assert_eq!(
            serde_json::to_value(&person).ok(),
            Some(serde_json::json!({
                "person_key_kind": "row",
                "person_key": "7",
                "name": null,
                "email": "a@b.c",
                "first_join": "2026-01-01T12:00:00.250Z",
                "last_leave": null,
                "attended_seconds": 90,
                "connections": 1,
                "roles": ["co-host"],
                "statuses": ["in_meeting"],
                "still_in_session": true,
            }))
        );
    }

    /// Rows of one person from `(start, length)` pairs in seconds after a base instant.
    fn person_rows(spans: &[(i64, i64)]) -> Vec<Participant> {
        let base = at("2026-01-01T00:00:00Z");
        spans
            .iter()
            .map(|&(start, length)| {
                let mut r = Participant {
                    join_time: Some(base + chrono::Duration::seconds(start)),
                    leave_time: Some(base + chrono::Duration::seconds(start + length)),
                    ..Participant::default()
                };
                r.registrant_id = Some("reg".into());
                r
            })
            .collect()
    }

    proptest! {
        #[test]
        fn the_union_never_exceeds_the_whole_span_and_is_exact(
            spans in prop::collection::vec((0i64..300, 0i64..120), 1..12)
        ) {
            let people = fold(person_rows(&spans), None);
            prop_assert_eq!(people.len(), 1);
            let lo = spans.iter().map(|s| s.0).min().unwrap_or(0);
            let hi = spans.iter().map(|s| s.0 + s.1).max().unwrap_or(0);
            let attended = people[0].attended.as_secs();
            prop_assert!(attended <= (hi - lo) as u64);
            // The same union by counting covered seconds.
            let covered = (lo..hi)
                .filter(|t| spans.iter().any(|&(s, l)| s <= *t && *t < s + l))
                .count() as u64;
            prop_assert_eq!(attended, covered);
        }

        #[test]
        fn disjoint_intervals_sum(
            steps in prop::collection::vec((0i64..100, 0i64..100), 1..12),
            reverse in any::<bool>(),
        ) {
            let mut t = 0;
            let mut spans = Vec::new();
            for (gap, length) in steps {
                t += gap;
                spans.push((t, length));
                t += length;
            }
            if reverse {
                spans.reverse();
            }
            let people = fold(person_rows(&spans), None);
            let sum: i64 = spans.iter().map(|s| s.1).sum();
            prop_assert_eq!(people[0].attended.as_secs(), sum as u64);
        }
    }
}
