//! JSON text at the byte level: scanning a row's members, escaping, lone surrogates, and the
//! pass-through writer that keeps Zoom's bytes.

use std::borrow::Cow;

use serde_json::value::RawValue;

/// The text as an owned raw JSON value. The text is valid JSON in every caller; should it
/// not be (or be nested too deep for serde_json), it is kept as a JSON string of its text.
pub(crate) fn raw_box(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.trim().to_owned())
        .or_else(|_| RawValue::from_string(json_string(text)))
        .unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// A JSON string literal holding `s`.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Replaces every `\uXXXX` escape of an unpaired UTF-16 surrogate with `\uFFFD`; borrows
/// (allocates nothing) when there is none.
pub(crate) fn replace_lone_surrogates(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut lone: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_unit(bytes, i) {
            Some(unit) if (0xD800..0xDC00).contains(&unit) => match escape_unit(bytes, i + 6) {
                Some(low) if (0xDC00..0xE000).contains(&low) => i += 12,
                _ => {
                    lone.push(i);
                    i += 6;
                }
            },
            Some(unit) if (0xDC00..0xE000).contains(&unit) => {
                lone.push(i);
                i += 6;
            }
            Some(_) => i += 6,
            None => i += 2,
        }
    }
    if lone.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for at in lone {
        out.push_str(&text[from..at]);
        out.push_str("\\uFFFD");
        from = at + 6;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

/// The UTF-16 unit of a `\uXXXX` escape starting at `at`, if there is one.
fn escape_unit(bytes: &[u8], at: usize) -> Option<u32> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    u32::from_str_radix(hex, 16).ok()
}

/// One member of a JSON object, as slices of its text.
pub(crate) struct Member<'a> {
    /// The key, with its quotes, as written.
    pub(crate) key: &'a str,
    /// Where the key starts in the object's text.
    pub(crate) key_at: usize,
    /// The value, as written.
    pub(crate) value: &'a str,
}

/// The top-level members of an object's text, in order; `None` if it is not an object.
pub(crate) fn members(raw: &str) -> Option<Vec<Member<'_>>> {
    let bytes = raw.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(bytes, i + 1);
    let mut out = Vec::new();
    if bytes.get(i) == Some(&b'}') {
        return (skip_ws(bytes, i + 1) == bytes.len()).then_some(out);
    }
    loop {
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(bytes, i)?;
        let key_at = i;
        i = skip_ws(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        let value_at = skip_ws(bytes, i + 1);
        let value_end = skip_value(bytes, value_at)?;
        out.push(Member {
            key: raw.get(key_at..key_end)?,
            key_at,
            value: raw.get(value_at..value_end)?,
        });
        i = skip_ws(bytes, value_end);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b'}') => return (skip_ws(bytes, i + 1) == bytes.len()).then_some(out),
            _ => return None,
        }
    }
}

/// A key's text (with quotes) as the name it spells.
pub(crate) fn decode_key(key: &str) -> Cow<'_, str> {
    let inner = key.get(1..key.len().saturating_sub(1)).unwrap_or_default();
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    serde_json::from_str::<String>(&replace_lone_surrogates(key))
        .map(Cow::Owned)
        .unwrap_or(Cow::Borrowed(inner))
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// The index after the string that opens at `i`.
fn skip_string(bytes: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The index after the value that starts at `i` (no recursion: depth is counted).
fn skip_value(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match bytes.get(i) {
            Some(b'"') => i = skip_string(bytes, i)?,
            Some(b'{' | b'[') => {
                depth += 1;
                i += 1;
            }
            Some(b'}' | b']') if depth > 0 => {
                depth -= 1;
                i += 1;
            }
            Some(b'}' | b']' | b',') if depth == 0 => return Some(i),
            Some(b' ' | b'\n' | b'\r' | b'\t') if depth == 0 => return Some(i),
            None => return (depth == 0).then_some(i),
            Some(_) => i += 1,
        }
        if depth == 0 && i > 0 && matches!(bytes.get(i - 1), Some(b'"' | b'}' | b']')) {
            return Some(i);
        }
    }
}

/// Appends one row as one line of JSON (no newline): Zoom's bytes as sent, minified if the
/// row was pretty-printed, with `tags` (key, raw JSON value) as its first members. A member
/// of the row whose key is a tag's is kept, renamed `zoom_<key>`.
pub(crate) fn write_row(raw: &str, tags: &[(&str, &str)], out: &mut Vec<u8>) {
    let raw = raw.trim_matches([' ', '\n', '\r', '\t']);
    let renamed = rename_tag_keys(raw, tags);
    let row: &str = renamed.as_deref().unwrap_or(raw);
    // Control whitespace cannot appear raw inside a JSON string, so any is outside one.
    let pretty = row.bytes().any(|b| matches!(b, b'\n' | b'\r' | b'\t'));
    let Some(body) = row.strip_prefix('{') else {
        // Not an object (the caller validated rows, so this should not happen): keep it whole.
        out.push(b'{');
        push_tags(tags, out);
        if !tags.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"_row\":");
        push_body(row, pretty, out);
        out.push(b'}');
        return;
    };
    out.push(b'{');
    push_tags(tags, out);
    let empty = body
        .trim_start_matches([' ', '\n', '\r', '\t'])
        .starts_with('}');
    if empty {
        out.push(b'}');
        return;
    }
    if !tags.is_empty() {
        out.push(b',');
    }
    push_body(body, pretty, out);
}

/// As [`write_row`], for a row's bytes already checked as UTF-8 (with their page): the
/// common case, Zoom's minified rows without tags, is the bytes as they are, without
/// checking them again.
pub(crate) fn write_raw(raw: &[u8], tags: &[(&str, &str)], out: &mut Vec<u8>) {
    if tags.is_empty()
        && let Some(row) = minified_object(raw)
    {
        out.extend_from_slice(row);
        return;
    }
    write_row(std::str::from_utf8(raw).unwrap_or("{}"), tags, out);
}

/// `row` itself when it is an object written without whitespace at its edges, without
/// line breaks or tabs anywhere (so nothing to minify) and with a member right after its
/// `{` (so not an empty object with a space in it): what `write_row` writes unchanged.
fn minified_object(row: &[u8]) -> Option<&[u8]> {
    let (first, last) = (row.first()?, row.last()?);
    if *first != b'{' || *last != b'}' || row.get(1) != Some(&b'"') {
        return None;
    }
    // In valid JSON a byte below 0x20 can only be whitespace outside a string (control
    // characters in strings are escaped). Checked a block at a time, without an early
    // exit inside a block, so that the compiler can use vector instructions.
    let control = row
        .chunks(64)
        .any(|block| block.iter().fold(0u8, |seen, b| seen | u8::from(*b < 0x20)) != 0);
    (!control).then_some(row)
}

fn push_tags(tags: &[(&str, &str)], out: &mut Vec<u8>) {
    for (n, (key, value)) in tags.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(json_string(key).as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
    }
}

/// Appends `text`, without the whitespace outside strings when `minify`.
fn push_body(text: &str, minify: bool, out: &mut Vec<u8>) {
    if !minify {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\n' | b'\r' | b'\t' => i += 1,
            b'"' => {
                let end = skip_string(bytes, i).unwrap_or(bytes.len());
                out.extend_from_slice(&bytes[i..end]);
                i = end;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// The row with every top-level key that equals a tag's key renamed `zoom_<key>` (prefixed
/// again while the name is taken), or `None` when no key needs it.
fn rename_tag_keys(raw: &str, tags: &[(&str, &str)]) -> Option<String> {
    // Cheap test first: a key can only match if its name (or an escape) is in the text.
    if !tags
        .iter()
        .any(|(key, _)| raw.contains(key) || raw.contains("\\u"))
    {
        return None;
    }
    let members = members(raw)?;
    let names: Vec<Cow<str>> = members.iter().map(|m| decode_key(m.key)).collect();
    let taken =
        |name: &str| tags.iter().any(|(key, _)| *key == name) || names.iter().any(|n| n == name);
    let mut out = String::with_capacity(raw.len() + 16);
    let mut from = 0;
    for (member, name) in members.iter().zip(&names) {
        if !tags.iter().any(|(key, _)| *key == name.as_ref()) {
            continue;
        }
        let mut renamed = format!("zoom_{name}");
        while taken(&renamed) {
            renamed.insert_str(0, "zoom_");
        }
        out.push_str(&raw[from..member.key_at]);
        out.push_str(&json_string(&renamed));
        from = member.key_at + member.key.len();
    }
    if from == 0 {
        return None;
    }
    out.push_str(&raw[from..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(raw: &str, tags: &[(&str, &str)]) -> String {
        let mut out = Vec::new();
        write_row(raw, tags, &mut out);
        String::from_utf8(out).unwrap()
    }

    const TAG: &[(&str, &str)] = &[("webinar_id", "\"123\"")];

    #[test]
    fn the_fast_path_for_raw_bytes_writes_what_write_row_writes() {
        let rows = [
            r#"{"a":1,"b":"x y"}"#,
            r#"{"a":"tab\there","long":"0123456789012345678901234567890123456789012345678901234567890123456789"}"#,
            "{\"a\":1,\n \"b\":2}",
            "{\"a\":\t1}",
            "{ }",
            "{}",
            " {\"a\":1} ",
            "{ \"a\": 1 }",
            r#"{"a":"é 😀","b":[1,2,{"c":null}]}"#,
        ];
        for raw in rows {
            for tags in [&[][..], TAG] {
                let mut fast = Vec::new();
                write_raw(raw.as_bytes(), tags, &mut fast);
                assert_eq!(
                    String::from_utf8(fast).unwrap(),
                    written(raw, tags),
                    "{raw:?}"
                );
            }
        }
        assert_eq!(minified_object(br#"{"a":1}"#), Some(&br#"{"a":1}"#[..]));
        assert_eq!(minified_object(b"{\"a\":\n1}"), None);
    }

    #[test]
    fn a_compact_row_is_written_byte_for_byte_after_the_tags() {
        let raw = r#"{"user_name":"Zoë \"Z\" \\ \u00e9 \ud83d\ude00 \ud83d","n":123456789012345678901234567890,"f":1.50,"o":{"a":[1,{"b":"x y"}]}}"#;
        assert_eq!(written(raw, &[]), raw);
        assert_eq!(
            written(raw, TAG),
            format!("{{\"webinar_id\":\"123\",{}", &raw[1..])
        );
    }

    #[test]
    fn spaces_of_a_compact_row_are_kept() {
        assert_eq!(
            written(r#"{"a": 1, "b": "x y"}"#, TAG),
            r#"{"webinar_id":"123","a": 1, "b": "x y"}"#
        );
    }

    #[test]
    fn a_pretty_printed_row_is_minified_outside_strings_only() {
        let raw = "{\n  \"user_name\": \"Ann  B\\n\",\n\t\"n\": 1e400,\r\n  \"o\": { \"a\": [ 1 , 2 ] }\n}\n";
        assert_eq!(
            written(raw, &[]),
            r#"{"user_name":"Ann  B\n","n":1e400,"o":{"a":[1,2]}}"#
        );
        assert_eq!(
            written(raw, TAG),
            r#"{"webinar_id":"123","user_name":"Ann  B\n","n":1e400,"o":{"a":[1,2]}}"#
        );
    }

    #[test]
    fn an_empty_row_with_tags_is_valid_json() {
        assert_eq!(written("{}", TAG), r#"{"webinar_id":"123"}"#);
        assert_eq!(written("{ \n }", TAG), r#"{"webinar_id":"123"}"#);
        assert_eq!(written("{}", &[]), "{}");
        assert_eq!(
            written("{}", &[("a", "1"), ("b", "\"x\"")]),
            r#"{"a":1,"b":"x"}"#
        );
    }

    #[test]
    fn a_row_with_its_own_tag_key_keeps_it_renamed() {
        assert_eq!(
            written(r#"{"id":"a","webinar_id":987,"x":{"webinar_id":1}}"#, TAG),
            r#"{"webinar_id":"123","id":"a","zoom_webinar_id":987,"x":{"webinar_id":1}}"#
        );
        assert_eq!(
            written(r#"{"webinar\u005fid":1,"zoom_webinar_id":2}"#, TAG),
            r#"{"webinar_id":"123","zoom_zoom_webinar_id":1,"zoom_webinar_id":2}"#
        );
        // The name only inside a value or a nested object: nothing to rename.
        let raw = r#"{"note":"webinar_id","x":{"webinar_id":1}}"#;
        assert_eq!(
            written(raw, TAG),
            format!("{{\"webinar_id\":\"123\",{}", &raw[1..])
        );
    }

    #[test]
    fn json_string_escapes_what_json_requires() {
        assert_eq!(json_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json_string("é😀\n\t\u{1}"), "\"é😀\\n\\t\\u0001\"");
        assert_eq!(json_string(""), "\"\"");
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert!(matches!(
            replace_lone_surrogates(r#""a \ud83d\ude00 \u00e9""#),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            replace_lone_surrogates(r#""Ann \ud83d""#),
            r#""Ann \uFFFD""#
        );
        assert_eq!(
            replace_lone_surrogates(r#""\ude00\ud83d\ud83d\ude00\\ud83d""#),
            r#""\uFFFD\uFFFD\ud83d\ude00\\ud83d""#
        );
    }

    #[test]
    fn members_split_the_top_level_only() {
        let raw = r#" { "a" : [1, {"b": "}"}] , "c\"d":"x\\", "e": -1.5e3 } "#;
        let found: Vec<(String, &str)> = members(raw)
            .unwrap()
            .iter()
            .map(|m| (decode_key(m.key).into_owned(), m.value))
            .collect();
        assert_eq!(
            found,
            [
                ("a".to_owned(), r#"[1, {"b": "}"}]"#),
                ("c\"d".to_owned(), r#""x\\""#),
                ("e".to_owned(), "-1.5e3"),
            ]
        );
        assert!(members("[1]").is_none());
        assert!(members("{}").unwrap().is_empty());
    }
}
