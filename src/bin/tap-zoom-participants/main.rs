//! `tap-zoom-participants`: a Singer tap (for Meltano and any Singer runner) on the
//! zoom-participants library: streams `webinars`, `webinar_participants`, `meetings` and
//! `meeting_participants`, incremental by instance end time, exactly the records after the
//! last STATE a target saw.
//!
//! Standard output holds Singer messages only; every log line goes to standard error.

mod catalog;
mod config;
mod messages;
mod schema;
mod state;
mod streams;
mod sync;

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use serde_json::json;
use zoom_participants::Error;

use catalog::Selection;
use config::{Config, SETTINGS};
use messages::Messages;
use state::State;

const OTHER: u8 = 1;
const USAGE: u8 = 2;
const AUTH: u8 = 3;
const RATE_LIMITED: u8 = 4;
const NOT_FOUND: u8 = 5;

/// A failure: the exit code and the one line that explains it.
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// As the CLI maps a library error to its exit code.
    fn from_error(err: &Error) -> Self {
        fn code_of(err: &Error) -> u8 {
            match err {
                Error::Webinar { source, .. } => code_of(source),
                Error::InvalidRequest(_) | Error::Config(_) => USAGE,
                e if e.is_rate_limited() => RATE_LIMITED,
                Error::OAuth { status, .. } => match status {
                    Some(400..=499) => AUTH,
                    _ => OTHER,
                },
                e => match e.http_status() {
                    Some(401 | 403) => AUTH,
                    Some(404) => NOT_FOUND,
                    _ => OTHER,
                },
            }
        }
        let hint = if err.is_rate_limited() {
            "; the STATE emitted last continues the sync"
        } else {
            ""
        };
        Failure::new(code_of(err), format!("{err}{hint}"))
    }
}

/// One line on standard error, control characters escaped.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "{}",
        zoom_participants::one_line(line, 2_000)
    );
}

#[derive(Debug, Parser)]
#[command(
    name = "tap-zoom-participants",
    version,
    about = "Singer tap: Zoom webinar and meeting instances and their participants, from the Dashboard API"
)]
struct Args {
    /// The config file (JSON): start_date, credentials, ...
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the catalog of streams.
    #[arg(long)]
    discover: bool,
    /// The state a previous run emitted last.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// The catalog: which streams and properties to sync.
    #[arg(long, value_name = "FILE", conflicts_with = "properties")]
    catalog: Option<PathBuf>,
    /// The older name of --catalog.
    #[arg(long, value_name = "FILE")]
    properties: Option<PathBuf>,
    /// Describe the tap: capabilities and settings.
    #[arg(long)]
    about: bool,
    /// With --about: the format.
    #[arg(long, value_enum, requires = "about")]
    format: Option<AboutFormat>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AboutFormat {
    Json,
    Markdown,
}

fn main() {
    init_logging();
    let code = match Args::try_parse() {
        Ok(args) => match execute(args) {
            Ok(()) => 0,
            Err(failure) => {
                if !failure.message.is_empty() {
                    say(&format!("error: {}", failure.message));
                }
                failure.code
            }
        },
        Err(err) => usage_error(err),
    };
    std::process::exit(i32::from(code));
}

/// Tracing to standard error at the level `RUST_LOG` names (default `info`).
fn init_logging() {
    let wanted = std::env::var("RUST_LOG").unwrap_or_default();
    // `RUST_LOG=debug`, or `RUST_LOG=zoom_participants=debug`: the level after the last `=`.
    let level = wanted
        .rsplit(['=', ','])
        .next()
        .and_then(|l| l.trim().parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .try_init();
}

fn usage_error(err: clap::Error) -> u8 {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Asked for: help and version are not Singer messages, but nothing else is running.
            let _ = err.print();
            0
        }
        _ => {
            let rendered = err.render().to_string();
            let line = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            say(&format!("{line} (see --help)"));
            USAGE
        }
    }
}

fn execute(args: Args) -> Result<(), Failure> {
    if args.about {
        return about(args.format);
    }
    let Some(config_path) = &args.config else {
        return Err(Failure::new(
            USAGE,
            "--config FILE is required (or --about)",
        ));
    };
    let config = Config::load(config_path)?;
    // Built (no request is sent) so that a bad URL is refused at discovery too.
    let client = config.client()?;
    if args.discover {
        return print_json(&catalog::discover());
    }
    let selection = match args.catalog.as_ref().or(args.properties.as_ref()) {
        Some(path) => Selection::load(path)?,
        None => Selection::all(),
    };
    let state = match &args.state {
        Some(path) => State::load(path)?,
        None => State::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(OTHER, format!("cannot start the async runtime: {e}")))?;
    let mut out = Messages::stdout();
    let result = runtime.block_on(sync::run(&config, &client, &selection, state, &mut out));
    runtime.shutdown_background();
    result
}

fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush())
        .map_err(|e| Failure::new(OTHER, format!("cannot write to standard output: {e}")))
}

fn about(format: Option<AboutFormat>) -> Result<(), Failure> {
    let settings: Vec<serde_json::Value> = SETTINGS
        .iter()
        .map(|(name, kind, required, secret, description)| {
            json!({
                "name": name,
                "kind": kind,
                "required": required,
                "sensitive": secret,
                "description": description,
            })
        })
        .collect();
    let description = "Zoom webinar and meeting instances and their participants from Zoom's Dashboard API: incremental by instance end time, exactly the records after the last STATE";
    match format {
        Some(AboutFormat::Json) => print_json(&json!({
            "name": "tap-zoom-participants",
            "description": description,
            "version": env!("CARGO_PKG_VERSION"),
            "capabilities": ["catalog", "discover", "state", "about"],
            "streams": streams::stream_names(),
            "settings": settings,
        })),
        _ => {
            let mut text = format!(
                "# tap-zoom-participants {}\n\n{description}.\n\nCapabilities: catalog, discover, state, about.\n\nStreams: {}.\n\n## Settings\n\n| name | kind | required | description |\n| --- | --- | --- | --- |\n",
                env!("CARGO_PKG_VERSION"),
                streams::stream_names().join(", ")
            );
            for (name, kind, required, _, description) in SETTINGS {
                text.push_str(&format!(
                    "| `{name}` | {kind} | {required} | {description} |\n"
                ));
            }
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Failure::new(OTHER, format!("cannot write to standard output: {e}")))
        }
    }
}
