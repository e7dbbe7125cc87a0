//! The command-line tool: arguments in, participants out, one clear line on failure.

mod args;
mod output;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use futures::{FutureExt, Stream, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, Error, RateLimit, Result as ZoomResult};

use args::Args;
use output::RowWriter;

/// The demo webinar's ID.
const DEMO_WEBINAR: &str = "95204914252";

/// A failure: the exit code and the one line that explains it.
struct Failure {
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

    fn from_error(err: &Error, resume_from: Option<&str>) -> Self {
        let code = match err {
            Error::OAuth { .. } => AUTH,
            Error::InvalidRequest(_) | Error::Config(_) => USAGE,
            e if e.is_rate_limited() => RATE_LIMITED,
            e => match e.http_status() {
                Some(401 | 403) => AUTH,
                Some(404) => NOT_FOUND,
                _ => OTHER,
            },
        };
        let mut message = err.to_string();
        if let Some(token) = resume_from {
            message.push_str(&format!("; resume with --resume-from {token}"));
        }
        Failure::new(code, message)
    }
}

pub async fn run() -> ExitCode {
    let args = Args::parse();
    match execute(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn execute(args: Args) -> Result<(), Failure> {
    let ids = webinar_ids(&args)?;
    if args.resume_from.is_some() && ids.len() > 1 {
        return Err(Failure::new(
            USAGE,
            "--resume-from takes one webinar, not several",
        ));
    }
    let (client, _demo) = if args.demo {
        let zoom = FakeZoom::builder()
            .webinar(DEMO_WEBINAR, args.demo_participants)
            .start()
            .await
            .map_err(|e| Failure::new(OTHER, format!("cannot start the demo server: {e}")))?;
        let client = Client::builder()
            .base_url(zoom.base_url())
            .bearer_token(zoom.access_token())
            .rate_limit(RateLimit::unlimited())
            .timeout(Duration::from_secs(args.timeout))
            .build()
            .map_err(|e| Failure::from_error(&e, None))?;
        (client, Some(zoom))
    } else {
        (real_client(&args)?, None)
    };
    let out: Box<dyn Write> =
        match &args.output {
            Some(path) => Box::new(File::create(path).map_err(|e| {
                Failure::new(OTHER, format!("cannot create {}: {e}", path.display()))
            })?),
            None => Box::new(io::stdout()),
        };
    let writer = RowWriter::new(
        BufWriter::with_capacity(1 << 16, out),
        args.format,
        ids.len() > 1,
    )
    .map_err(write_failure)?;
    let result = if ids.len() == 1 {
        one_webinar(&args, &client, &ids[0], writer).await
    } else {
        many_webinars(&args, &client, ids, writer).await
    };
    match result {
        Err(failure) if failure.code == BROKEN_PIPE => Ok(()),
        other => other,
    }
}

/// Not an exit code: marks a reader that went away, which ends the run quietly.
const BROKEN_PIPE: u8 = u8::MAX;

fn write_failure(err: io::Error) -> Failure {
    if err.kind() == io::ErrorKind::BrokenPipe {
        Failure::new(BROKEN_PIPE, "")
    } else {
        Failure::new(OTHER, format!("cannot write the output: {err}"))
    }
}

fn webinar_ids(args: &Args) -> Result<Vec<String>, Failure> {
    if args.demo {
        return Ok(vec![DEMO_WEBINAR.to_owned()]);
    }
    let mut ids = args.webinars.clone();
    if let Some(path) = &args.webinars_from {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::new(USAGE, format!("cannot read {}: {e}", path.display())))?;
        ids.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    if ids.is_empty() {
        return Err(Failure::new(USAGE, "no webinar ID given"));
    }
    Ok(ids)
}

/// A client for real Zoom, with credentials from the environment only.
fn real_client(args: &Args) -> Result<Client, Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let builder = Client::builder()
        .base_url(&args.base_url)
        .token_url(&args.token_url)
        .timeout(Duration::from_secs(args.timeout));
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
    builder.build().map_err(|e| Failure::from_error(&e, None))
}

/// The next item, flushing what was written first whenever the stream has to wait: output
/// goes out page by page, never held back while the next page is fetched.
async fn next_flushing<S, T, W>(
    stream: &mut S,
    writer: &mut RowWriter<W>,
) -> Result<ZoomResult<Option<T>>, Failure>
where
    S: Stream<Item = ZoomResult<T>> + Unpin,
    W: Write,
{
    if let Some(ready) = stream.try_next().now_or_never() {
        return Ok(ready);
    }
    writer.flush().map_err(write_failure)?;
    Ok(stream.try_next().await)
}

/// Applies the options that one-webinar and many-webinar requests share (the two request
/// types have the same builder methods, and no trait is worth adding for this one caller).
macro_rules! with_query_options {
    ($request:expr, $args:expr) => {{
        let args = $args;
        let mut request = $request.page_size(args.page_size).prefetch(args.prefetch);
        if let Some(kind) = args.webinar_type {
            request = request.webinar_type(kind.into());
        }
        if args.include_registrant_id {
            request = request.include_registrant_id();
        }
        if let Some(limit) = args.limit {
            request = request.limit(limit);
        }
        request
    }};
}

async fn one_webinar<W: Write>(
    args: &Args,
    client: &Client,
    id: &str,
    mut writer: RowWriter<W>,
) -> Result<(), Failure> {
    let mut request = with_query_options!(client.webinar_participants(id), args);
    if let Some(token) = &args.resume_from {
        request = request.resume_from(token);
    }
    let mut stream = request.stream();
    for status in &args.status {
        stream = stream.status((*status).into());
    }
    for role in &args.role {
        stream = stream.role((*role).into());
    }
    let progress = Progress::new();
    loop {
        match next_flushing(&mut stream, &mut writer).await? {
            Ok(Some(participant)) => {
                writer.write(id, &participant).map_err(write_failure)?;
                progress.tick(stream.total_records(), stream.pages_received());
            }
            Ok(None) => break,
            Err(err) => {
                writer.flush().map_err(write_failure)?;
                progress.finish();
                return Err(Failure::from_error(&err, stream.next_page_token()));
            }
        }
    }
    writer.flush().map_err(write_failure)?;
    progress.finish();
    Ok(())
}

async fn many_webinars<W: Write>(
    args: &Args,
    client: &Client,
    ids: Vec<String>,
    mut writer: RowWriter<W>,
) -> Result<(), Failure> {
    let mut request = with_query_options!(client.webinars_participants(ids), args)
        .concurrency(args.concurrency as usize);
    for status in &args.status {
        request = request.status((*status).into());
    }
    for role in &args.role {
        request = request.role((*role).into());
    }
    let mut stream = request.stream();
    let progress = Progress::new();
    let mut failed: Option<Failure> = None;
    let mut written = 0u64;
    if args.limit == Some(0) {
        return Ok(());
    }
    loop {
        match next_flushing(&mut stream, &mut writer).await? {
            Ok(Some((id, participant))) => {
                writer.write(&id, &participant).map_err(write_failure)?;
                progress.tick(None, 0);
                // Each webinar's request stops at the limit too; this caps the total.
                written += 1;
                if args.limit == Some(written) {
                    break;
                }
            }
            Ok(None) => break,
            Err(err) => {
                // One webinar failed; the others go on. Each failure gets its own line.
                let failure = Failure::from_error(&err, None);
                progress.suspend(|| eprintln!("error: {}", failure.message));
                failed = Some(failure);
            }
        }
    }
    writer.flush().map_err(write_failure)?;
    progress.finish();
    match failed {
        Some(last) => Err(Failure::new(last.code, "some webinars failed (see above)")),
        None => Ok(()),
    }
}

/// A progress bar and a closing summary on standard error, only when it is a terminal.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    pages: std::cell::Cell<u64>,
}

impl Progress {
    fn new() -> Self {
        let bar = io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {human_pos}/{human_len} participants, {msg} [{elapsed}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            pages: std::cell::Cell::new(0),
        }
    }

    fn tick(&self, total: Option<u64>, pages: u64) {
        if let Some(bar) = &self.bar {
            if let Some(total) = total {
                bar.set_length(total);
            }
            if pages > self.pages.get() {
                self.pages.set(pages);
                bar.set_message(format!("{pages} pages"));
            }
            bar.inc(1);
        }
    }

    fn suspend(&self, f: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            let count = bar.position();
            bar.finish_and_clear();
            let elapsed = self.started.elapsed().as_secs_f64();
            let pages = match self.pages.get() {
                0 => String::new(),
                n => format!(", {n} pages"),
            };
            eprintln!(
                "{count} participants{pages} in {elapsed:.1}s ({:.0}/s)",
                count as f64 / elapsed.max(1e-9)
            );
        }
    }
}
