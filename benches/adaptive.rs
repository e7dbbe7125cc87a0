//! Adaptive rate limiting against a server that enforces less than the client was told.
//!
//! A minimal HTTP/1.1 server in this process (raw tokio TCP, keep-alive) serves the
//! participants endpoint and accepts at most 20 requests in any sliding one-second window;
//! the others get Zoom's per-second 429 (`X-RateLimit-Type: QPS`, `Retry-After: 1`), and
//! do not count against the window. The client is configured for 40 a second and fans out
//! over 16 webinars x 10 pages with concurrency 8: 160 pages. The ideal is 160 / 20 = 8 s.
//!
//! Reports, per run and as medians: the share of requests answered 429, and wall time /
//! ideal. As a same-run reference, a client configured at exactly the server's 20/s runs
//! the same fan-out. See BENCHMARKS.md.
//!
//! `cargo bench --bench adaptive` (3 runs; `ADAPTIVE_RUNS=n` for more).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use zoom_participants::{Client, RateLimit};

const LIMIT: usize = 20;
const WEBINARS: usize = 16;
const PAGES: usize = 10;
const PAGE_SIZE: usize = 10;
const CONCURRENCY: usize = 8;

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    throttled: AtomicU64,
    /// When each accepted request was accepted, for the busiest-window check.
    accepted: Mutex<Vec<Instant>>,
    window: Mutex<VecDeque<Instant>>,
}

impl Counts {
    /// Whether a request arriving now fits the sliding window; if so it is counted.
    fn admit(&self) -> bool {
        let now = Instant::now();
        let mut window = self.window.lock().expect("window");
        while window
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
        {
            window.pop_front();
        }
        if window.len() >= LIMIT {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        window.push_back(now);
        self.accepted.lock().expect("accepted").push(now);
        self.ok.fetch_add(1, Ordering::Relaxed);
        true
    }
}

async fn serve(listener: TcpListener, counts: Arc<Counts>) {
    while let Ok((socket, _)) = listener.accept().await {
        let counts = counts.clone();
        tokio::spawn(async move {
            let _ = connection(socket, &counts).await;
        });
    }
}

/// One keep-alive connection: GET requests without bodies, answered in order.
async fn connection(socket: TcpStream, counts: &Counts) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    loop {
        line.clear();
        if read.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        // The headers: nothing in them matters here.
        loop {
            line.clear();
            if read.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
        }
        let response = if counts.admit() {
            page(&target)
        } else {
            let body = r#"{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}"#;
            format!(
                "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nx-ratelimit-type: QPS\r\nx-ratelimit-category: Heavy\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        write.write_all(response.as_bytes()).await?;
    }
}

/// A page of the webinar in the path: token `pN` is page N (0-based), ten pages in all.
fn page(target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let webinar = path
        .trim_end_matches("/participants")
        .rsplit('/')
        .next()
        .unwrap_or("w");
    let number: usize = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("next_page_token=p"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let next = if number + 1 < PAGES {
        format!("p{}", number + 1)
    } else {
        String::new()
    };
    let rows: Vec<String> = (0..PAGE_SIZE)
        .map(|i| {
            let n = number * PAGE_SIZE + i;
            format!(
                r#"{{"id":"{webinar}-{n}","user_id":"{n}","user_name":"Participant {n}","email":"p{n}@example.com","join_time":"2026-01-01T10:00:00Z","leave_time":"2026-01-01T11:00:00Z","duration":3600,"status":"in_meeting"}}"#
            )
        })
        .collect();
    let body = format!(
        r#"{{"page_count":{PAGES},"page_size":{PAGE_SIZE},"total_records":{},"next_page_token":"{next}","participants":[{}]}}"#,
        PAGES * PAGE_SIZE,
        rows.join(",")
    );
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

struct Outcome {
    requests: u64,
    throttled: u64,
    errors: usize,
    rows: usize,
    wall: Duration,
    busiest: usize,
}

/// One fan-out of 16 webinars x 10 pages against a fresh server, with a fresh client
/// limited to `rate` a second.
async fn run(rate: f64) -> Outcome {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr: SocketAddr = listener.local_addr().expect("an address");
    let counts = Arc::new(Counts::default());
    let server = tokio::spawn(serve(listener, counts.clone()));
    let client = Client::builder()
        .base_url(format!("http://{addr}/v2"))
        .bearer_token("bench")
        .rate_limit(RateLimit::per_second(rate))
        .build()
        .expect("a loopback client");
    let ids: Vec<String> = (0..WEBINARS).map(|w| format!("w{w}")).collect();
    let started = Instant::now();
    let (rows, errors) = client
        .webinars_participants(ids)
        .page_size(PAGE_SIZE as u32)
        .concurrency(CONCURRENCY)
        .stream()
        .fold((0, 0), |(rows, errors), item| async move {
            match item {
                Ok(_) => (rows + 1, errors),
                Err(err) => {
                    eprintln!("error: {err}");
                    (rows, errors + 1)
                }
            }
        })
        .await;
    let wall = started.elapsed();
    server.abort();
    let accepted = counts.accepted.lock().expect("accepted").clone();
    let busiest = (0..accepted.len())
        .map(|i| {
            accepted[i..]
                .iter()
                .take_while(|t| t.duration_since(accepted[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    let ok = counts.ok.load(Ordering::Relaxed);
    let throttled = counts.throttled.load(Ordering::Relaxed);
    Outcome {
        requests: ok + throttled,
        throttled,
        errors,
        rows,
        wall,
        busiest,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let runs: usize = std::env::var("ADAPTIVE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3)
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let pages = (WEBINARS * PAGES) as f64;
    let ideal = pages / LIMIT as f64;
    println!(
        "adaptive: server {LIMIT}/s (429 + Retry-After: 1), {WEBINARS} webinars x {PAGES} pages, concurrency {CONCURRENCY}, ideal {ideal:.1} s"
    );
    for (name, rate) in [("client_40_per_s", 40.0), ("client_20_per_s", 20.0)] {
        let mut shares = Vec::new();
        let mut walls = Vec::new();
        for i in 1..=runs {
            let outcome = rt.block_on(run(rate));
            let share = outcome.throttled as f64 / outcome.requests as f64;
            let ratio = outcome.wall.as_secs_f64() / ideal;
            println!(
                "adaptive {name} run {i}: {} requests, {} answered 429 ({:.1} %), {} errors, {} rows, {:.2} s = {ratio:.3} x ideal, busiest second {} accepted",
                outcome.requests,
                outcome.throttled,
                share * 100.0,
                outcome.errors,
                outcome.rows,
                outcome.wall.as_secs_f64(),
                outcome.busiest
            );
            if outcome.errors == 0 {
                assert_eq!(outcome.rows, WEBINARS * PAGES * PAGE_SIZE);
            }
            shares.push(share);
            walls.push(ratio);
        }
        println!(
            "RATIO adaptive {name}: 429s / requests = {:.3} (median of {runs}); wall / ideal {ideal:.1} s = {:.3} (median of {runs})",
            median(shares),
            median(walls)
        );
    }
}
