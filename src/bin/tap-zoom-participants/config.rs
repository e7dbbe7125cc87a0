//! The tap's config file: checked whole before any request, each problem named by its key
//! and never by a secret's value.

use chrono::{NaiveDate, Utc};
use serde_json::{Map, Value};
use zoom_participants::{Client, RateLimit};

use crate::Failure;

/// The settings, as `--about` lists them: (key, kind, required, secret, description).
pub const SETTINGS: &[(&str, &str, bool, bool, &str)] = &[
    (
        "start_date",
        "date_iso8601",
        true,
        false,
        "First day (YYYY-MM-DD, UTC) of the instances to read; Zoom's Dashboard keeps 6 months",
    ),
    (
        "end_date",
        "date_iso8601",
        false,
        false,
        "Last day (YYYY-MM-DD, UTC) of the instances to read; default today",
    ),
    (
        "account_id",
        "string",
        false,
        false,
        "Server-to-Server OAuth account ID (with client_id and client_secret)",
    ),
    (
        "client_id",
        "string",
        false,
        false,
        "Server-to-Server OAuth client ID",
    ),
    (
        "client_secret",
        "password",
        false,
        true,
        "Server-to-Server OAuth client secret",
    ),
    (
        "access_token",
        "password",
        false,
        true,
        "A fixed access token, instead of Server-to-Server OAuth",
    ),
    (
        "base_url",
        "string",
        false,
        false,
        "Zoom API base URL; default https://api.zoom.us/v2 (for proxies and fakes)",
    ),
    (
        "token_url",
        "string",
        false,
        false,
        "OAuth token URL; default https://zoom.us/oauth/token",
    ),
    (
        "rate_limit",
        "string",
        false,
        false,
        "Client-side participants requests a second (default 10), or \"off\"",
    ),
    (
        "max_requests",
        "integer",
        false,
        false,
        "Stop after this many requests (exit 4, STATE emitted); the next run continues",
    ),
];

/// How the tap signs in.
pub enum Credentials {
    AccessToken(String),
    OAuth {
        account_id: String,
        client_id: String,
        client_secret: String,
    },
}

/// Requests a second, or no client-side limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    Off,
    PerSecond(f64),
}

/// The checked config.
pub struct Config {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub credentials: Credentials,
    pub base_url: Option<String>,
    pub token_url: Option<String>,
    pub rate_limit: Rate,
    pub max_requests: Option<u64>,
}

fn usage(message: String) -> Failure {
    Failure::new(crate::USAGE, message)
}

/// A string setting; blank counts as unset (runners pass empty settings that way).
fn text(config: &Map<String, Value>, key: &str) -> Result<Option<String>, Failure> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(usage(format!("config: {key} must be a string"))),
    }
}

/// A date: `YYYY-MM-DD`, or an RFC 3339 instant (its UTC date), as runners often pass.
fn date(config: &Map<String, Value>, key: &str) -> Result<Option<NaiveDate>, Failure> {
    let Some(text) = text(config, key)? else {
        return Ok(None);
    };
    if let Ok(day) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        return Ok(Some(day));
    }
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| Some(t.with_timezone(&Utc).date_naive()))
        .map_err(|_| usage(format!("config: {key} must be a date, YYYY-MM-DD")))
}

impl Config {
    /// Reads and checks the config file at `path`.
    pub fn load(path: &std::path::Path) -> Result<Config, Failure> {
        let bytes = std::fs::read(path).map_err(|e| {
            usage(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
        })?;
        // serde_json's message names a position, never the text: no secret can leak.
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            usage(format!(
                "the config file {} is not JSON (line {}, column {})",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(map) = value else {
            return Err(usage(format!(
                "the config file {} must hold a JSON object",
                path.display()
            )));
        };
        Config::parse(&map)
    }

    pub fn parse(config: &Map<String, Value>) -> Result<Config, Failure> {
        let start_date = date(config, "start_date")?
            .ok_or_else(|| usage("config: start_date is required (YYYY-MM-DD)".into()))?;
        let today = Utc::now().date_naive();
        let end_date = date(config, "end_date")?.unwrap_or(today);
        if end_date < start_date {
            return Err(usage(format!(
                "config: end_date {end_date} is before start_date {start_date}"
            )));
        }
        let credentials = credentials(config)?;
        let base_url = text(config, "base_url")?;
        let token_url = text(config, "token_url")?;
        let rate_limit = match config.get("rate_limit") {
            None | Some(Value::Null) => Rate::PerSecond(10.0),
            Some(Value::String(s)) if s.trim().is_empty() => Rate::PerSecond(10.0),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("off") => Rate::Off,
            Some(value) => {
                let n = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                match n {
                    Some(n) if n.is_finite() && (0.001..=1_000_000.0).contains(&n) => {
                        Rate::PerSecond(n)
                    }
                    _ => {
                        return Err(usage(
                            "config: rate_limit must be requests a second (0.001 to 1000000) or \"off\""
                                .into(),
                        ));
                    }
                }
            }
        };
        let max_requests = match config.get("max_requests") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(value) => {
                let n = match value {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse::<u64>().ok(),
                    _ => None,
                };
                match n {
                    Some(n) if n >= 1 => Some(n),
                    _ => {
                        return Err(usage(
                            "config: max_requests must be a whole number of requests, at least 1"
                                .into(),
                        ));
                    }
                }
            }
        };
        Ok(Config {
            start_date,
            end_date,
            credentials,
            base_url,
            token_url,
            rate_limit,
            max_requests,
        })
    }

    /// The client, configured as the CLI configures its own.
    pub fn client(&self) -> Result<Client, Failure> {
        let mut builder = Client::builder();
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        if let Some(url) = &self.token_url {
            builder = builder.token_url(url);
        }
        builder = match &self.credentials {
            Credentials::AccessToken(token) => builder.bearer_token(token),
            Credentials::OAuth {
                account_id,
                client_id,
                client_secret,
            } => builder.server_to_server_oauth(account_id, client_id, client_secret),
        };
        builder = match self.rate_limit {
            Rate::Off => builder
                .rate_limit(RateLimit::unlimited())
                .list_rate_limit(RateLimit::unlimited()),
            Rate::PerSecond(n) => builder.rate_limit(RateLimit::per_second(n)),
        };
        if let Some(max) = self.max_requests {
            builder = builder.max_requests(max);
        }
        // The library's configuration errors name the setting (`base_url`, ...), never a
        // token or secret.
        builder.build().map_err(|e| {
            usage(format!(
                "config: {}",
                zoom_participants::one_line(&e.to_string(), 300)
            ))
        })
    }
}

fn credentials(config: &Map<String, Value>) -> Result<Credentials, Failure> {
    let token = text(config, "access_token")?;
    let oauth = ["account_id", "client_id", "client_secret"];
    let mut values = Vec::new();
    for key in oauth {
        values.push(text(config, key)?);
    }
    let any_oauth = values.iter().any(Option::is_some);
    match (token, any_oauth) {
        (Some(_), true) => Err(usage(
            "config: give either access_token or account_id, client_id and client_secret, not both"
                .into(),
        )),
        (Some(token), false) => Ok(Credentials::AccessToken(token)),
        (None, _) => {
            let missing: Vec<&str> = oauth
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|(k, _)| *k)
                .collect();
            if !missing.is_empty() {
                let what = if any_oauth {
                    format!("{} missing", missing.join(", "))
                } else {
                    "access_token, or account_id, client_id and client_secret, missing".into()
                };
                return Err(usage(format!("config: credentials: {what}")));
            }
            let mut values = values.into_iter().flatten();
            match (values.next(), values.next(), values.next()) {
                (Some(account_id), Some(client_id), Some(client_secret)) => {
                    Ok(Credentials::OAuth {
                        account_id,
                        client_id,
                        client_secret,
                    })
                }
                _ => Err(usage("config: credentials: incomplete".into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Config, String> {
        match value {
            Value::Object(map) => Config::parse(&map).map_err(|f| f.message),
            _ => Err("not an object".into()),
        }
    }

    #[test]
    fn each_problem_names_its_key_and_no_secret() {
        let secret = "s3cr3t-value";
        let cases = [
            (json!({}), "start_date is required"),
            (
                json!({"start_date": "2026-13-01", "access_token": secret}),
                "start_date must be a date",
            ),
            (
                json!({"start_date": "2026-01-02", "end_date": "2026-01-01", "access_token": secret}),
                "end_date 2026-01-01 is before start_date",
            ),
            (
                json!({"start_date": "2026-01-01"}),
                "access_token, or account_id, client_id and client_secret, missing",
            ),
            (
                json!({"start_date": "2026-01-01", "account_id": "a", "client_secret": secret}),
                "client_id missing",
            ),
            (
                json!({"start_date": "2026-01-01", "access_token": secret, "client_secret": secret}),
                "not both",
            ),
            (
                json!({"start_date": "2026-01-01", "access_token": secret, "rate_limit": "fast"}),
                "rate_limit must be",
            ),
            (
                json!({"start_date": "2026-01-01", "access_token": secret, "max_requests": 0}),
                "max_requests must be",
            ),
            (
                json!({"start_date": "2026-01-01", "access_token": 5}),
                "access_token must be a string",
            ),
        ];
        for (config, expected) in cases {
            let message = parse(config).err().unwrap_or_default();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
            assert!(!message.contains(secret), "{message}");
        }
    }

    #[test]
    fn runners_values_are_accepted() {
        let config = parse(json!({
            "start_date": "2026-01-01T00:00:00Z",
            "end_date": "",
            "access_token": "t",
            "rate_limit": "off",
            "max_requests": "12",
            "base_url": ""
        }))
        .ok()
        .map(|c| (c.start_date, c.rate_limit, c.max_requests, c.base_url));
        assert_eq!(
            config,
            Some((
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
                Rate::Off,
                Some(12),
                None
            ))
        );
    }
}
