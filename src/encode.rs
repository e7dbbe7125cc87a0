//! Percent-encoding of what goes into a URL path or a form body.

use std::fmt::Write;

/// Bytes left as they are: RFC 3986's unreserved characters.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Encodes every byte but the unreserved ones, hex in upper case.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &byte in text.as_bytes() {
        if is_unreserved(byte) {
            out.push(byte as char);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A value for an `application/x-www-form-urlencoded` body.
pub(crate) fn form_component(text: &str) -> String {
    percent_encode(text)
}

/// A webinar's or meeting's ID or UUID as one path segment, by Zoom's rule: encoded once,
/// or twice when it starts with `/` or contains `//`. Refuses what would not stay one
/// segment; `what` names the instance (`webinar`, `meeting`) in the refusal.
pub(crate) fn instance_segment(id: &str, what: &str) -> Result<String, String> {
    match id {
        "" => return Err(format!("the {what} ID is empty")),
        // URL parsers read `%2E%2E` as `..` too, so no encoding makes these safe.
        "." | ".." => return Err(format!("{id:?} is not a {what} ID or UUID")),
        _ => {}
    }
    let once = percent_encode(id);
    if id.starts_with('/') || id.contains("//") {
        Ok(percent_encode(&once))
    } else {
        Ok(once)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_zooms_double_encoding_rule() {
        let cases = [
            ("95204914252", "95204914252"),
            ("abc+def==", "abc%2Bdef%3D%3D"),
            (
                "/ajXp112QmuoKj4854875==",
                "%252FajXp112QmuoKj4854875%253D%253D",
            ),
            ("ab//cd==", "ab%252F%252Fcd%253D%253D"),
            ("a/b", "a%2Fb"),
            ("../../users", "..%2F..%2Fusers"),
            ("x?y#z", "x%3Fy%23z"),
            ("é", "%C3%A9"),
        ];
        for (id, segment) in cases {
            assert_eq!(instance_segment(id, "webinar").unwrap(), segment, "{id}");
        }
        for id in ["", ".", ".."] {
            assert!(
                instance_segment(id, "webinar")
                    .unwrap_err()
                    .contains("webinar ID")
            );
            assert!(
                instance_segment(id, "meeting")
                    .unwrap_err()
                    .contains("meeting ID")
            );
        }
    }
}
