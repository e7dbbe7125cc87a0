//! The one place text reaches a person: every line on standard error goes through here.

use std::io::Write;

use zoom_participants::Redactor;

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
    environment_redactor().clean(line, LINE_CAP)
}

/// Every credential the environment holds, in every form it is sent in (the library's own
/// redactor): the library blanks what it knows, this is the last line of defence for what
/// reaches a person.
fn environment_redactor() -> Redactor {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut redactor = Redactor::new();
    for name in [
        "ZOOM_ACCESS_TOKEN",
        "ZOOM_CLIENT_SECRET",
        "ZOOM_WEBHOOK_SECRET_TOKEN",
    ] {
        if let Some(secret) = var(name) {
            redactor = redactor.secret(&secret);
        }
    }
    if let (Some(id), Some(secret)) = (var("ZOOM_CLIENT_ID"), var("ZOOM_CLIENT_SECRET")) {
        redactor = redactor.oauth(&id, &secret);
    }
    redactor
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

    #[test]
    fn every_form_of_the_environment_secrets_is_blanked() {
        let redactor = Redactor::new()
            .secret("tok+en/1=")
            .oauth("client-id", "s3cret+/=x");
        use base64::Engine;
        let pair = "client-id:s3cret+/=x";
        let forms = [
            "tok+en/1=".to_owned(),
            "tok%2Ben%2F1%3D".to_owned(),
            "s3cret+/=x".to_owned(),
            "s3cret%2B%2F%3Dx".to_owned(),
            base64::engine::general_purpose::STANDARD.encode(pair),
            base64::engine::general_purpose::URL_SAFE.encode(pair),
        ];
        for form in forms {
            let line = redactor.clean(&format!("got {form} back"), LINE_CAP);
            assert_eq!(line, "got [redacted] back", "{form}");
        }
    }
}
