//! One step for all text a server sends back: secrets blanked, control characters escaped,
//! length capped, in that order (so that a secret straddling the cut is never half shown).

use base64::Engine;

use crate::encode::form_component;
use crate::secret::Secret;

/// What stands in for a secret.
const REDACTED: &str = "[redacted]";

/// Every secret a client holds, in every form it is sent in (as is, Basic header in both
/// base64 alphabets, form-encoded), blanked out of any text. The library uses it on what
/// servers send back; applications use it as a last line of defence on what they print.
/// Its `Debug` never shows a secret.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    /// A redactor that blanks nothing yet.
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Adds a token or secret, in every form it is sent in.
    pub fn secret(mut self, secret: &str) -> Self {
        self.add(secret);
        self.add(&form_component(secret));
        self
    }

    /// Adds Server-to-Server OAuth credentials: the secret and the Basic header made of it.
    pub fn oauth(mut self, client_id: &str, client_secret: &str) -> Self {
        let other = Redactor::for_oauth(client_id, &Secret::new(client_secret));
        for secret in other.secrets {
            self.add(secret.expose());
        }
        self
    }

    /// `text` with every secret blanked out.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            if text.contains(secret.expose()) {
                text = text.replace(secret.expose(), REDACTED);
            }
        }
        text
    }

    /// A fixed access token.
    pub(crate) fn for_token(token: &Secret) -> Self {
        let mut redactor = Redactor::default();
        redactor.add(token.expose());
        redactor
    }

    /// Server-to-Server OAuth credentials: the secret, and the Basic header made of it.
    pub(crate) fn for_oauth(client_id: &str, secret: &Secret) -> Self {
        let mut redactor = Redactor::default();
        let pair = format!("{client_id}:{}", secret.expose());
        redactor.add(&base64::engine::general_purpose::STANDARD.encode(&pair));
        redactor.add(&base64::engine::general_purpose::URL_SAFE.encode(&pair));
        redactor.add(&pair);
        redactor.add(secret.expose());
        redactor.add(&form_component(secret.expose()));
        redactor
    }

    fn add(&mut self, secret: &str) {
        // A secret of a few characters would blank out ordinary words.
        if secret.len() >= 4 && !self.secrets.iter().any(|s| s.expose() == secret) {
            self.secrets.push(Secret::new(secret));
            // Longest first, so that a secret inside another is never left half shown.
            self.secrets
                .sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        }
    }

    /// This redactor plus the access token of the moment.
    pub(crate) fn with(&self, token: &Secret) -> Self {
        let mut redactor = self.clone();
        redactor.add(token.expose());
        redactor
    }

    /// `text` redacted, on one line, at most `cap` characters.
    pub fn clean(&self, text: &str, cap: usize) -> String {
        one_line(&self.redact(text), cap)
    }
}

/// `text` on one line: control characters (newlines, ESC, BEL, …) escaped as `\n`, `\r`,
/// `\t` or `\u{..}`, and cut to at most `cap` characters with `…` when longer.
pub fn one_line(text: &str, cap: usize) -> String {
    let mut out = String::with_capacity(text.len().min(cap + 8));
    let mut count = 0;
    for c in text.chars() {
        let escaped: std::borrow::Cow<str> = match c {
            '\n' => "\\n".into(),
            '\r' => "\\r".into(),
            '\t' => "\\t".into(),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                format!("\\u{{{:x}}}", c as u32).into()
            }
            c => c.encode_utf8(&mut [0; 4]).to_owned().into(),
        };
        let width = escaped.chars().count();
        if count + width > cap {
            out.push('…');
            return out;
        }
        count += width;
        out.push_str(&escaped);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_blanked_before_the_cut() {
        let secret = Secret::new("s3cret-value");
        let redactor = Redactor::for_oauth("client-id", &secret);
        let basic = base64::engine::general_purpose::STANDARD.encode("client-id:s3cret-value");
        let text = format!(
            "{}s3cret-value and Authorization: Basic {basic}",
            "x".repeat(295)
        );
        let clean = redactor.clean(&text, 300);
        assert!(
            !clean.contains("s3cret") && !clean.contains(&basic[..8]),
            "{clean}"
        );
        assert!(clean.ends_with('…'));
        let token = Secret::new("oauth-access-token");
        assert_eq!(
            redactor.with(&token).redact("bad oauth-access-token"),
            "bad [redacted]"
        );
    }

    #[test]
    fn control_characters_are_escaped_on_one_line() {
        assert_eq!(
            one_line("a\nb\x1b[31mc\x07d\u{2028}", 100),
            "a\\nb\\u{1b}[31mc\\u{7}d\\u{2028}"
        );
        assert_eq!(one_line("héllo wörld", 5), "héllo…");
    }
}
