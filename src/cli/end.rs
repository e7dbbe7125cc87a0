//! How a run ends: the exit code, the one line that says why, and how to continue.

use std::collections::BTreeSet;
use std::io;

use zoom_participants::{Checkpoint, Error};

use super::durable::Output;
use super::progress::Progress;
use super::text::{say, shell_quote};
use super::{Failure, OTHER};

/// Not an exit code: marks a reader that went away, which ends the run quietly.
pub const BROKEN_PIPE: u8 = u8::MAX;

pub fn write_failure(err: io::Error, output: &Output) -> Failure {
    output_failure(err, output.is_durable())
}

pub fn output_failure(err: io::Error, durable: bool) -> Failure {
    if err.kind() == io::ErrorKind::BrokenPipe && !durable {
        return Failure::new(BROKEN_PIPE, "");
    }
    let rerun = if durable {
        "; rows written so far are kept: run the same command again to continue"
    } else {
        ""
    };
    Failure::new(OTHER, format!("cannot write the output: {err}{rerun}"))
}

/// How the run ended for the rows.
pub enum End {
    Done,
    /// A signal: exit 128 + its number.
    Signal(i32),
    /// Errors (several for a fan-out).
    Failed(Vec<Failed>),
}

/// One failure, and for a webinar of a fan-out on standard output, the words that
/// continue it alone.
pub struct Failed {
    pub error: Error,
    /// `--webinar ID --resume-from TOKEN` (and what is left of a `--limit`).
    pub hint: Option<String>,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed { error, hint: None }
    }
}

/// The error itself, for an error of one webinar of a fan-out.
fn root(err: &Error) -> &Error {
    match err {
        Error::Webinar { source, .. } | Error::Meeting { source, .. } => root(source),
        other => other,
    }
}

/// Whether a `--resume-from` hint would continue the export: not after Zoom repeated a
/// token (resuming would replay a page), the token died (400/300), or the list changed.
fn resumable(err: &Error) -> bool {
    let dead_token = err.http_status() == Some(400) && err.zoom_code() == Some(300);
    !dead_token
        && !matches!(
            root(err),
            Error::RepeatedPageToken | Error::ListChanged { .. } | Error::Checkpoint(_)
        )
}

/// The words that continue instance `id` of a fan-out alone (`flag`: `--webinar` or `--meeting`), from where it stopped with
/// `err`: `--webinar ID --resume-from TOKEN`, with `--limit` when the run had one
/// (`limit_left`: what the run could still write). None when no page of it was finished,
/// or after an error that resuming would not get past (the rule of one webinar).
pub fn instance_hint(
    flag: &str,
    id: &str,
    checkpoint: Option<&Checkpoint>,
    err: &Error,
    limit_left: Option<u64>,
) -> Option<String> {
    if !resumable(err) {
        return None;
    }
    let token = shell_quote(checkpoint?.next_page_token()?)?;
    let limit = limit_left
        .map(|n| format!(" --limit {n}"))
        .unwrap_or_default();
    Some(format!(
        "{flag} {} --resume-from {token}{limit}",
        shell_quote(id)?
    ))
}

pub fn finish(
    end: End,
    mut output: Output,
    progress: &Progress,
    limit: Option<u64>,
) -> Result<(), Failure> {
    let hint = |checkpoint: &Checkpoint, token: &str| match shell_quote(token) {
        Some(token) => {
            // A limit counts this run's rows: the rerun may only write what is left.
            let rest = limit
                .map(|l| format!(" --limit {}", l.saturating_sub(checkpoint.items_yielded())))
                .unwrap_or_default();
            format!("--resume-from {token}{rest}")
        }
        None => "rerun with --output for a durable export".into(),
    };
    let durable = output.is_durable();
    let part = output
        .part_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match end {
        End::Done => {
            output.finish().map_err(|e| output_failure(e, durable))?;
            Ok(())
        }
        End::Signal(signal) => {
            output
                .checkpoint(progress)
                .map_err(|e| write_failure(e, &output))?;
            let how = if durable {
                format!("rows so far are in {part}: run the same command again to continue")
            } else {
                match progress
                    .one
                    .as_ref()
                    .and_then(|c| Some((c, c.next_page_token()?)))
                {
                    Some((checkpoint, token)) => {
                        format!("continue with {}", hint(checkpoint, token))
                    }
                    None if progress.one.is_some() => {
                        "nothing was written past the first page: run the command again".into()
                    }
                    // A fan-out says how to continue each of its instances, where it can.
                    None => progress.continue_with.clone().unwrap_or_else(|| {
                        "rerun with --output for a durable export that can continue".into()
                    }),
                }
            };
            let name = if signal == 2 { "SIGINT" } else { "SIGTERM" };
            Err(Failure::new(
                128 + signal as u8,
                format!("interrupted by {name}; {how}"),
            ))
        }
        End::Failed(failures) => {
            output
                .checkpoint(progress)
                .map_err(|e| write_failure(e, &output))?;
            let codes: BTreeSet<u8> = failures
                .iter()
                .map(|f| Failure::code_of(&f.error))
                .collect();
            let code = if codes.len() == 1 {
                codes.into_iter().next().unwrap_or(OTHER)
            } else {
                OTHER
            };
            let closing = if durable {
                format!("; rows so far are kept in {part}: run the same command again to continue")
            } else {
                match (&failures[..], progress.one.as_ref()) {
                    ([failed], Some(checkpoint)) if resumable(&failed.error) => checkpoint
                        .next_page_token()
                        .map(|token| format!("; resume with {}", hint(checkpoint, token)))
                        .unwrap_or_default(),
                    _ => String::new(),
                }
            };
            let line = |failed: &Failed| match &failed.hint {
                Some(hint) if !durable => format!("{}; resume with {hint}", failed.error),
                _ => failed.error.to_string(),
            };
            if let [failed] = &failures[..] {
                return Err(Failure::new(code, format!("{}{closing}", line(failed))));
            }
            for failed in &failures {
                say(&format!("error: {}", line(failed)));
            }
            let meetings = failures
                .iter()
                .filter(|f| f.error.meeting_id().is_some())
                .count();
            let what = match meetings {
                0 => "webinars",
                n if n == failures.len() => "meetings",
                _ => "webinars and meetings",
            };
            Err(Failure::new(
                code,
                format!("{} {what} failed (see above){closing}", failures.len()),
            ))
        }
    }
}
