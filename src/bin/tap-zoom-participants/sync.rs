//! A sync: for each family, a walk over the instances of its period, emitting each new
//! instance's record and then its participants, with a STATE after every page and every
//! instance.
//!
//! The walk reads the period one month window at a time (Zoom's limit), each window's list
//! whole, and takes its instances in the order of (end time, UUID): so where it stands is
//! one position that stays true however the list changes between two runs (instances that
//! end later come after it, instances that Zoom drops are not needed), and rerunning with
//! any STATE re-lists the window and continues after that position, the participants of
//! the instance in progress from the library's checkpoint (which re-walks and verifies the
//! pages done when Zoom's 15-minute token has died).
//!
//! Across runs, each stream's bookmark says which instances it has had: all that ended up
//! to `ended_through`, and the few after it listed in `done`. A new walk lists from two days
//! before `ended_through` (no instance lasts longer), so an instance that started before a
//! run and ended after it is listed, and emitted, by the first run after it ended.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Months, NaiveDate, SecondsFormat, Utc};
use futures::{FutureExt, StreamExt};
use zoom_participants::{Client, Error};

use crate::Failure;
use crate::catalog::{Selection, specs};
use crate::config::Config;
use crate::messages::Messages;
use crate::schema::{ROW_INDEX, Record, json_text};
use crate::state::{Bookmark, Current, Done, Position, State, Walk};
use crate::streams::{FAMILIES, Family, Instance, ParticipantRows};

/// How late an ended instance may appear in Zoom's list (the Dashboard lags): a walk's
/// bookmark does not claim instances that ended less than this before it began.
const LISTING_DELAY: Duration = Duration::hours(1);
/// Longer than any instance lasts (Zoom ends meetings at 30 hours).
const LONGEST_INSTANCE: Duration = Duration::hours(48);
/// How far back Zoom's Dashboard keeps data.
const RETENTION_MONTHS: u32 = 6;

/// Why a sync stopped early.
pub enum Stop {
    /// Zoom or the client failed: the state is emitted, the run can continue later.
    Zoom(Error),
    /// Standard output failed.
    Output(std::io::Error),
}

impl From<std::io::Error> for Stop {
    fn from(err: std::io::Error) -> Self {
        Stop::Output(err)
    }
}

pub struct Sync<'a> {
    config: &'a Config,
    client: &'a Client,
    selection: &'a Selection,
    pub state: State,
    out: &'a mut Messages,
    /// Whether the 6-month notice was given.
    retention_said: bool,
}

/// Syncs the selected streams; on failure the STATE of what was emitted comes last.
pub async fn run(
    config: &Config,
    client: &Client,
    selection: &Selection,
    state: State,
    out: &mut Messages,
) -> Result<(), Failure> {
    let mut sync = Sync {
        config,
        client,
        selection,
        state,
        out,
        retention_said: false,
    };
    let result = sync.all().await;
    let emitted = sync.out.state(&sync.state);
    match (result, emitted) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(Stop::Zoom(err)), _) => Err(Failure::from_error(&err)),
        (Err(Stop::Output(err)), _) | (Ok(()), Err(err)) => Err(Failure::new(
            crate::OTHER,
            format!("cannot write to standard output: {err}"),
        )),
    }
}

impl Sync<'_> {
    async fn all(&mut self) -> Result<(), Stop> {
        for spec in specs() {
            if self.selection.is_selected(spec.name) {
                let keep = |p: &str| self.selection.keeps(spec.name, p);
                self.out.schema(&spec, &keep)?;
            }
        }
        for family in FAMILIES {
            self.family(family).await?;
        }
        Ok(())
    }

    /// Finishes the family's walk in progress (for the streams still selected), then walks
    /// for the selected streams it did not serve.
    async fn family(&mut self, family: &Family) -> Result<(), Stop> {
        let selected: Vec<String> = [family.list, family.participants]
            .into_iter()
            .filter(|s| self.selection.is_selected(s))
            .map(str::to_owned)
            .collect();
        if selected.is_empty() {
            // A walk left in progress stays, to go on when its streams are selected again.
            return Ok(());
        }
        let mut served: BTreeSet<String> = BTreeSet::new();
        loop {
            let walk = match self.state.in_progress.get(family.list).cloned().flatten() {
                Some(mut walk) => {
                    walk.streams
                        .retain(|s| selected.contains(s) && !served.contains(s));
                    if walk.streams.is_empty() {
                        self.state.in_progress.insert(family.list.into(), None);
                        continue;
                    }
                    walk
                }
                None => {
                    let streams: Vec<String> = selected
                        .iter()
                        .filter(|s| !served.contains(*s))
                        .cloned()
                        .collect();
                    if streams.is_empty() {
                        return Ok(());
                    }
                    self.new_walk(streams)
                }
            };
            served.extend(walk.streams.iter().cloned());
            self.walk(family, walk).await?;
        }
    }

    fn bookmark(&self, stream: &str) -> Bookmark {
        self.state
            .bookmarks
            .get(stream)
            .cloned()
            .unwrap_or_default()
    }

    fn new_walk(&mut self, streams: Vec<String>) -> Walk {
        let start = self.config.start_date;
        let mut from = streams
            .iter()
            .map(|s| match self.bookmark(s).ended_through {
                None => start,
                Some(t) => (t - LONGEST_INSTANCE).date_naive().max(start),
            })
            .min()
            .unwrap_or(start);
        let today = Utc::now().date_naive();
        if let Some(kept) = today.checked_sub_months(Months::new(RETENTION_MONTHS))
            && from < kept
        {
            if !self.retention_said {
                let what = if from == start {
                    format!("start_date {from}")
                } else {
                    format!("the bookmark's {from}")
                };
                crate::say(&format!(
                    "{what} is older than the {RETENTION_MONTHS} months Zoom's Dashboard keeps: reading from {kept}"
                ));
                self.retention_said = true;
            }
            from = kept;
        }
        Walk {
            streams,
            started: Utc::now(),
            from,
            to: self.config.end_date,
            window: from,
            after: None,
            instance: None,
        }
    }

    /// Keeps the walk in the state, and says so with a STATE.
    fn save(&mut self, family: &Family, walk: &Walk) -> Result<(), Stop> {
        self.put(family, walk);
        self.out.state(&self.state)?;
        Ok(())
    }

    fn put(&mut self, family: &Family, walk: &Walk) {
        self.state
            .in_progress
            .insert(family.list.into(), Some(walk.clone()));
    }

    async fn walk(&mut self, family: &Family, mut walk: Walk) -> Result<(), Stop> {
        self.put(family, &walk);
        let wants_list = walk.streams.iter().any(|s| s == family.list);
        let wants_rows = walk.streams.iter().any(|s| s == family.participants);
        if let Some(current) = walk.instance.clone() {
            // Its list record went out before its first participants: finish these (unless
            // the participants are no longer selected).
            if wants_rows {
                self.participants(family, &mut walk).await?;
            }
            let listed = current.listed && wants_list;
            self.finished(family, &mut walk, &current.instance(), listed, wants_rows)?;
        }
        let windows: Vec<(NaiveDate, NaiveDate)> = windows(walk.from, walk.to)
            .into_iter()
            .filter(|(first, _)| *first >= walk.window)
            .collect();
        let (list_bookmark, rows_bookmark) = (
            self.bookmark(family.list),
            self.bookmark(family.participants),
        );
        for (first, last) in windows {
            if walk.window != first {
                walk.window = first;
                walk.after = None;
                self.save(family, &walk)?;
            }
            let listed = (family.list_window)(self.client, first, last)
                .await
                .map_err(Stop::Zoom)?;
            let mut instances = Vec::with_capacity(listed.len());
            for row in listed {
                match row.instance {
                    Some(instance) => instances.push((instance, row.record)),
                    None => crate::say(&format!(
                        "warning: an instance listed by {} in {first}..{last} has no UUID or no time: skipped",
                        family.list
                    )),
                }
            }
            instances.sort_by(|(a, _), (b, _)| (a.end_time, &a.uuid).cmp(&(b.end_time, &b.uuid)));
            for (instance, record) in instances {
                let position = Position {
                    end_time: instance.end_time,
                    uuid: instance.uuid.clone(),
                };
                if walk.after.as_ref().is_some_and(|after| position <= *after) {
                    continue;
                }
                let to_list = wants_list && list_bookmark.wants(&instance);
                let to_rows = wants_rows && rows_bookmark.wants(&instance);
                if to_list {
                    let keep = |p: &str| self.selection.keeps(family.list, p);
                    self.out.record(family.list, &record, &[], &keep)?;
                }
                if to_rows {
                    walk.instance = Some(Current {
                        uuid: instance.uuid.clone(),
                        id: instance.id,
                        start_time: instance.start_time,
                        end_time: instance.end_time,
                        list_type: instance.list_type.clone(),
                        listed: to_list,
                        participants: None,
                    });
                    self.put(family, &walk);
                    self.participants(family, &mut walk).await?;
                }
                if to_list || to_rows {
                    self.finished(family, &mut walk, &instance, to_list, to_rows)?;
                } else {
                    walk.after = Some(position);
                }
            }
        }
        // Done: each stream's bookmark moves to what this walk has surely seen.
        let through = (walk.started - LISTING_DELAY).min(day_after(walk.to));
        for stream in &walk.streams {
            let bookmark = self.state.bookmarks.entry(stream.clone()).or_default();
            let through = bookmark.ended_through.map_or(through, |t| t.max(through));
            bookmark.ended_through = Some(through);
            bookmark.done.retain(|d| d.end_time > through);
        }
        self.state.in_progress.insert(family.list.into(), None);
        self.out.state(&self.state)?;
        Ok(())
    }

    /// Notes an instance as emitted: the walk moves past it, and the streams that got it
    /// remember it if their next walk could list it again.
    fn finished(
        &mut self,
        family: &Family,
        walk: &mut Walk,
        instance: &Instance,
        to_list: bool,
        to_rows: bool,
    ) -> Result<(), Stop> {
        walk.instance = None;
        walk.after = Some(Position {
            end_time: instance.end_time,
            uuid: instance.uuid.clone(),
        });
        if instance.end_time > walk.started - LISTING_DELAY {
            for (stream, emitted) in [(family.list, to_list), (family.participants, to_rows)] {
                if emitted {
                    let bookmark = self.state.bookmarks.entry(stream.into()).or_default();
                    if !bookmark.done.iter().any(|d| d.uuid == instance.uuid) {
                        bookmark.done.push(Done {
                            uuid: instance.uuid.clone(),
                            end_time: instance.end_time,
                        });
                    }
                }
            }
        }
        self.save(family, walk)
    }

    /// The participants of the walk's current instance, from its checkpoint, with a STATE
    /// whenever a page is done (when the stream has to wait for the next one).
    async fn participants(&mut self, family: &Family, walk: &mut Walk) -> Result<(), Stop> {
        let Some(current) = walk.instance.clone() else {
            return Ok(());
        };
        let mut index = current
            .participants
            .as_ref()
            .map_or(0, |c| c.items_yielded());
        let mut rows = (family.participants_of)(
            self.client,
            &current.uuid,
            &current.list_type,
            current.participants.clone(),
        );
        let names = crate::schema::instance_columns(family.prefix).map(|(name, _)| name);
        let instant = |t: Option<DateTime<Utc>>| {
            t.map_or("null".to_owned(), |t| {
                json_text(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            })
        };
        let fixed = [
            json_text(&current.uuid),
            current.id.map_or("null".to_owned(), |id| id.to_string()),
            instant(current.start_time),
            instant(Some(current.end_time)),
        ];
        let schema = (family.participant_schema)();
        // A STATE when the stream has to wait for its next page (the page is done), and
        // in any case once the rows of a later page arrive: at least one a page.
        let mut since_state = 0u64;
        let mut covered_page = 1;
        loop {
            let next = match rows.next().now_or_never() {
                Some(next) => next,
                None => {
                    if since_state > 0 {
                        self.page_state(family, walk, rows.as_ref())?;
                        since_state = 0;
                        covered_page = rows.pages_received() + 1;
                    }
                    rows.next().await
                }
            };
            match next {
                Some(Ok(participant)) => {
                    let record = Record::of(participant, &schema);
                    let mut tags: Vec<(&str, String)> = names
                        .iter()
                        .map(String::as_str)
                        .zip(fixed.iter().cloned())
                        .collect();
                    tags.push((ROW_INDEX, index.to_string()));
                    let keep = |p: &str| self.selection.keeps(family.participants, p);
                    self.out
                        .record(family.participants, &record, &tags, &keep)?;
                    index += 1;
                    since_state += 1;
                    if rows.pages_received() > covered_page {
                        self.page_state(family, walk, rows.as_ref())?;
                        since_state = 0;
                        covered_page = rows.pages_received();
                    }
                }
                Some(Err(err)) => {
                    if let Some(c) = walk.instance.as_mut() {
                        c.participants = Some(rows.checkpoint());
                    }
                    self.put(family, walk);
                    return Err(Stop::Zoom(err));
                }
                None => return Ok(()),
            }
        }
    }
}

impl Sync<'_> {
    /// A STATE with the participants' checkpoint, covering every row written.
    fn page_state(
        &mut self,
        family: &Family,
        walk: &mut Walk,
        rows: &dyn ParticipantRows,
    ) -> Result<(), Stop> {
        if let Some(current) = walk.instance.as_mut() {
            current.participants = Some(rows.checkpoint());
        }
        self.save(family, walk)
    }
}

/// The first instant of the day after `day`.
fn day_after(day: NaiveDate) -> DateTime<Utc> {
    day.succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

/// `[from, to]` as consecutive windows of at most one calendar month (the library's split).
pub fn windows(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut windows = Vec::new();
    if to < from {
        return windows;
    }
    let mut start = from;
    loop {
        let end = start
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .map_or(to, |d| d.min(to));
        windows.push((start, end));
        match end.succ_opt() {
            Some(next) if end < to => start = next,
            _ => return windows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn windows_are_months_and_an_empty_period_has_none() {
        assert_eq!(
            windows(day("2026-01-31"), day("2026-03-01")),
            vec![
                (day("2026-01-31"), day("2026-02-27")),
                (day("2026-02-28"), day("2026-03-01")),
            ]
        );
        assert!(windows(day("2026-02-01"), day("2026-01-31")).is_empty());
    }
}
