//! Every list the crate reads, written down once as data: a path, the array that holds the
//! rows, a rate-limit label, the query it takes and the name its checkpoints carry. The
//! core, the checkpoint, the read-ahead and the fan-out take any of them; a new list
//! endpoint is one more description here and a row type in `model`.

use reqwest::Url;

use crate::encode::instance_segment;
use crate::http::Transport;
use crate::rate_limit::Label;

/// Zoom's largest page, and so the default: fewer Heavy calls for the same participants.
pub const MAX_PAGE_SIZE: u32 = 300;

/// One token-paginated Zoom list.
#[derive(Debug)]
#[doc(hidden)]
pub struct Endpoint {
    /// The path under the base URL; `{id}` stands for the instance's ID or UUID, encoded by
    /// Zoom's rule.
    pub(crate) path: &'static str,
    /// The member of each page that holds the rows.
    pub(crate) array: &'static str,
    pub(crate) label: Label,
    /// What a checkpoint of it says it holds (`participants of webinar`, `webinars`).
    pub(crate) name: &'static str,
    /// The instance its `{id}` names (`webinar`, `meeting`), for messages.
    pub(crate) instance: &'static str,
    /// The `type` values it takes; empty when it takes no `type`.
    pub(crate) types: &'static [&'static str],
    /// The `include_fields` value it takes, if any.
    pub(crate) include_field: Option<&'static str>,
    /// Whether it pages (`page_size`, `next_page_token`); an unpaged list answers in one
    /// page and is sent no `page_size`.
    pub(crate) paged: bool,
    /// Whether its `{id}` must be a number (the instance lists take no UUID).
    pub(crate) number_only: bool,
}

/// `GET /metrics/webinars/{webinarId}/participants` (Dashboard).
pub(crate) const WEBINAR_PARTICIPANTS: Endpoint = Endpoint {
    path: "/metrics/webinars/{id}/participants",
    array: "participants",
    label: Label::Heavy,
    name: "participants of webinar",
    instance: "webinar",
    types: &["live", "past"],
    include_field: Some("registrant_id"),
    paged: true,
    number_only: false,
};

/// `GET /metrics/meetings/{meetingId}/participants` (Dashboard).
pub(crate) const MEETING_PARTICIPANTS: Endpoint = Endpoint {
    path: "/metrics/meetings/{id}/participants",
    array: "participants",
    label: Label::Heavy,
    name: "participants of meeting",
    instance: "meeting",
    types: &["live", "past", "pastOne"],
    include_field: Some("registrant_id"),
    paged: true,
    number_only: false,
};

/// `GET /report/webinars/{webinarId}/participants` (Report API).
pub(crate) const REPORT_WEBINAR_PARTICIPANTS: Endpoint = Endpoint {
    path: "/report/webinars/{id}/participants",
    array: "participants",
    label: Label::Heavy,
    name: "report participants of webinar",
    instance: "webinar",
    types: &[],
    include_field: Some("registrant_id"),
    paged: true,
    number_only: false,
};

/// `GET /report/meetings/{meetingId}/participants` (Report API).
pub(crate) const REPORT_MEETING_PARTICIPANTS: Endpoint = Endpoint {
    path: "/report/meetings/{id}/participants",
    array: "participants",
    label: Label::Heavy,
    name: "report participants of meeting",
    instance: "meeting",
    types: &[],
    include_field: Some("registrant_id"),
    paged: true,
    number_only: false,
};

/// `GET /metrics/webinars` (Dashboard): the webinar instances of a period.
pub(crate) const WEBINARS: Endpoint = Endpoint {
    path: "/metrics/webinars",
    array: "webinars",
    label: Label::ResourceIntensive,
    name: "webinars",
    instance: "webinar",
    types: &["live", "past"],
    include_field: None,
    paged: true,
    number_only: false,
};

/// `GET /metrics/meetings` (Dashboard): the meeting instances of a period.
pub(crate) const MEETINGS: Endpoint = Endpoint {
    path: "/metrics/meetings",
    array: "meetings",
    label: Label::ResourceIntensive,
    name: "meetings",
    instance: "meeting",
    types: &["live", "past", "pastOne"],
    include_field: Some("tracking_fields"),
    paged: true,
    number_only: false,
};

/// `GET /past_webinars/{webinarId}/instances`: the ended instances of a webinar number, in
/// one page.
pub(crate) const PAST_WEBINAR_INSTANCES: Endpoint = Endpoint {
    path: "/past_webinars/{id}/instances",
    array: "webinars",
    label: Label::Light,
    name: "instances of webinar",
    instance: "webinar",
    types: &[],
    include_field: None,
    paged: false,
    number_only: true,
};

/// `GET /past_meetings/{meetingId}/instances`: the ended instances of a meeting number, in
/// one page.
pub(crate) const PAST_MEETING_INSTANCES: Endpoint = Endpoint {
    path: "/past_meetings/{id}/instances",
    array: "meetings",
    label: Label::Medium,
    name: "instances of meeting",
    instance: "meeting",
    types: &[],
    include_field: None,
    paged: false,
    number_only: true,
};

/// The query of one list request, shared by one instance and many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    /// `type`, as Zoom writes it; `None`: not sent (Zoom's default, live).
    pub kind: Option<&'static str>,
    pub page_size: u32,
    /// Whether to send the endpoint's `include_fields`.
    pub include: bool,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            kind: None,
            page_size: MAX_PAGE_SIZE,
            include: false,
        }
    }
}

impl Endpoint {
    /// The URL of the first page for instance `id` (`None` for a list without one), with
    /// `query` and then `extra` pairs, or why it cannot be sent.
    pub(crate) fn first_page(
        &self,
        transport: &Transport,
        id: Option<&str>,
        query: &Query,
        extra: &[(&str, String)],
    ) -> Result<Url, String> {
        if self.paged && !(1..=MAX_PAGE_SIZE).contains(&query.page_size) {
            return Err(format!(
                "page_size {} is outside 1..={MAX_PAGE_SIZE}",
                query.page_size
            ));
        }
        if let Some(kind) = query.kind
            && !self.types.contains(&kind)
        {
            return Err(match self.types {
                [] => format!("{} takes no type (type={kind} was asked for)", self.name),
                types => format!(
                    "{} takes type {} (type={kind} was asked for)",
                    self.name,
                    types.join(" or ")
                ),
            });
        }
        if query.include && self.include_field.is_none() {
            return Err(format!("{} takes no include_fields", self.name));
        }
        if self.number_only
            && let Some(id) = id
            && !is_number(id)
        {
            return Err(format!(
                "{} takes a {} number, not {id:?}",
                self.name, self.instance
            ));
        }
        let path = match id {
            Some(id) => self
                .path
                .replace("{id}", &instance_segment(id, self.instance)?),
            None => self.path.to_owned(),
        };
        let mut url = transport.url(&path).map_err(|e| e.to_string())?;
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(kind) = query.kind {
            pairs.push(("type", kind.to_owned()));
        }
        pairs.extend(extra.iter().map(|(key, value)| (*key, value.clone())));
        if self.paged {
            pairs.push(("page_size", query.page_size.to_string()));
        }
        if let (true, Some(field)) = (query.include, self.include_field) {
            pairs.push(("include_fields", field.to_owned()));
        }
        // No query at all (not even a bare `?`) for a list that takes none.
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        Ok(url)
    }

    /// The name a checkpoint of this list carries: everything that decides which rows come
    /// on which page. For webinar participants it is the name earlier versions wrote, so
    /// their checkpoints still resume.
    pub(crate) fn request_name(&self, subject: &str, query: &Query) -> String {
        let include = match (query.include, self.include_field) {
            (true, Some(field)) => format!(", include_fields={field}"),
            _ => String::new(),
        };
        let kind = query.kind.unwrap_or("unset");
        if !self.paged {
            format!("{} {subject}", self.name)
        } else if self.types.is_empty() {
            format!(
                "{} {subject} (page_size={}{include})",
                self.name, query.page_size
            )
        } else {
            format!(
                "{} {subject} (type={kind}, page_size={}{include})",
                self.name, query.page_size
            )
        }
    }
}

/// A webinar or meeting number as Zoom writes it: digits only, within `int64`.
fn is_number(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && id.parse::<i64>().is_ok()
}
