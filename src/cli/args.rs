//! The command line, as clap reads it.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{ArgGroup, Parser, ValueEnum};
use zoom_participants::{MeetingType, Role, Status};

const AFTER_HELP: &str = "\
Credentials come from the environment, never the command line:
  ZOOM_ACCESS_TOKEN                                  a fixed access token, or
  ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET  Server-to-Server OAuth

Examples:
  zoom-participants --from 2026-01-01 --to 2026-03-31 --output q1.ndjson
  zoom-participants --from 2026-01-01 --to 2026-03-31 --per-person --format csv --output q1.csv
  zoom-participants --from 2026-01-01 --to 2026-03-31 --list-webinars
  zoom-participants --demo | head
  zoom-participants --webinar 95204914252 --type past > participants.ndjson
  zoom-participants --webinar 95204914252 --format csv --output participants.csv
  zoom-participants --webinar 95204914252 --status in_meeting --role panelist
  zoom-participants --webinar 95204914252 --resume-from <TOKEN> >> participants.ndjson
  zoom-participants --webinars-from ids.txt --concurrency 8 > all.ndjson
  zoom-participants --from 2026-01-01 --to 2026-03-31 --meetings --output q1-meetings.ndjson
  zoom-participants --meeting 85746065432 --type pastOne
  zoom-participants --source report --webinar 95204914252 --format csv   # Pro plans
  zoom-participants --source report --webinar 95204914252 --all-instances --output all.ndjson
  ZOOM_WEBHOOK_SECRET_TOKEN=... zoom-participants --listen 127.0.0.1:8080 --output live.ndjson
  zoom-participants --webinar 95204914252 --follow --type live --poll-interval 10

Exit codes:
  0    success (also when the reader closes the pipe early)
  1    other failure (network, token endpoint unreachable, bad answer, output file)
  2    usage error
  3    authentication or authorization (missing credentials, 401, 403, OAuth refused)
  4    rate limited by Zoom, or the --max-requests budget reached
  5    webinar or meeting not found (404)
  130  interrupted (SIGINT), 143 terminated (SIGTERM)
With several webinars, failures that share one code exit with it; mixed ones exit 1.

With --output FILE (a regular file) the export is durable: rows go to FILE.part, a checkpoint to
FILE.part.checkpoint, and FILE is replaced only when the run succeeds. After any
interruption, run the same command again: it continues exactly where it stopped.
On stdout, a failure or signal prints the shell-quoted --resume-from that continues.";

/// Stream the participants of a Zoom webinar as NDJSON or CSV.
#[derive(Debug, Parser)]
#[command(version, about = "Stream the participants of a Zoom webinar as NDJSON or CSV.", after_help = AFTER_HELP)]
#[command(group(ArgGroup::new("instances").required(true).multiple(true).args(["webinars", "webinars_from", "meetings", "demo", "from", "listen"])))]
pub struct Args {
    /// Webinar ID or UUID, raw (repeatable).
    #[arg(long = "webinar", value_name = "ID")]
    pub webinars: Vec<String>,

    /// Read webinar IDs from a file, one a line (blank lines and # comments skipped).
    #[arg(long, value_name = "FILE")]
    pub webinars_from: Option<PathBuf>,

    /// Meeting ID or UUID, raw (repeatable; mixes with --webinar).
    #[arg(long = "meeting", value_name = "ID")]
    pub meetings: Vec<String>,

    /// Which list to read: live, past, or pastOne (meetings that ended with one
    /// participant; meetings only). Zoom's default is live.
    #[arg(long = "type", value_enum, value_name = "live|past|pastOne")]
    pub webinar_type: Option<TypeArg>,

    /// Where participants come from: the Dashboard (Business plans) or the Report API
    /// (Pro plans; --webinar/--meeting only).
    #[arg(long, value_enum, default_value = "dashboard")]
    pub source: SourceArg,

    /// Participants per page, 1..=300.
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=300))]
    pub page_size: u32,

    /// Ask Zoom for each participant's registrant_id.
    #[arg(long)]
    pub include_registrant_id: bool,

    /// Keep only participants with this status (repeatable: any of them).
    #[arg(long, value_enum, value_name = "in_meeting|in_waiting_room")]
    pub status: Vec<StatusArg>,

    /// Keep only participants with this role (repeatable: any of them).
    #[arg(long, value_enum, value_name = "host|attendee|panelist")]
    pub role: Vec<RoleArg>,

    /// Stop after N participants, requesting no page beyond the one that holds the Nth.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,

    /// Every past webinar instance that started on or after this UTC day (with --to).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day, requires = "to", conflicts_with_all = ["webinars", "webinars_from", "meetings"])]
    pub from: Option<NaiveDate>,

    /// ... and on or before this UTC day (inclusive).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day, requires = "from")]
    pub to: Option<NaiveDate>,

    /// With --from/--to: write the webinar instances only, not their participants.
    #[arg(long, requires = "from", conflicts_with = "period_meetings")]
    pub list_webinars: bool,

    /// With --from/--to: meeting instances of the period (and their participants) instead
    /// of webinar instances.
    #[arg(long = "meetings", requires = "from")]
    pub period_meetings: bool,

    /// With --from/--to: write the meeting instances only, not their participants.
    #[arg(long, requires = "from", conflicts_with_all = ["list_webinars", "per_person"])]
    pub list_meetings: bool,

    /// With --webinar/--meeting numbers: every ended instance of each (Zoom's past
    /// instances list), then their participants from --source, each row tagged with its
    /// instance. A number alone reaches only its latest instance.
    #[arg(long, conflicts_with_all = ["from", "resume_from", "follow", "listen"])]
    pub all_instances: bool,

    /// With --all-instances: an instance Zoom has no participant list for (404: its data
    /// expired, or a one-person meeting) is skipped with a line on standard error instead
    /// of failing the export.
    #[arg(long, requires = "all_instances")]
    pub skip_missing: bool,

    /// One row per person (per webinar instance) instead of one per connection.
    #[arg(long, conflicts_with = "list_webinars")]
    pub per_person: bool,

    /// Discard a checkpoint left for --output by an interrupted run and start over.
    #[arg(long, requires = "output")]
    pub restart: bool,

    /// Client-side requests per second (Zoom's Heavy label): a number, or "off" for a
    /// proxy or a fake. Pro accounts have 10, Business and up 40.
    #[arg(long, env = "ZOOM_RATE_LIMIT", value_name = "PER_SECOND|off", value_parser = parse_rate)]
    pub rate_limit: Option<Rate>,

    /// Send at most N requests (retries included), then stop, resumable (exit 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,

    /// Start at a saved next_page_token (one webinar only).
    #[arg(long, value_name = "TOKEN")]
    pub resume_from: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "ndjson")]
    pub format: Format,

    /// Write to FILE instead of standard output: a regular file durably (see below); a
    /// device, FIFO, socket or /dev/stdout as a stream, like standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Zoom API base URL.
    #[arg(long, env = "ZOOM_BASE_URL", value_name = "URL", default_value = zoom_participants::DEFAULT_BASE_URL)]
    pub base_url: String,

    /// Zoom OAuth token URL.
    #[arg(long, value_name = "URL", default_value = zoom_participants::DEFAULT_TOKEN_URL)]
    pub token_url: String,

    /// Per-request timeout in seconds (1..=86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,

    /// Pages to fetch ahead while the current one is written (0..=64). Two keep one
    /// connection busy while a page is written (see BENCHMARKS.md).
    #[arg(long, value_name = "PAGES", default_value_t = 2, value_parser = clap::value_parser!(u16).range(0..=64))]
    pub prefetch: u16,

    /// Webinars streamed at once when several are asked for.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,

    /// Serve a generated webinar from an embedded fake Zoom on loopback and stream it
    /// (with --from/--to: a generated quarter of webinars and meetings,
    /// 2026-01-01..2026-03-31; with --meeting 85746065432: the demo meeting, and
    /// 85746065433 is a one-person meeting for --type pastOne; with --all-instances: every
    /// occurrence of the quarter's recurring webinar, or of --meeting 71234567890).
    #[arg(long, conflicts_with_all = ["webinars", "webinars_from"])]
    pub demo: bool,

    /// Receive Zoom's participant webhooks on ADDR (host:port) and write one NDJSON line
    /// per event; the app's secret token comes from ZOOM_WEBHOOK_SECRET_TOKEN.
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["webinars", "webinars_from", "meetings", "demo", "from", "follow"])]
    pub listen: Option<String>,

    /// With one --webinar or --meeting (or --demo) and --type live: poll the live list and
    /// write joins and leaves as NDJSON until the session ends.
    #[arg(long, conflicts_with_all = ["webinars_from", "from", "per_person", "limit", "resume_from"])]
    pub follow: bool,

    /// With --follow: seconds between snapshots (1..=3600); each costs one Heavy request
    /// per 300 people in the session.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, requires = "follow", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub poll_interval: u64,

    /// How many participants the demo webinar has (1..=10,000,000; default 10,000).
    #[arg(long, value_name = "N", requires = "demo", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub demo_participants: Option<u64>,
}

impl Args {
    /// Whether the run's instances are listed (a period's, or every ended instance of some
    /// numbers) rather than given: they have ended (participants are asked for with
    /// `type=past` unless `--type` says otherwise), they are many, and their rows are
    /// tagged with the instance.
    pub fn lists_instances(&self) -> bool {
        self.from.is_some() || self.all_instances
    }
}

/// A client-side rate: requests a second, or none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    PerSecond(f64),
    Off,
}

fn parse_rate(text: &str) -> Result<Rate, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(Rate::Off);
    }
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && (0.001..=1_000_000.0).contains(&n) => Ok(Rate::PerSecond(n)),
        _ => Err("expected requests per second from 0.001 to 1000000, or \"off\"".into()),
    }
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| "expected a date as YYYY-MM-DD (a UTC day)".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TypeArg {
    Live,
    Past,
    #[value(name = "pastOne")]
    PastOne,
}

impl From<TypeArg> for MeetingType {
    fn from(arg: TypeArg) -> Self {
        match arg {
            TypeArg::Live => MeetingType::Live,
            TypeArg::Past => MeetingType::Past,
            TypeArg::PastOne => MeetingType::PastOne,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    Dashboard,
    Report,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum StatusArg {
    InMeeting,
    InWaitingRoom,
}

impl From<StatusArg> for Status {
    fn from(arg: StatusArg) -> Self {
        match arg {
            StatusArg::InMeeting => Status::InMeeting,
            StatusArg::InWaitingRoom => Status::InWaitingRoom,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Host,
    Attendee,
    Panelist,
}

impl From<RoleArg> for Role {
    fn from(arg: RoleArg) -> Self {
        match arg {
            RoleArg::Host => Role::Host,
            RoleArg::Attendee => Role::Attendee,
            RoleArg::Panelist => Role::Panelist,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Ndjson,
    Csv,
}
