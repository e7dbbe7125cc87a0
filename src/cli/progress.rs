//! What a durable export's checkpoint says: where the export stands, a few hundred bytes
//! however long the export, and the instances of a period as rows are tagged with them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use zoom_participants::{Checkpoint, Error};

use super::output::Tags;

/// Where a durable export stands: a few hundred bytes however long the export (a
/// period's instances are saved once in a file of their own, see `period`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// The instances of a period, once listed: which saved list they are.
    pub instances: Option<Listed>,
    /// While the period is being listed: where the list stands, and the instances so far.
    pub listing: Option<Checkpoint>,
    pub listed: Vec<Instance>,
    /// One stream of rows (an instance, or a list).
    pub one: Option<Checkpoint>,
    /// Many instances' rows, written one after the other.
    pub many: Option<Place>,
    /// How many instances (in order) have their per-person rows written.
    pub people_done: usize,
    /// How to continue an interrupted fan-out on standard output (never saved).
    #[serde(skip)]
    pub continue_with: Option<String>,
}

/// Where an export of many instances, written one after the other, stands in their list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// Instances before this one in the list are written whole.
    pub done: usize,
    /// Where the instance at `done` stands (`None`: not started).
    pub current: Option<Checkpoint>,
    /// Rows written in all, for `--limit`.
    pub written: u64,
}

/// Which kind of instance an ID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Webinar,
    Meeting,
}

impl Kind {
    /// The tags of a period's instances: `webinar_uuid`… or `meeting_uuid`…
    pub fn instance_tags(self) -> Vec<&'static str> {
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

    /// `err` as the error of instance `id` of a fan-out.
    pub fn error(self, id: String, err: Error) -> Error {
        let source = Box::new(err);
        match self {
            Kind::Webinar => Error::Webinar {
                webinar_id: id,
                source,
            },
            Kind::Meeting => Error::Meeting {
                meeting_id: id,
                source,
            },
        }
    }

    /// What Zoom calls it, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Webinar => "webinar",
            Kind::Meeting => "meeting",
        }
    }

    /// The options that name one ended instance on the command line, for a hint after an
    /// export of listed instances, which asks for `type=past` without a `--type`.
    pub fn past_flag(self) -> &'static str {
        match self {
            Kind::Webinar => "--type past --webinar",
            Kind::Meeting => "--type past --meeting",
        }
    }

    /// The option that names one on the command line.
    pub fn flag(self) -> &'static str {
        match self {
            Kind::Webinar => "--webinar",
            Kind::Meeting => "--meeting",
        }
    }

    /// The tag of a row in a fan-out of IDs.
    pub fn id_tag(self) -> &'static str {
        match self {
            Kind::Webinar => "webinar_id",
            Kind::Meeting => "meeting_id",
        }
    }
}

/// An instance of a period, as rows are tagged with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub uuid: String,
    pub id: Option<i64>,
    pub topic: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
}

impl Instance {
    pub fn tags(&self, kind: Kind) -> Tags {
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
pub fn instance_columns(fields: &'static [&'static str]) -> Vec<&'static str> {
    const FIRST: [&str; 4] = ["uuid", "id", "topic", "start_time"];
    FIRST
        .into_iter()
        .chain(fields.iter().copied().filter(|f| !FIRST.contains(f)))
        .collect()
}

/// What the checkpoint keeps of the saved instance list: enough to know it is the one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub count: usize,
    /// FNV-1a (64 bits, hex) of the file's bytes.
    pub digest: String,
}
