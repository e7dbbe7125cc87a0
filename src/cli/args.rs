//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{ArgGroup, Parser, ValueEnum};
use zoom_participants::{Role, Status, WebinarType};

const AFTER_HELP: &str = "\
Credentials come from the environment, never the command line:
  ZOOM_ACCESS_TOKEN                                  a fixed access token, or
  ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET  Server-to-Server OAuth

Examples:
  zoom-participants --demo | head
  zoom-participants --webinar 95204914252 --type past > participants.ndjson
  zoom-participants --webinar 95204914252 --format csv --output participants.csv
  zoom-participants --webinar 95204914252 --status in_meeting --role panelist
  zoom-participants --webinar 95204914252 --resume-from <TOKEN> >> participants.ndjson
  zoom-participants --webinars-from ids.txt --concurrency 8 > all.ndjson

Exit codes:
  0  success (also when the reader closes the pipe early)
  1  other failure (network, bad answer, expired page token, output file)
  2  usage error
  3  authentication or authorization (missing credentials, 401, 403, OAuth)
  4  rate limited by Zoom
  5  webinar not found (404)

On failure, one line on standard error names the cause and, once the stream got past the
first page, the --resume-from token that continues with nothing lost or repeated.";

/// Stream the participants of a Zoom webinar as NDJSON or CSV.
#[derive(Debug, Parser)]
#[command(version, about = "Stream the participants of a Zoom webinar as NDJSON or CSV.", after_help = AFTER_HELP)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["webinars", "webinars_from", "demo"])))]
pub struct Args {
    /// Webinar ID or UUID, raw (repeatable).
    #[arg(long = "webinar", value_name = "ID")]
    pub webinars: Vec<String>,

    /// Read webinar IDs from a file, one a line (blank lines and # comments skipped).
    #[arg(long, value_name = "FILE")]
    pub webinars_from: Option<PathBuf>,

    /// Which webinar list to read (Zoom's default is live).
    #[arg(long = "type", value_enum, value_name = "live|past")]
    pub webinar_type: Option<TypeArg>,

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

    /// Start at a saved next_page_token (one webinar only).
    #[arg(long, value_name = "TOKEN")]
    pub resume_from: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "ndjson")]
    pub format: Format,

    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Zoom API base URL.
    #[arg(long, env = "ZOOM_BASE_URL", value_name = "URL", default_value = zoom_participants::DEFAULT_BASE_URL)]
    pub base_url: String,

    /// Zoom OAuth token URL.
    #[arg(long, value_name = "URL", default_value = zoom_participants::DEFAULT_TOKEN_URL)]
    pub token_url: String,

    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// Pages to fetch ahead while the current one is written.
    #[arg(long, value_name = "PAGES", default_value_t = 1)]
    pub prefetch: usize,

    /// Webinars streamed at once when several are asked for.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,

    /// Serve a generated webinar from an embedded fake Zoom on loopback and stream it.
    #[arg(long, conflicts_with_all = ["webinars", "webinars_from"])]
    pub demo: bool,

    /// How many participants the demo webinar has.
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "demo")]
    pub demo_participants: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TypeArg {
    Live,
    Past,
}

impl From<TypeArg> for WebinarType {
    fn from(arg: TypeArg) -> Self {
        match arg {
            TypeArg::Live => WebinarType::Live,
            TypeArg::Past => WebinarType::Past,
        }
    }
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
