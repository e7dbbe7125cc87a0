//! The one place text reaches a person: every line on standard error goes through here.

use std::io::Write;

use base64::Engine;

/// The most characters of one line on standard error.
const LINE_CAP: usize = 1024;

/// Writes one line on standard error: secrets from the environment blanked, control
/// characters escaped, at most ~1 KiB. A closed or full standard error is ignored: it must
/// not turn a result into a panic.
pub fn say(line: &str) {
    let line = clean(line);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `line` as [`say`] writes it.
pub fn clean(line: &str) -> String {
    zoom_participants::one_line(&redact_environment(line), LINE_CAP)
}

/// Blanks every credential the environment holds, in every form it is sent in: the library
/// does so for what it knows, this is the last line of defence for what reaches a person.
fn redact_environment(text: &str) -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|v| v.len() >= 4);
    let mut secrets: Vec<String> = Vec::new();
    secrets.extend(var("ZOOM_ACCESS_TOKEN"));
    secrets.extend(var("ZOOM_WEBHOOK_SECRET_TOKEN"));
    if let Some(secret) = var("ZOOM_CLIENT_SECRET") {
        if let Ok(id) = std::env::var("ZOOM_CLIENT_ID") {
            let pair = format!("{id}:{secret}");
            secrets.push(base64::engine::general_purpose::STANDARD.encode(&pair));
            secrets.push(pair);
        }
        secrets.push(secret);
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_owned();
    for secret in secrets {
        if text.contains(&secret) {
            text = text.replace(&secret, "[redacted]");
        }
    }
    text
}

/// `text` quoted for a POSIX shell, so that it pastes back as one word; `None` when it
/// holds control characters (a newline would break the line it is printed on).
pub fn shell_quote(text: &str) -> Option<String> {
    if text.chars().any(char::is_control) {
        return None;
    }
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/=+@%".contains(&b));
    if plain {
        return Some(text.to_owned());
    }
    Some(format!("'{}'", text.replace('\'', r"'\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_paste_back_as_one_word() {
        assert_eq!(shell_quote("AbC123=").as_deref(), Some("AbC123="));
        assert_eq!(shell_quote("a b;echo x").as_deref(), Some("'a b;echo x'"));
        assert_eq!(shell_quote("it's").as_deref(), Some(r"'it'\''s'"));
        assert_eq!(shell_quote("a\nb"), None);
    }
}
