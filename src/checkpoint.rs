//! Where a stream stands, in a form that outlives the process and Zoom's page tokens.

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
/// It holds the token of the page in progress and how many of its rows were consumed, and
/// for every page already done a 64-bit digest of its rows (8 bytes a page, so a webinar of
/// 100,000 participants in 300-row pages costs under 3 KiB). When the saved token has died
/// (Zoom's tokens live 15 minutes), resuming re-walks the list from its first page,
/// requesting the pages already done again without yielding them, and checks each against
/// its digest: a list that changed meanwhile is an [`Error::ListChanged`], never a
/// duplicate or a gap. Those pages count against the account's daily budget.
///
/// It names the request it belongs to (the webinar, `type`, page size, registrant flag);
/// resuming another request from it is an [`Error::Checkpoint`] on the first poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    version: u32,
    request: String,
    /// Digests of the pages already done, in order, as 16 hex digits each.
    #[serde(with = "hex_digests")]
    pages: Vec<u64>,
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
            pages: Vec::new(),
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
        self.pages.len() as u64
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
            pages: self.pages.clone(),
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
            pages: position.pages,
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
    pub pages: Vec<u64>,
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

mod hex_digests {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// All digests as one string of 16 hex digits each: compact and cheap to parse.
    pub fn serialize<S: Serializer>(values: &[u64], s: S) -> Result<S::Ok, S::Error> {
        let mut text = String::with_capacity(values.len() * 16);
        for value in values {
            text.push_str(&format!("{value:016x}"));
        }
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        let text = String::deserialize(d)?;
        // `% 16`, not `is_multiple_of`: the crate's MSRV is 1.85.
        if text.len() % 16 != 0 || !text.is_ascii() {
            return Err(D::Error::custom("page digests are 16 hex digits each"));
        }
        (0..text.len() / 16)
            .map(|i| {
                u64::from_str_radix(&text[i * 16..(i + 1) * 16], 16)
                    .map_err(|_| D::Error::custom("page digests are 16 hex digits each"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_round_trips_through_json_and_stays_small() {
        let mut checkpoint = Checkpoint::start("participants webinar=\"1\"".into());
        checkpoint.pages = (0..400u64).map(|i| i.wrapping_mul(0x9e37_79b9)).collect();
        checkpoint.token = Some("tok".into());
        checkpoint.rows_done = 7;
        checkpoint.rows_digest = u64::MAX;
        let text = serde_json::to_string(&checkpoint).unwrap();
        assert!(text.len() < 400 * 16 + 300, "{} bytes", text.len());
        let back: Checkpoint = serde_json::from_str(&text).unwrap();
        assert_eq!(back, checkpoint);
        assert!(back.check("participants webinar=\"1\"").is_ok());
        let err = back.check("participants webinar=\"2\"").unwrap_err();
        assert!(err.to_string().contains("another request"), "{err}");
    }
}
