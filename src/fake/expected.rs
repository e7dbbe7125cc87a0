//! What a test should receive from the fake, and changing what it serves while it runs.

use chrono::{NaiveDate, Utc};
use serde_json::Value;

use super::list::{self, ListType};
use super::meetings::meeting_json;
use super::report::{self, ReportKind};
use super::webinars::webinar_json;
use super::{FakeMeeting, FakeWebinar, FakeZoom, Rows, data, lock};
use crate::model::Participant;

impl FakeZoom {
    /// Exactly what a complete stream of the webinar yields, in order (the Dashboard's
    /// `/v2/metrics/webinars/{id}/participants`; empty for an ID the fake does not serve).
    pub fn expected_participants(&self, id: &str, with_registrant_id: bool) -> Vec<Participant> {
        let (rows, seed) = {
            let catalog = lock(&self.shared.catalog);
            (catalog.webinar(id), catalog.seed)
        };
        (0..rows.map_or(0, |r| r.count))
            .map(|i| data::participant(seed, i, with_registrant_id))
            .collect()
    }

    /// Exactly what a complete stream of the meeting yields, in order, from the Dashboard's
    /// `/v2/metrics/meetings/{id}/participants` with the `type` that serves it: `past` for a
    /// meeting, `pastOne` for a one-person meeting (empty for an ID the fake does not
    /// serve). With `type=live` Zoom ignores `include_fields`: ask with
    /// `with_registrant_id = false` for what a live stream yields. Each row serializes to
    /// the exact JSON text served.
    pub fn expected_meeting_participants(
        &self,
        id: &str,
        with_registrant_id: bool,
    ) -> Vec<Participant> {
        let (rows, seed) = {
            let catalog = lock(&self.shared.catalog);
            (catalog.meeting(id), catalog.seed)
        };
        let Some(rows) = rows else {
            return Vec::new();
        };
        (0..rows.count)
            .map(|i| data::meeting_participant(seed, i, with_registrant_id, rows.one_person))
            .collect()
    }

    /// Exactly the rows a complete read of `/v2/report/{webinars|meetings}/{id}/participants`
    /// yields, in order, parsed as JSON values (empty for an ID the Report API endpoint does
    /// not serve: unknown, or a one-person meeting). Row `i` is the Dashboard's row `i` of
    /// the same instance told the Report API's way (see [`ReportKind`]).
    pub fn expected_report_participants(
        &self,
        kind: ReportKind,
        id: &str,
        with_registrant_id: bool,
    ) -> Vec<Value> {
        self.expected_report_participants_raw(kind, id, with_registrant_id)
            .iter()
            .map(|row| serde_json::from_str(row).unwrap_or_default())
            .collect()
    }

    /// The rows of [`expected_report_participants`](Self::expected_report_participants) as
    /// the exact JSON texts served, for checks of a byte-for-byte pass-through (a
    /// [`Value`] would change `1.50` or a 30-digit number).
    pub fn expected_report_participants_raw(
        &self,
        kind: ReportKind,
        id: &str,
        with_registrant_id: bool,
    ) -> Vec<String> {
        let (rows, seed) = {
            let catalog = lock(&self.shared.catalog);
            let rows = match kind {
                ReportKind::Webinar => catalog.webinar(id),
                ReportKind::Meeting => catalog.meeting(id).filter(|r| !r.one_person),
            };
            (rows, catalog.seed)
        };
        (0..rows.map_or(0, |r| r.count))
            .map(|i| report::report_text(kind, seed, i, with_registrant_id))
            .collect()
    }

    /// Exactly the webinar objects a complete `type=past` listing of `from..=to` yields, in
    /// the order the fake serves them (by `start_time`, then `uuid`), however the period is
    /// split into windows.
    pub fn expected_webinars(&self, from: NaiveDate, to: NaiveDate) -> Vec<Value> {
        let catalog = lock(&self.shared.catalog);
        list::listing(&catalog.listed, ListType::Past, from, to, Utc::now())
            .into_iter()
            .map(webinar_json)
            .collect()
    }

    /// Exactly the meeting objects a complete `type=past` listing of `from..=to` without
    /// `include_fields` yields (one-person meetings are not among them), in the order the
    /// fake serves them (by `start_time`, then `uuid`), however the period is split into
    /// windows.
    pub fn expected_meetings(&self, from: NaiveDate, to: NaiveDate) -> Vec<Value> {
        self.expected_meeting_listing(from, to, false, false)
    }

    /// Exactly the meeting objects a complete listing of `from..=to` yields: with
    /// `type=pastOne` when `one_person`, else `type=past`; with `tracking_fields` on every
    /// object when `with_tracking_fields` (`include_fields=tracking_fields`).
    pub fn expected_meeting_listing(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        one_person: bool,
        with_tracking_fields: bool,
    ) -> Vec<Value> {
        let kind = if one_person {
            ListType::PastOne
        } else {
            ListType::Past
        };
        let catalog = lock(&self.shared.catalog);
        list::listing(&catalog.listed_meetings, kind, from, to, Utc::now())
            .into_iter()
            .map(|m| meeting_json(m, with_tracking_fields))
            .collect()
    }

    /// Serves `participants` rows under `id` from now on (a new webinar, or a changed one);
    /// a listed webinar with this UUID shows the new count in the list too.
    pub fn set_webinar(&self, id: impl Into<String>, participants: u64) {
        let id = id.into();
        let mut catalog = lock(&self.shared.catalog);
        for webinar in catalog.listed.iter_mut().filter(|w| w.uuid == id) {
            webinar.participants = participants;
        }
        catalog.webinars.insert(id, participants);
    }

    /// Serves `participants` rows under the meeting `id` from now on (a new meeting, or a
    /// changed one; a one-person meeting stays one, with that many rows); a listed meeting
    /// with this UUID shows the new count in the list too.
    pub fn set_meeting(&self, id: impl Into<String>, participants: u64) {
        let id = id.into();
        let mut catalog = lock(&self.shared.catalog);
        for meeting in catalog.listed_meetings.iter_mut().filter(|m| m.uuid == id) {
            meeting.participants = participants;
        }
        let one_person = catalog.meetings.get(&id).is_some_and(|r| r.one_person);
        let rows = if one_person {
            Rows::one_person(participants)
        } else {
            Rows::regular(participants)
        };
        catalog.meetings.insert(id, rows);
    }

    /// Lists `webinar` from now on, as [`FakeZoomBuilder::listed_webinar`] does before the
    /// start (a listed webinar with the same UUID is replaced).
    pub fn list_webinar(&self, webinar: FakeWebinar) {
        let mut catalog = lock(&self.shared.catalog);
        catalog
            .webinars
            .insert(webinar.uuid.clone(), webinar.participants);
        catalog.listed.retain(|w| w.uuid != webinar.uuid);
        catalog.listed.push(webinar);
    }

    /// Lists `meeting` from now on, as [`FakeZoomBuilder::listed_meeting`] does before the
    /// start (a listed meeting with the same UUID is replaced).
    pub fn list_meeting(&self, meeting: FakeMeeting) {
        let rows = if meeting.one_person {
            Rows::one_person(meeting.participants)
        } else {
            Rows::regular(meeting.participants)
        };
        let mut catalog = lock(&self.shared.catalog);
        catalog.meetings.insert(meeting.uuid.clone(), rows);
        catalog.listed_meetings.retain(|m| m.uuid != meeting.uuid);
        catalog.listed_meetings.push(meeting);
    }

    /// Generates every participant from `seed` from now on: the same webinars and meetings,
    /// other rows.
    pub fn set_seed(&self, seed: u64) {
        lock(&self.shared.catalog).seed = seed;
    }
}
