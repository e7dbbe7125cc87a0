//! The webhook listener: events per second it verifies and writes (keep-alive clients on
//! loopback), against a bare axum handler that verifies nothing in the same run; and its
//! peak heap under a flood of forged requests, against the same listener idle and against
//! a flood five times smaller. A counting global allocator measures the heap; this binary
//! prints its own table (see BENCHMARKS.md).
//!
//! The clients are raw HTTP/1.1 over keep-alive TCP connections, requests signed before the
//! clock starts, so that what is measured is the server side.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use zoom_participants::webhook::{Listener, Verifier};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters move.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size > layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SECRET: &str = "bench-webhook-secret";
/// Events per throughput run.
const EVENTS: usize = 20_000;
/// Keep-alive connections the events are spread over.
const CONNECTIONS: usize = 4;
const ROUNDS: usize = 5;

fn body(n: usize) -> String {
    format!(
        r#"{{"event":"webinar.participant_joined","event_ts":{},"payload":{{"account_id":"AcC-1","object":{{"uuid":"4444AAAiAAAAAiAiAiiAii==","id":"95204914252","host_id":"z8yCxjabcdEFGHfp8uQ","topic":"Launch","type":5,"start_time":"2026-01-01T12:00:00Z","timezone":"UTC","duration":60,"participant":{{"user_id":"{n}","user_name":"Person {n}","id":"iFxeBPYun6SAiWUzBcEkX","participant_uuid":"pu-{n}","email":"p{n}@example.com","join_time":"2026-01-01T12:00:00Z","registrant_id":"reg-{n}","customer_key":"ck1","phone_number":"+15550100"}}}}}}}}"#,
        1_767_268_800_000 + n
    )
}

/// One request's bytes, signed with `secret`.
fn request(n: usize, secret: &str) -> Vec<u8> {
    let body = body(n);
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = Verifier::new(secret).sign(&timestamp, body.as_bytes());
    let mut out = Vec::with_capacity(body.len() + 256);
    let _ = write!(
        out,
        "POST /webhook HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nx-zm-request-timestamp: {timestamp}\r\nx-zm-signature: {signature}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    out
}

/// How many 503s (buffer full) the clients met and retried, as Zoom would (later).
static BUSY: AtomicUsize = AtomicUsize::new(0);

/// Sends `requests` one after the other on one keep-alive connection, each again after a
/// millisecond while it is answered 503; returns how many were answered with `expect`.
async fn send_all(addr: SocketAddr, requests: Vec<Vec<u8>>, expect: u16) -> usize {
    let Ok(stream) = TcpStream::connect(addr).await else {
        return 0;
    };
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    let mut body = Vec::new();
    let mut matched = 0;
    let status_line = format!("HTTP/1.1 {expect} ");
    let mut requests = requests.into_iter();
    let mut current = requests.next();
    while let Some(request) = &current {
        if write.write_all(request).await.is_err() {
            break;
        }
        line.clear();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            break;
        }
        let busy = line.starts_with("HTTP/1.1 503 ");
        matched += usize::from(line.starts_with(&status_line));
        let mut length = 0;
        loop {
            line.clear();
            if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                return matched;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        body.resize(length, 0);
        if read.read_exact(&mut body).await.is_err() {
            break;
        }
        if busy {
            BUSY.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(1)).await;
        } else {
            current = requests.next();
        }
    }
    matched
}

/// `requests` dealt round-robin into one lane per connection.
fn lanes(requests: Vec<Vec<u8>>, connections: usize) -> Vec<Vec<Vec<u8>>> {
    let mut lanes: Vec<Vec<Vec<u8>>> = vec![Vec::new(); connections];
    for (i, request) in requests.into_iter().enumerate() {
        lanes[i % connections].push(request);
    }
    lanes
}

/// Sends each lane of requests on a keep-alive connection of its own, all at once.
async fn send_spread(addr: SocketAddr, lanes: Vec<Vec<Vec<u8>>>, expect: u16) -> usize {
    let tasks: Vec<_> = lanes
        .into_iter()
        .map(|lane| tokio::spawn(send_all(addr, lane, expect)))
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap_or(0);
    }
    total
}

/// The baseline: a bare axum handler that reads the body and answers 200, no verification.
async fn bare_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().fallback(|body: Bytes| async move {
        std::hint::black_box(body.len());
        ""
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// One baseline run: seconds for EVENTS requests.
async fn bare_run(addr: SocketAddr) -> f64 {
    let requests = lanes(
        (0..EVENTS).map(|n| request(n, SECRET)).collect(),
        CONNECTIONS,
    );
    let started = Instant::now();
    let ok = send_spread(addr, requests, 200).await;
    assert_eq!(ok, EVENTS);
    started.elapsed().as_secs_f64()
}

/// One listener run: seconds until EVENTS events are verified, yielded and written as
/// NDJSON lines to a file (one write a line, fsync once a second: the CLI's way).
async fn listener_run(round: usize) -> f64 {
    let mut events = Listener::new(SECRET)
        .bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = events.local_addr();
    let path = std::env::temp_dir().join(format!("zp-bench-webhook-{}.ndjson", std::process::id()));
    let mut file = std::fs::File::create(&path).expect("a file");
    let first = round * EVENTS * 10;
    let requests = lanes(
        (first..first + EVENTS)
            .map(|n| request(n, SECRET))
            .collect(),
        CONNECTIONS,
    );
    let started = Instant::now();
    let writer = async {
        let mut line = Vec::with_capacity(4096);
        let mut last_sync = Instant::now();
        let mut written = 0;
        while written < EVENTS {
            let Some(Ok(event)) = events.next().await else {
                break;
            };
            line.clear();
            serde_json::to_writer(&mut line, &event).expect("serializes");
            line.push(b'\n');
            file.write_all(&line).expect("writes");
            written += 1;
            if last_sync.elapsed() >= Duration::from_secs(1) {
                file.sync_data().expect("syncs");
                last_sync = Instant::now();
            }
        }
        file.sync_data().expect("syncs");
        written
    };
    let (sent, written) = tokio::join!(send_spread(addr, requests, 200), writer);
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!((sent, written), (EVENTS, EVENTS));
    let _ = std::fs::remove_file(&path);
    seconds
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Peak heap (bytes above what was live before) while `forged` forged requests are sent
/// over `connections` keep-alive connections to an idle listener with a consumer; with the
/// seconds it took, the refusal lines reported and how many requests were answered (401)
/// rather than turned away with their connection over the cap.
async fn flood(forged: usize, connections: usize) -> (usize, f64, u64, usize) {
    let lines = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = lines.clone();
    let mut events = Listener::new(SECRET)
        .on_refusal(move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
        })
        .bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = events.local_addr();
    let requests = lanes(
        (0..forged).map(|n| request(n, "not-the-secret")).collect(),
        connections,
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let refused = send_spread(addr, requests, 401).await;
    let seconds = started.elapsed().as_secs_f64();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    assert_eq!(events.stats().refused as usize, refused);
    assert_eq!(events.stats().accepted, 0);
    events.close();
    assert!(events.next().await.is_none(), "nothing forged is yielded");
    (peak, seconds, lines.load(Ordering::Relaxed) as u64, refused)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        // Verification alone, without HTTP.
        let verifier = Verifier::new(SECRET);
        let body = body(1);
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let signature = verifier.sign(&timestamp, body.as_bytes());
        let headers = [
            ("x-zm-request-timestamp", timestamp.as_str()),
            ("x-zm-signature", signature.as_str()),
        ];
        let started = Instant::now();
        for _ in 0..EVENTS {
            std::hint::black_box(verifier.verify(&headers[..], body.as_bytes()).is_ok());
        }
        let verify = started.elapsed().as_secs_f64() / EVENTS as f64;
        println!(
            "verify alone (signature, window, JSON into a ParticipantEvent): {:.2} µs per event, {:.0} events/s",
            verify * 1e6,
            1.0 / verify
        );

        let bare = bare_server().await;
        eprintln!("warming up");
        let _ = bare_run(bare).await;
        let _ = listener_run(99).await;
        let mut bare_times = Vec::new();
        let mut listen_times = Vec::new();
        for round in 0..ROUNDS {
            eprintln!("round {round}");
            bare_times.push(bare_run(bare).await);
            listen_times.push(listener_run(round).await);
        }
        let (b, l) = (median(bare_times), median(listen_times));
        println!(
            "{EVENTS} events over {CONNECTIONS} keep-alive connections, {ROUNDS} interleaved rounds, medians:"
        );
        println!(
            "  bare axum handler (no verification): {:.3} s, {:.0} requests/s",
            b,
            EVENTS as f64 / b
        );
        println!(
            "  webhook::listen, verified and written as NDJSON: {:.3} s, {:.0} events/s",
            l,
            EVENTS as f64 / l
        );
        println!("  ratio (listener / bare): {:.2}x", l / b);
        println!(
            "  deliveries answered 503 (buffer full) and retried: {}",
            BUSY.load(Ordering::Relaxed)
        );

        let idle_before = CURRENT.load(Ordering::Relaxed);
        let idle = Listener::new(SECRET)
            .bind("127.0.0.1:0")
            .await
            .expect("bind");
        let idle_heap = CURRENT.load(Ordering::Relaxed).saturating_sub(idle_before);
        drop(idle);
        let (small, small_s, small_lines, small_n) = flood(20_000, 64).await;
        let (large, large_s, large_lines, large_n) = flood(100_000, 64).await;
        let (crowd, crowd_s, crowd_lines, crowd_n) = flood(20_000, 512).await;
        assert_eq!((small_n, large_n), (20_000, 100_000));
        let mib = |b: usize| b as f64 / (1 << 20) as f64;
        println!("forged-request floods (all answered 401, none yielded):");
        println!("  idle listener: {:.2} MiB", mib(idle_heap));
        println!(
            "  20,000 forged over 64 connections: peak +{:.2} MiB in {small_s:.2} s, {small_lines} stderr lines",
            mib(small)
        );
        println!(
            "  100,000 forged over 64 connections: peak +{:.2} MiB in {large_s:.2} s, {large_lines} stderr lines",
            mib(large)
        );
        println!(
            "  20,000 forged over 512 connections (cap 256): peak +{:.2} MiB in {crowd_s:.2} s, {crowd_n} answered 401 (the rest turned away with their connection), {crowd_lines} stderr lines",
            mib(crowd)
        );
        println!(
            "  ratio of peaks, 100,000 / 20,000 forged: {:.2}",
            large as f64 / small.max(1) as f64
        );
    });
}
