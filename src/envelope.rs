//! A page body split into its rows without decoding them.
//!
//! The request layer hands the core a page as bytes; this module checks the body once (UTF-8
//! and JSON), reads the envelope (`next_page_token`, `total_records`) and notes where each
//! row of the list array lies. Rows are decoded later, on the consumer's side, typed or
//! passed through as they are: so a read-ahead task only fetches and splits, and the memory a
//! page costs is bounded by the client ([`MAX_ROWS_PER_PAGE`], the body cap), not the server.

use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// The most rows one page may hold. Zoom sends at most 300; a page with more is refused
/// while it is being read, so that a hostile server cannot make the client hold millions
/// of rows of a body under the size cap.
pub const MAX_ROWS_PER_PAGE: usize = 10_000;

/// One page as fetched: its body and where its rows are.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct RawPage {
    /// The body, checked as UTF-8 JSON.
    pub body: Bytes,
    /// Each row's JSON text within `body`, in order.
    pub rows: Vec<Range<usize>>,
    /// The token of the next page; `None` on the last page.
    pub next_page_token: Option<String>,
    /// How many records Zoom said the whole list has, when it said.
    pub total_records: Option<u64>,
}

impl RawPage {
    /// Row `index`'s JSON text.
    pub fn row(&self, index: usize) -> &str {
        let range = self.rows[index].clone();
        // The body was checked as UTF-8 once, and every range lies on a JSON value's
        // boundaries, which are character boundaries.
        std::str::from_utf8(&self.body[range]).unwrap_or("{}")
    }
}

/// One row of a page exactly as Zoom sent it: its JSON text, unparsed, sharing the page's
/// buffer (cloning it copies no bytes).
///
/// For pipelines that forward JSON: every byte survives (unknown fields, exact numbers,
/// odd escapes), and nothing is decoded that is not needed. Streams of raw rows come from
/// [`ParticipantsRequest::stream_raw`](crate::ParticipantsRequest::stream_raw).
#[derive(Clone, PartialEq, Eq)]
pub struct RawRow {
    body: Bytes,
    range: Range<usize>,
}

impl RawRow {
    /// The row's JSON text, as sent (a JSON object, possibly pretty-printed).
    pub fn as_str(&self) -> &str {
        // Checked as UTF-8 with the whole body; the range lies on a value's boundaries.
        std::str::from_utf8(&self.body[self.range.clone()]).unwrap_or("{}")
    }

    /// Appends the row as one line of NDJSON without its newline: the bytes as sent
    /// (minified only if the body was pretty-printed), with `tags` (name, JSON text of the
    /// value) as its first members. A member of the row named like a tag is kept, renamed
    /// `zoom_<name>`, so every line has one key per name and nothing Zoom sent is lost.
    pub fn write_json(&self, tags: &[(&str, &str)], out: &mut Vec<u8>) {
        crate::json::write_raw(&self.body[self.range.clone()], tags, out);
    }

    pub(crate) fn new(page: &RawPage, index: usize) -> Self {
        RawRow {
            body: page.body.clone(),
            range: page.rows[index].clone(),
        }
    }
}

impl fmt::Debug for RawRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawRow").field(&self.as_str()).finish()
    }
}

impl fmt::Display for RawRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Splits `body` into the rows of its `array` member (`participants`, `webinars`).
///
/// `null` members and a missing array mean an empty page; an empty `next_page_token`
/// means the last page; a `total_records` that is not a count is ignored. Invalid JSON, a
/// body that is not an object, or more than [`MAX_ROWS_PER_PAGE`] rows is an error whose
/// message gives the position, never the offending value.
pub(crate) fn split(body: Bytes, array: &'static str, page: u64) -> Result<RawPage> {
    let text = std::str::from_utf8(&body).map_err(|e| Error::Decode {
        page,
        message: format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ),
    })?;
    let base = text.as_ptr() as usize;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let envelope = EnvelopeSeed { array, base }
        .deserialize(&mut deserializer)
        .and_then(|envelope| deserializer.end().map(|()| envelope))
        .map_err(|e| Error::Decode {
            page,
            message: describe(&e),
        })?;
    Ok(RawPage {
        rows: envelope.rows,
        next_page_token: envelope.next_page_token.filter(|t| !t.is_empty()),
        total_records: envelope.total_records,
        body,
    })
}

/// What went wrong and where, without quoting the value (a wrong-typed value may be a token,
/// or ten megabytes long).
pub(crate) fn describe(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match err.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not valid JSON",
        Category::Eof => "ends before its JSON does",
        Category::Data => {
            // serde_json writes "<message> at line L column C", and the message may quote
            // the server's value: only its fixed ends are read. Our own custom message is
            // the whole of it; an invalid type ends with what was expected.
            let text = err.to_string();
            let position = format!(" at line {} column {}", err.line(), err.column());
            let message = text.strip_suffix(&position).unwrap_or(&text);
            if message == TOO_MANY_ROWS {
                return format!(
                    "holds more than {MAX_ROWS_PER_PAGE} rows (Zoom sends at most 300); refused"
                );
            }
            if message.ends_with(&format!("expected {NOT_AN_OBJECT}")) {
                "is not a JSON object"
            } else {
                "has a value of an unexpected type in its envelope"
            }
        }
    };
    format!(
        "the body {what} (line {}, column {})",
        err.line(),
        err.column()
    )
}

const TOO_MANY_ROWS: &str = "too many rows";
const NOT_AN_OBJECT: &str = "not an object";

struct Envelope {
    rows: Vec<Range<usize>>,
    next_page_token: Option<String>,
    total_records: Option<u64>,
}

struct EnvelopeSeed {
    array: &'static str,
    base: usize,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed {
    type Value = Envelope;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Envelope, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(NOT_AN_OBJECT)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut envelope = Envelope {
            rows: Vec::new(),
            next_page_token: None,
            total_records: None,
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.array {
                envelope.rows = map.next_value_seed(RowsSeed { base: self.base })?;
            } else if key == "next_page_token" {
                // Strict: a token of another type read as "no token" would end the list early.
                envelope.next_page_token = map.next_value::<Option<String>>()?;
            } else if key == "total_records" {
                envelope.total_records = map.next_value::<Lenient<u64>>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(envelope)
    }
}

/// A value of the expected type, or `None` for `null` or anything else: informative
/// envelope fields never fail a page.
struct Lenient<T>(Option<T>);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Lenient<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        Ok(Lenient(serde_json::from_str(raw.get()).ok()))
    }
}

struct RowsSeed {
    base: usize,
}

impl<'de> DeserializeSeed<'de> for RowsSeed {
    type Value = Vec<Range<usize>>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed {
    type Value = Vec<Range<usize>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(row) = seq.next_element::<&'de RawValue>()? {
            let text = row.get();
            if text == "null" {
                continue;
            }
            if rows.len() == MAX_ROWS_PER_PAGE {
                return Err(de::Error::custom(TOO_MANY_ROWS));
            }
            let start = text.as_ptr() as usize - self.base;
            rows.push(start..start + text.len());
        }
        Ok(rows)
    }
}

/// A fast, stable 64-bit digest of rows, to tell whether a page Zoom serves again is the
/// same page. Not cryptographic: it detects change, it does not resist forgery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    /// Folds one row's text in.
    pub fn add(&mut self, row: &[u8]) {
        let mut h = self.0 ^ (row.len() as u64).wrapping_mul(Self::K);
        let mut chunks = row.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(Self::K);
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(Self::K);
        // A final avalanche so that nearby inputs land far apart.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        self.0 = h;
    }

    /// `chain` extended by one page's digest: one value stands for every page so far.
    pub fn chain(chain: u64, page: u64) -> u64 {
        let mut digest = Digest(chain);
        digest.add(&page.to_le_bytes());
        digest.value()
    }

    pub fn value(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(page: &RawPage) -> Vec<&str> {
        (0..page.rows.len()).map(|i| page.row(i)).collect()
    }

    #[test]
    fn rows_are_split_exactly_as_sent() {
        let body = Bytes::from_static(
            br#"{"participants":[{"id":"a","n":1e400}, null, {"id":"\u00e9\ud83d"} ],"next_page_token":"t2","total_records":"n/a"}"#,
        );
        let page = split(body, "participants", 1).unwrap();
        assert_eq!(
            rows(&page),
            [r#"{"id":"a","n":1e400}"#, r#"{"id":"\u00e9\ud83d"}"#]
        );
        assert_eq!(page.next_page_token.as_deref(), Some("t2"));
        assert_eq!(page.total_records, None);
    }

    #[test]
    fn envelopes_without_rows_or_token_are_an_empty_last_page() {
        for body in [
            r#"{}"#,
            r#"{"participants":null,"next_page_token":null}"#,
            r#"{"participants":[],"next_page_token":""}"#,
        ] {
            let page = split(Bytes::from(body), "participants", 1).unwrap();
            assert!(
                page.rows.is_empty() && page.next_page_token.is_none(),
                "{body}"
            );
        }
    }

    #[test]
    fn errors_give_the_place_never_the_value() {
        let secret = "tok-SECRET-value";
        for body in [
            format!(r#"{{"participants":[{{"id":"{secret}"}}"#),
            format!(r#"["{secret}"]"#),
            format!(r#"{{"participants":"{secret}"}}"#),
            format!(r#"{{"participants":[]}} "{secret}""#),
        ] {
            let err = split(Bytes::from(body.clone()), "participants", 3).unwrap_err();
            let text = err.to_string();
            assert!(!text.contains("SECRET"), "{body}: {text}");
            assert!(text.contains("page 3") && text.contains("line 1"), "{text}");
        }
    }

    #[test]
    fn a_page_with_too_many_rows_is_refused_while_reading() {
        let body = format!(
            r#"{{"participants":[{}{{}}]}}"#,
            "{},".repeat(MAX_ROWS_PER_PAGE)
        );
        let err = split(Bytes::from(body), "participants", 1).unwrap_err();
        assert!(err.to_string().contains("more than 10000 rows"), "{err}");
    }

    #[test]
    fn digests_tell_pages_apart() {
        let digest = |rows: &[&str]| {
            let mut d = Digest::default();
            rows.iter().for_each(|r| d.add(r.as_bytes()));
            d
        };
        assert_eq!(digest(&["{\"a\":1}", "{}"]), digest(&["{\"a\":1}", "{}"]));
        assert_ne!(digest(&["{\"a\":1}", "{}"]), digest(&["{\"a\":2}", "{}"]));
        assert_ne!(digest(&["{}", "{\"a\":1}"]), digest(&["{\"a\":1}", "{}"]));
        assert_ne!(digest(&["ab", "c"]), digest(&["a", "bc"]));
    }
}
