//! Where a stream stands, in a form that outlives the process and Zoom's page tokens.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The checkpoint format this version writes and reads.
const VERSION: u32 = 1;

/// Where a stream stands: taken between any two items with
/// [`ParticipantStream::checkpoint`](crate::ParticipantStream::checkpoint), given back to
/// [`ParticipantsRequest::resume`](crate::ParticipantsRequest::resume) (in this process or,
/// serialized, in another), it yields exactly what came after the last item yielded before
/// it was taken.
///
/// It holds the token of the page in progress and how many of its rows were consumed, the
/// number of pages already done and one 64-bit digest chained over all of their rows, so it
/// stays the same small size however long the list (a few hundred bytes of JSON). When the
/// saved token has died (Zoom's tokens live 15 minutes), resuming re-walks the list from its
/// first page, requesting the pages already done again without yielding them, and checks
/// them against the chained digest (and the rows of the page in progress against theirs): a
/// list that changed meanwhile is an [`Error::ListChanged`], never a duplicate or a gap.
/// Those pages count against the account's daily budget.
///
/// It names the request it belongs to (the webinar, `type`, page size, registrant flag);
/// resuming another request from it is an [`Error::Checkpoint`] on the first poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    version: u32,
    request: String,
    /// How many pages are done, and the digest chained over their rows.
    pages_done: u64,
    #[serde(with = "hex_digest")]
    pages_digest: u64,
    /// The token of the page in progress (`None`: the list's first page).
    token: Option<String>,
    /// When that token was handed out.
    token_received: Option<DateTime<Utc>>,
    /// Rows of the page in progress already consumed (filtered rows included), and their
    /// digest.
    rows_done: u64,
    #[serde(with = "hex_digest")]
    rows_digest: u64,
    /// Items yielded in all, for a `limit`.
    yielded: u64,
    /// Whether the list was read to its end.
    finished: bool,
}

impl Checkpoint {
    #[cfg(test)]
    pub(crate) fn start(request: String) -> Self {
        Checkpoint {
            version: VERSION,
            request,
            pages_done: 0,
            pages_digest: 0,
            token: None,
            token_received: None,
            rows_done: 0,
            rows_digest: 0,
            yielded: 0,
            finished: false,
        }
    }

    /// The request it belongs to, as text (for messages).
    pub fn request(&self) -> &str {
        &self.request
    }

    /// How many pages were done when it was taken.
    pub fn pages_done(&self) -> u64 {
        self.pages_done
    }

    /// How many items had been yielded when it was taken.
    pub fn items_yielded(&self) -> u64 {
        self.yielded
    }

    /// How many rows of the page in progress were consumed (0: the checkpoint is at a page
    /// boundary, where a plain `next_page_token` resumes exactly).
    pub fn rows_in_progress(&self) -> u64 {
        self.rows_done
    }

    /// Whether the list had been read to its end: resuming from it yields nothing and
    /// requests nothing.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The `next_page_token` of the page in progress (`None` on the first page), which a
    /// plain [`resume_from`](crate::ParticipantsRequest::resume_from) could use while it lives.
    pub fn next_page_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Checks that it can resume `request`.
    pub(crate) fn check(&self, request: &str) -> Result<()> {
        if self.version != VERSION {
            return Err(Error::Checkpoint(format!(
                "checkpoint format {} is not the {VERSION} this version reads",
                self.version
            )));
        }
        if self.request != request {
            // The saved name comes from a file: on one line, like every error.
            return Err(Error::Checkpoint(format!(
                "the checkpoint belongs to another request ({}), not {request}",
                crate::redact::one_line(&self.request, 300)
            )));
        }
        Ok(())
    }

    pub(crate) fn position(&self) -> Position {
        Position {
            pages_done: self.pages_done,
            pages_digest: self.pages_digest,
            token: self.token.clone(),
            token_received: self.token_received,
            rows_done: self.rows_done,
            rows_digest: self.rows_digest,
            yielded: self.yielded,
            finished: self.finished,
        }
    }

    pub(crate) fn at(request: String, position: Position) -> Self {
        Checkpoint {
            version: VERSION,
            request,
            pages_done: position.pages_done,
            pages_digest: position.pages_digest,
            token: position.token,
            token_received: position.token_received,
            rows_done: position.rows_done,
            rows_digest: position.rows_digest,
            yielded: position.yielded,
            finished: position.finished,
        }
    }
}

/// A checkpoint's content, as the pagination core keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Position {
    pub pages_done: u64,
    /// The digests of the pages done, chained ([`Digest::chain`](crate::envelope::Digest)).
    pub pages_digest: u64,
    pub token: Option<String>,
    pub token_received: Option<DateTime<Utc>>,
    pub rows_done: u64,
    pub rows_digest: u64,
    pub yielded: u64,
    pub finished: bool,
}

mod hex_digest {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{value:016x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        u64::from_str_radix(&text, 16).map_err(|_| D::Error::custom("a digest is 16 hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_round_trips_through_json_and_stays_small() {
        let mut checkpoint = Checkpoint::start("participants webinar=\"1\"".into());
        checkpoint.pages_done = 400;
        checkpoint.pages_digest = 0x9e37_79b9;
        checkpoint.token = Some("tok".into());
        checkpoint.rows_done = 7;
        checkpoint.rows_digest = u64::MAX;
        let text = serde_json::to_string(&checkpoint).unwrap();
        assert!(text.len() < 300, "{} bytes: {text}", text.len());
        let back: Checkpoint = serde_json::from_str(&text).unwrap();
        assert_eq!(back, checkpoint);
        assert!(back.check("participants webinar=\"1\"").is_ok());
        let err = back.check("participants webinar=\"2\"").unwrap_err();
        assert!(err.to_string().contains("another request"), "{err}");
    }
}

/// Where a fan-out stands: a [`Checkpoint`] for every webinar it has started (finished
/// ones included, so that they are not requested again). Webinars not started yet have
/// none and start from their first page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebinarsCheckpoint {
    pub(crate) webinars: BTreeMap<String, Checkpoint>,
}

impl WebinarsCheckpoint {
    /// The checkpoint of one webinar, if it was started.
    pub fn get(&self, webinar_id: &str) -> Option<&Checkpoint> {
        self.webinars.get(webinar_id)
    }

    /// Every started webinar with its checkpoint.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Checkpoint)> {
        self.webinars.iter().map(|(id, c)| (id.as_str(), c))
    }
}

/// A fan-out checkpoint from webinars and their checkpoints: a caller that keeps its own
/// record of the webinars done (an ordered export, say, that keeps only where it stands in
/// its list) gives back the one in progress this way.
impl FromIterator<(String, Checkpoint)> for WebinarsCheckpoint {
    fn from_iter<I: IntoIterator<Item = (String, Checkpoint)>>(iter: I) -> Self {
        WebinarsCheckpoint {
            webinars: iter.into_iter().collect(),
        }
    }
}
