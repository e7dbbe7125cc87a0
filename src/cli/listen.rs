//! `--listen ADDR`: Zoom's participant webhooks, verified, one NDJSON line per event;
//! `--follow`: the live list polled, joins and leaves as NDJSON.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use zoom_participants::Client;
use zoom_participants::webhook::Listener;

use super::args::{Args, Format, SourceArg, TypeArg};
use super::event_log::{EventLog, OnSignal, interrupted_failure, write_events};
use super::text::say;
use super::{DEMO_WEBINAR, Failure, OTHER, USAGE};

/// The environment variable that holds the Zoom app's secret token.
pub const SECRET_VARIABLE: &str = "ZOOM_WEBHOOK_SECRET_TOKEN";

/// What clap cannot check for `--listen` and `--follow`: exit 2, before listening or any
/// request.
pub fn check_usage(args: &Args) -> Result<(), Failure> {
    let usage = |m: &str| Err(Failure::new(USAGE, m));
    if args.listen.is_none() && !args.follow {
        return Ok(());
    }
    let mode = if args.follow { "--follow" } else { "--listen" };
    if args.format == Format::Csv {
        return usage(&format!(
            "{mode} writes NDJSON only; leave out --format csv"
        ));
    }
    if args.restart {
        return usage(&format!(
            "{mode} appends to --output and never starts it over; leave out --restart"
        ));
    }
    if args.follow {
        if matches!(args.webinar_type, Some(TypeArg::Past | TypeArg::PastOne)) {
            return usage("--follow polls the live list: use --type live");
        }
        if args.source == SourceArg::Report {
            return usage("--follow reads the Dashboard's live list; the Report API has none");
        }
        if args.webinars.len() + args.meetings.len() + usize::from(args.demo) != 1 {
            return usage("--follow takes one --webinar or --meeting (or --demo)");
        }
    }
    Ok(())
}

async fn open_log(args: &Args) -> Result<EventLog, Failure> {
    match &args.output {
        None => EventLog::stdout(),
        Some(path) => EventLog::append(path).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display()))
        }),
    }
    .map_err(|e| Failure::new(OTHER, e.to_string()))
}

fn where_written(args: &Args) -> String {
    args.output
        .as_ref()
        .map(|p| format!(" to {}", p.display()))
        .unwrap_or_default()
}

/// Listens until a signal; every event answered 200 is written before the exit.
pub async fn listen(args: &Args, addr: &str, notify: Arc<Notify>) -> Result<(), Failure> {
    let secret = std::env::var(SECRET_VARIABLE)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            Failure::new(
                USAGE,
                format!(
                    "--listen needs the Zoom app's secret token in {SECRET_VARIABLE} (never on the command line)"
                ),
            )
        })?;
    let mut log = open_log(args).await?;
    let mut events = Listener::new(secret.as_bytes())
        .on_refusal(say)
        .bind(addr)
        .await
        .map_err(|e| Failure::new(OTHER, format!("cannot listen on {addr}: {e}")))?;
    say(&format!(
        "listening for Zoom webhooks on {}",
        events.local_addr()
    ));
    let closer = events.close_handle();
    let close = move || closer.close();
    let signal = write_events(&mut events, &mut log, &notify, OnSignal::Drain(&close)).await?;
    let after = format!(
        "{}; every event answered 200 is written",
        where_written(args)
    );
    match signal {
        Some(signal) => Err(interrupted_failure(signal, log.written(), &after)),
        None => Ok(()),
    }
}

/// Follows one webinar's or meeting's live list until the session ends or a signal.
pub async fn follow(args: &Args, client: &Client, notify: Arc<Notify>) -> Result<(), Failure> {
    let (kind, id) = match (args.demo, args.webinars.first(), args.meetings.first()) {
        (true, _, _) => ("webinar", DEMO_WEBINAR.to_owned()),
        (false, Some(id), _) => ("webinar", id.clone()),
        (false, None, Some(id)) => ("meeting", id.clone()),
        (false, None, None) => {
            return Err(Failure::new(
                USAGE,
                "--follow takes one --webinar or --meeting",
            ));
        }
    };
    let request = if kind == "meeting" {
        client.meeting_participants(id.clone())
    } else {
        client.webinar_participants(id.clone())
    };
    let mut request = request.page_size(args.page_size);
    if args.include_registrant_id {
        request = request.include_registrant_id();
    }
    for status in &args.status {
        request = request.status((*status).into());
    }
    for role in &args.role {
        request = request.role((*role).into());
    }
    let mut log = open_log(args).await?;
    let interval = Duration::from_secs(args.poll_interval);
    say(&format!(
        "following the live participants of {kind} {id} every {} s",
        args.poll_interval
    ));
    let mut events = request.follow(interval);
    let signal = write_events(&mut events, &mut log, &notify, OnSignal::Stop).await?;
    match signal {
        Some(signal) => Err(interrupted_failure(
            signal,
            log.written(),
            &where_written(args),
        )),
        None => {
            say(&format!(
                "{kind} {id} is no longer live: {} events written{}",
                log.written(),
                where_written(args)
            ));
            Ok(())
        }
    }
}
