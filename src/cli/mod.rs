//! The command-line tool: arguments in, rows out, one clear line on failure.

mod args;
mod cells;
mod csv_writer;
mod display;
mod durable;
mod end;
mod event_log;
mod export;
mod listen;
mod output;
mod period;
mod progress;
mod pump;
mod signals;
mod text;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Parser;
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, Error, RateLimit};

use args::{Args, Rate};
pub use text::say;

/// The demo webinar's ID.
const DEMO_WEBINAR: &str = "95204914252";
/// The demo's recurring webinar, whose instances `--demo --all-instances` exports.
const DEMO_RECURRING_WEBINAR: &str = "81234567890";
/// The demo meeting's ID (`--demo --meeting 85746065432`).
const DEMO_MEETING: &str = "85746065432";
/// The demo's one-person meeting (`--demo --meeting 85746065433 --type pastOne`).
const DEMO_ONE_PERSON_MEETING: &str = "85746065433";

/// A failure: the exit code and the one line that explains it.
pub struct Failure {
    code: u8,
    message: String,
}

const OTHER: u8 = 1;
const USAGE: u8 = 2;
const AUTH: u8 = 3;
const RATE_LIMITED: u8 = 4;
const NOT_FOUND: u8 = 5;

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// The exit code of a library error.
    fn code_of(err: &Error) -> u8 {
        match err {
            Error::Webinar { source, .. } | Error::Meeting { source, .. } => {
                Failure::code_of(source)
            }
            Error::InvalidRequest(_) | Error::Config(_) => USAGE,
            e if e.is_rate_limited() => RATE_LIMITED,
            // A token endpoint that refuses is authentication; one that cannot be reached
            // (or fails) is the network.
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

    fn from_error(err: &Error) -> Self {
        Failure::new(Failure::code_of(err), err.to_string())
    }
}

/// Whether standard output was closed when the process started (set by `main`).
pub static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Runs the command line; returns the exit code.
pub async fn run() -> u8 {
    // First, so that a signal at any moment is handled as documented.
    let notify = signals::listen_for_signals();
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => return usage_error(err),
    };
    match execute(args, notify).await {
        Ok(()) => 0,
        Err(failure) => {
            if !failure.message.is_empty() {
                say(&format!("error: {}", failure.message));
            }
            failure.code
        }
    }
}

async fn execute(args: Args, notify: std::sync::Arc<tokio::sync::Notify>) -> Result<(), Failure> {
    check_usage(&args)?;
    listen::check_usage(&args)?;
    if let Some(addr) = &args.listen {
        return listen::listen(&args, addr, notify).await;
    }
    let mut demo = None;
    let client = if args.demo {
        let size = args.demo_participants.unwrap_or(10_000);
        let mut zoom = FakeZoom::builder()
            .webinar(DEMO_WEBINAR, size)
            .meeting(DEMO_MEETING, size)
            .one_person_meeting(DEMO_ONE_PERSON_MEETING);
        if args.lists_instances() {
            zoom = zoom.demo_period();
        }
        if args.follow {
            zoom = zoom.demo_live_session(DEMO_WEBINAR);
        }
        let zoom = zoom
            .start()
            .await
            .map_err(|e| Failure::new(OTHER, format!("cannot start the demo server: {e}")))?;
        let builder = Client::builder()
            .base_url(zoom.base_url())
            .bearer_token(zoom.access_token());
        let client = configure(builder, &args, Rate::Off)?;
        demo = Some(zoom);
        client
    } else {
        real_client(&args)?
    };
    let result = if args.follow {
        listen::follow(&args, &client, notify).await
    } else {
        export::run(&args, &client, notify).await
    };
    drop(demo);
    result
}

/// Help and version go to standard output; a usage error is one line on standard error
/// (clap's own rendering adds a blank line and a tip), exit 2.
fn usage_error(err: clap::Error) -> u8 {
    use clap::error::ErrorKind;
    use std::io::Write;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = write!(std::io::stdout().lock(), "{}", err.render());
            if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                USAGE
            } else {
                0
            }
        }
        _ => {
            // The message is the first paragraph (it may name the missing arguments on
            // lines of their own); the usage and the tip after it are left to --help.
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

/// What clap cannot check: exit 2, before any request.
fn check_usage(args: &Args) -> Result<(), Failure> {
    let usage = |m: &str| Err(Failure::new(USAGE, m));
    if args.resume_from.as_deref().is_some_and(str::is_empty) {
        return usage(
            "--resume-from needs a page token; leave it out to start from the first page",
        );
    }
    if args.resume_from.is_some()
        && (args.webinars.len() + args.meetings.len() > 1
            || args.webinars_from.is_some()
            || args.from.is_some())
    {
        return usage("--resume-from takes one webinar or meeting, not several");
    }
    let period_of_meetings = args.period_meetings || args.list_meetings;
    if args.webinar_type == Some(args::TypeArg::PastOne)
        && (!args.webinars.is_empty()
            || args.webinars_from.is_some()
            || (args.from.is_some() && !period_of_meetings)
            || (args.demo && args.from.is_none() && args.meetings.is_empty()))
    {
        return usage(
            "--type pastOne is for meetings only (--meeting, or --meetings with --from/--to)",
        );
    }
    if args.source == args::SourceArg::Report {
        if args.from.is_some() {
            return usage(
                "--source report reads the participants of --webinar/--meeting; --from/--to lists instances from the Dashboard",
            );
        }
        if args.webinar_type.is_some() {
            return usage("--source report takes no --type (the Report API lists past sessions)");
        }
        if !args.role.is_empty() {
            return usage("--source report takes no --role (the Report API's rows have no role)");
        }
    }
    if args.all_instances
        && !args.meetings.is_empty()
        && (!args.webinars.is_empty() || args.webinars_from.is_some())
    {
        return usage("--all-instances takes webinars or meetings, not both: run it once for each");
    }
    if let Some(id) = args.meetings.iter().find(|id| args.webinars.contains(id)) {
        return usage(&format!(
            "{id:?} is given both as --webinar and as --meeting; give it once"
        ));
    }
    if let (Some(from), Some(to)) = (args.from, args.to)
        && to < from
    {
        return usage(&format!("--to {to} is before --from {from}"));
    }
    if args.demo_participants.is_some() && !args.demo {
        return usage("--demo-participants needs --demo");
    }
    if args.from.is_some() && matches!(args.webinar_type, Some(args::TypeArg::Live)) {
        return usage("--from/--to export past instances; --type live does not apply");
    }
    if args.all_instances && matches!(args.webinar_type, Some(args::TypeArg::Live)) {
        return usage("--all-instances exports ended instances; --type live does not apply");
    }
    if args.per_person && args.limit.is_some() {
        return usage("--limit counts connections and cannot be combined with --per-person");
    }
    if !args.demo {
        let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
        let oauth = ["ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"];
        if set("ZOOM_ACCESS_TOKEN") && oauth.iter().any(|n| set(n)) {
            return usage(
                "both ZOOM_ACCESS_TOKEN and Server-to-Server OAuth variables are set; unset one of them",
            );
        }
    }
    Ok(())
}

/// The options every client takes from the command line.
fn configure(
    builder: zoom_participants::ClientBuilder,
    args: &Args,
    default_rate: Rate,
) -> Result<Client, Failure> {
    let rate = match args.rate_limit.unwrap_or(default_rate) {
        Rate::Off => RateLimit::unlimited(),
        Rate::PerSecond(n) => RateLimit::per_second(n),
    };
    let mut builder = builder
        .timeout(Duration::from_secs(args.timeout))
        .rate_limit(rate)
        .max_body_bytes(body_cap(args));
    if args.demo || args.rate_limit == Some(Rate::Off) {
        builder = builder.list_rate_limit(RateLimit::unlimited());
    }
    if let Some(max) = args.max_requests {
        builder = builder.max_requests(max);
    }
    builder.build().map_err(|e| Failure::from_error(&e))
}

/// The largest page body read: what keeps the CLI's memory bounded by the client, not the
/// server. Every page a run may hold at once (the one being written, the ones read ahead
/// and the one in flight, for each webinar in flight) shares about 192 MiB; each may still
/// be 1 MiB at the least (a full Zoom page of 300 participants is well under that) and
/// 32 MiB at the most.
fn body_cap(args: &Args) -> usize {
    let many = args.webinars.len() + args.meetings.len() > 1
        || args.webinars_from.is_some()
        || args.lists_instances();
    let streams = if many { args.concurrency } else { 1 };
    let pages = streams.saturating_mul(u64::from(args.prefetch) + 2).max(1);
    ((192u64 << 20) / pages).clamp(1 << 20, 32 << 20) as usize
}

/// A client for real Zoom, with credentials from the environment only.
fn real_client(args: &Args) -> Result<Client, Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let builder = Client::builder()
        .base_url(&args.base_url)
        .token_url(&args.token_url);
    let builder = if let Some(token) = var("ZOOM_ACCESS_TOKEN") {
        builder.bearer_token(token)
    } else {
        let names = ["ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"];
        match names.map(var) {
            [Some(account), Some(client), Some(secret)] => {
                builder.server_to_server_oauth(account, client, secret)
            }
            values => {
                let missing: Vec<&str> = names
                    .iter()
                    .zip(&values)
                    .filter(|(_, v)| v.is_none())
                    .map(|(n, _)| *n)
                    .collect();
                return Err(Failure::new(
                    AUTH,
                    format!(
                        "no credentials: set ZOOM_ACCESS_TOKEN, or ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (missing: {})",
                        missing.join(", ")
                    ),
                ));
            }
        }
    };
    configure(builder, args, Rate::PerSecond(10.0))
}

/// The options that decide what a durable export's file holds: a checkpoint left by a
/// command that differs in any of them is not continued.
fn request_fingerprint(args: &Args, ids: &[String]) -> BTreeMap<String, String> {
    let mut request = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        request.insert(k.to_owned(), v);
    };
    put("webinars", format!("{ids:?}"));
    put("type", format!("{:?}", args.webinar_type));
    put("page-size", args.page_size.to_string());
    put(
        "include-registrant-id",
        args.include_registrant_id.to_string(),
    );
    let sorted = |mut values: Vec<String>| {
        values.sort();
        values.dedup();
        values.join(",")
    };
    put(
        "status",
        sorted(args.status.iter().map(|s| format!("{s:?}")).collect()),
    );
    put(
        "role",
        sorted(args.role.iter().map(|r| format!("{r:?}")).collect()),
    );
    put("limit", format!("{:?}", args.limit));
    put("format", format!("{:?}", args.format));
    put("per-person", args.per_person.to_string());
    put("list-webinars", args.list_webinars.to_string());
    // Absent unless set, so that a checkpoint of a webinar export stays valid.
    if !args.meetings.is_empty() {
        put("meetings", format!("{:?}", args.meetings));
    }
    if args.period_meetings || args.list_meetings {
        put(
            "period",
            if args.list_meetings {
                "list-meetings"
            } else {
                "meetings"
            }
            .into(),
        );
    }
    if args.source != args::SourceArg::Dashboard {
        put("source", format!("{:?}", args.source));
    }
    // `--skip-missing` is left out: it changes nothing already written, so a run stopped by
    // a missing instance may be continued with it.
    if args.all_instances {
        put("all-instances", "true".into());
    }
    put("from", format!("{:?}", args.from));
    put("to", format!("{:?}", args.to));
    put(
        "server",
        if args.demo {
            format!("demo {:?}", args.demo_participants)
        } else {
            args.base_url.clone()
        },
    );
    request
}
