//! The Singer STATE's value: per stream, what has been emitted; per family, the walk in
//! progress with the library's checkpoint of the participants being read.
//!
//! ```json
//! {"bookmarks": {
//!    "webinars": {"ended_through": "2026-12-07T05:00:00Z",
//!                 "done": [{"uuid": "…", "end_time": "2026-12-07T05:20:00Z"}]},
//!    "webinar_participants": {…}},
//!  "in_progress": {"webinars": null | {
//!    "streams": ["webinars", "webinar_participants"], "started": "…",
//!    "from": "2026-06-07", "to": "2026-12-07", "window": "2026-11-07",
//!    "after": {"end_time": "…", "uuid": "…"},
//!    "instance": {"uuid": "…", "id": 1, "start_time": "…", "end_time": "…",
//!                 "participants": <library Checkpoint> | null}}}}
//! ```
//!
//! Every key is always written (`null` when empty), so that a runner which merges a new
//! state into the old one key by key (as Meltano does) ends with the new one.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zoom_participants::Checkpoint;

use crate::Failure;
use crate::streams::{FAMILIES, Instance};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub bookmarks: BTreeMap<String, Bookmark>,
    #[serde(default)]
    pub in_progress: BTreeMap<String, Option<Walk>>,
}

/// What a stream has been given, across runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bookmark {
    /// Every instance that ended at or before this instant (and started on or after
    /// `start_date`) has been emitted.
    pub ended_through: Option<DateTime<Utc>>,
    /// The instances emitted that ended after `ended_through`.
    #[serde(default)]
    pub done: Vec<Done>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    pub uuid: String,
    pub end_time: DateTime<Utc>,
}

impl Bookmark {
    /// Whether the instance is still to be emitted to this stream.
    pub fn wants(&self, instance: &Instance) -> bool {
        self.ended_through.is_none_or(|t| instance.end_time > t)
            && !self.done.iter().any(|d| d.uuid == instance.uuid)
    }
}

/// A walk over the instances of a period, window by window; within a window, instances in
/// the order of (end time, UUID).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Walk {
    /// The streams it emits to.
    pub streams: Vec<String>,
    /// When it began: instances that ended an hour before this were all listed.
    pub started: DateTime<Utc>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The first day of the window in progress (earlier windows are done).
    pub window: NaiveDate,
    /// The last instance finished in that window.
    pub after: Option<Position>,
    /// The instance whose participants are being read.
    pub instance: Option<Current>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    pub end_time: DateTime<Utc>,
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Current {
    pub uuid: String,
    pub id: Option<i64>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: DateTime<Utc>,
    /// The list type it was found in (its participants are read with the same).
    #[serde(default = "past")]
    pub list_type: String,
    /// Whether its record went to the list stream (before its first participant).
    #[serde(default)]
    pub listed: bool,
    /// Where its participants stand; `null`: at the start.
    pub participants: Option<Checkpoint>,
}

impl Current {
    pub fn instance(&self) -> Instance {
        Instance {
            uuid: self.uuid.clone(),
            id: self.id,
            start_time: self.start_time,
            end_time: self.end_time,
            list_type: self.list_type.clone(),
        }
    }
}

fn past() -> String {
    "past".into()
}

impl State {
    /// The state as it is written: a bookmark for every stream and a walk (or `null`) for
    /// every family, empty where nothing happened yet, so that a runner which merges a new
    /// state into the old one key by key ends with exactly this one.
    pub fn whole(&self) -> State {
        let mut state = self.clone();
        for family in FAMILIES {
            for stream in [family.list, family.participants] {
                state.bookmarks.entry(stream.to_owned()).or_default();
            }
            state
                .in_progress
                .entry(family.list.to_owned())
                .or_insert(None);
        }
        state
    }

    /// Reads `--state`: a state value, or a whole STATE message; an empty file or `{}`
    /// is no state.
    pub fn load(path: &std::path::Path) -> Result<State, Failure> {
        let usage = |m: String| Failure::new(crate::USAGE, m);
        let bytes = std::fs::read(path)
            .map_err(|e| usage(format!("cannot read the state {}: {e}", path.display())))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(State::default());
        }
        let bad = |what: String| usage(format!("the state {} {what}", path.display()));
        let mut value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            bad(format!(
                "is not JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        if value.get("type").and_then(Value::as_str) == Some("STATE") {
            value = value.get("value").cloned().unwrap_or(Value::Null);
        }
        if value.is_null() {
            return Ok(State::default());
        }
        serde_json::from_value(value)
            .map_err(|_| bad("is not a state this tap wrote (its bookmarks cannot be read)".into()))
    }
}
