//! The tap's streams, as a table: each family is an instance list (`webinars`,
//! `meetings`) and the participants of each listed instance (`webinar_participants`,
//! `meeting_participants`), read with the library's requests.

use chrono::{DateTime, NaiveDate, Utc};
use futures::future::BoxFuture;
use futures::{FutureExt, Stream, TryStreamExt};
use serde_json::Value;
use zoom_participants::{
    Checkpoint, Client, Meeting, MeetingType, Participant, ParticipantStream, Result as ZoomResult,
    Webinar, WebinarType,
};

use crate::schema::Record;

/// One instance of a list, as the walk needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub uuid: String,
    pub id: Option<i64>,
    pub start_time: Option<DateTime<Utc>>,
    /// When it ended (its start when Zoom gave no end): what instances are ordered and
    /// bookmarked by.
    pub end_time: DateTime<Utc>,
    /// The list `type` it was found in (`past`, or `pastOne` for a meeting that had one
    /// participant): its participants are read with the same.
    pub list_type: String,
}

/// A row of a list: the instance (`None` when the row has no UUID or no time, so that
/// neither its participants nor a key can be had) and its record.
pub struct Listed {
    pub instance: Option<Instance>,
    pub record: Record,
}

/// The participants of one instance, resumable.
pub trait ParticipantRows: Stream<Item = ZoomResult<Participant>> + Send + Unpin {
    fn checkpoint(&self) -> Checkpoint;
    /// Pages received so far by this stream.
    fn pages_received(&self) -> u64;
}

impl ParticipantRows for ParticipantStream<Participant> {
    fn checkpoint(&self) -> Checkpoint {
        ParticipantStream::checkpoint(self)
    }

    fn pages_received(&self) -> u64 {
        ParticipantStream::pages_received(self)
    }
}

/// Reads the instances of `[from, to]` (at most a month), type past, whole.
pub type ListWindow =
    fn(&Client, NaiveDate, NaiveDate) -> BoxFuture<'static, ZoomResult<Vec<Listed>>>;

/// A list stream and its participant stream.
pub struct Family {
    /// The list stream's name (key `uuid`, replication key `end_time`).
    pub list: &'static str,
    /// The participant stream's name.
    pub participants: &'static str,
    /// The prefix of the columns that tie a participant to its instance (`webinar_uuid`).
    pub prefix: &'static str,
    /// The row types' schemas.
    pub list_schema: fn() -> Value,
    pub participant_schema: fn() -> Value,
    /// The instances of `[from, to]` (at most a month), type past, whole.
    pub list_window: ListWindow,
    /// The participants of an instance (by UUID and list type), from a checkpoint if given.
    pub participants_of: fn(&Client, &str, &str, Option<Checkpoint>) -> Box<dyn ParticipantRows>,
}

impl Family {
    /// The participant stream's columns that tie a row to its instance.
    pub fn key_properties(&self) -> Vec<String> {
        vec![
            format!("{}_uuid", self.prefix),
            crate::schema::ROW_INDEX.to_owned(),
        ]
    }

    pub fn end_time_column(&self) -> String {
        format!("{}_end_time", self.prefix)
    }
}

pub const FAMILIES: &[Family] = &[
    Family {
        list: "webinars",
        participants: "webinar_participants",
        prefix: "webinar",
        list_schema: Webinar::json_schema,
        participant_schema: Participant::json_schema,
        list_window: webinar_window,
        participants_of: webinar_participants,
    },
    Family {
        list: "meetings",
        participants: "meeting_participants",
        prefix: "meeting",
        list_schema: Meeting::json_schema,
        participant_schema: Participant::json_schema,
        list_window: meeting_window,
        participants_of: meeting_participants,
    },
];

/// Every stream name, in catalog order.
pub fn stream_names() -> Vec<&'static str> {
    FAMILIES
        .iter()
        .flat_map(|f| [f.list, f.participants])
        .collect()
}

fn instance(
    uuid: Option<String>,
    id: Option<i64>,
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    list_type: &str,
) -> Option<Instance> {
    Some(Instance {
        uuid: uuid.filter(|u| !u.is_empty())?,
        id,
        start_time,
        end_time: end_time.or(start_time)?,
        list_type: list_type.to_owned(),
    })
}

fn webinar_window(
    client: &Client,
    from: NaiveDate,
    to: NaiveDate,
) -> BoxFuture<'static, ZoomResult<Vec<Listed>>> {
    let rows = client
        .webinars(from, to)
        .webinar_type(WebinarType::Past)
        .stream();
    async move {
        let rows: Vec<Webinar> = rows.try_collect().await?;
        let schema = Webinar::json_schema();
        Ok(rows
            .into_iter()
            .map(|w| Listed {
                instance: instance(w.uuid.clone(), w.id, w.start_time, w.end_time, "past"),
                record: Record::of(w, &schema),
            })
            .collect())
    }
    .boxed()
}

fn webinar_participants(
    client: &Client,
    uuid: &str,
    _list_type: &str,
    resume: Option<Checkpoint>,
) -> Box<dyn ParticipantRows> {
    let mut request = client
        .webinar_participants(uuid)
        .webinar_type(WebinarType::Past);
    if let Some(checkpoint) = resume {
        request = request.resume(checkpoint);
    }
    Box::new(request.stream())
}

/// Both lists of ended meetings: `past` (two participants or more) and `pastOne` (one
/// participant), so that no ended meeting is left out.
fn meeting_window(
    client: &Client,
    from: NaiveDate,
    to: NaiveDate,
) -> BoxFuture<'static, ZoomResult<Vec<Listed>>> {
    let client = client.clone();
    async move {
        let schema = Meeting::json_schema();
        let mut listed = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for kind in [MeetingType::Past, MeetingType::PastOne] {
            let rows: Vec<Meeting> = client
                .meetings(from, to)
                .meeting_type(kind)
                .include_tracking_fields()
                .stream()
                .try_collect()
                .await?;
            for m in rows {
                let instance = instance(
                    m.uuid.clone(),
                    m.id,
                    m.start_time,
                    m.end_time,
                    kind.as_str(),
                );
                // A meeting in both lists is taken once, from the first.
                if instance
                    .as_ref()
                    .is_some_and(|i| !seen.insert(i.uuid.clone()))
                {
                    continue;
                }
                listed.push(Listed {
                    instance,
                    record: Record::of(m, &schema),
                });
            }
        }
        Ok(listed)
    }
    .boxed()
}

fn meeting_participants(
    client: &Client,
    uuid: &str,
    list_type: &str,
    resume: Option<Checkpoint>,
) -> Box<dyn ParticipantRows> {
    let kind = if list_type == MeetingType::PastOne.as_str() {
        MeetingType::PastOne
    } else {
        MeetingType::Past
    };
    let mut request = client.meeting_participants(uuid).meeting_type(kind);
    if let Some(checkpoint) = resume {
        request = request.resume(checkpoint);
    }
    Box::new(request.stream())
}
