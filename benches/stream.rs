//! Speed benchmarks against the fake Zoom on loopback, each with its baseline in the same
//! run, reported as ratios (see BENCHMARKS.md):
//!
//! 1. throughput: 120,000 participants (400 cached pages of 300, gzip off, no rate limit)
//!    through the NDJSON export pipeline (`stream_raw` -> the CLI's encoder -> a buffer),
//!    the typed `stream()`, and the CSV pipeline (typed rows -> the CLI's CSV encoder), each
//!    against the floor: a reqwest loop over the same pages that only reads the bytes;
//! 3. read-ahead: `prefetch(1)` vs `prefetch(0)`, 50 pages, 20 ms latency, 20 ms of work a page;
//! 4. fan-out: 64 webinars x 5 pages, 20 ms latency, concurrency 8, vs the ideal 800 ms.
//!
//! Adaptive rate limiting has a bench of its own (`benches/adaptive.rs`).

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use futures::{StreamExt, TryStreamExt};
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, Participant, RateLimit};

/// The CLI's own row encoders (`src/cli/output.rs` and `cells.rs`, modules of the binary),
/// compiled into this bench so that the pipelines measured are the ones the CLI runs.
#[allow(dead_code)]
#[path = "../src/cli/output.rs"]
mod output;

#[path = "../src/cli/cells.rs"]
mod cells;
#[path = "../src/cli/csv_writer.rs"]
mod csv_writer;

/// What `output.rs` needs of the CLI's arguments.
mod args {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[allow(dead_code)]
    pub enum Format {
        Ndjson,
        Csv,
    }
}

use args::Format;
use output::{Encoder, Tags};

const WEBINAR: &str = "95204914252";
const PARTICIPANTS: usize = 120_000;

/// The CLI writes through a buffer of this size; the pipelines here clear theirs at it.
const BUFFER: usize = 1 << 20;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn client(zoom: &FakeZoom, limit: RateLimit) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(limit)
        .build()
        .expect("a loopback client")
}

/// The median of a finished benchmark, read from criterion's own estimates.
fn median_ns(group: &str, function: &str) -> Option<f64> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let path = target
        .join("criterion")
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

fn report(group: &str, subject: &str, baseline: &str) {
    if let (Some(s), Some(b)) = (median_ns(group, subject), median_ns(group, baseline)) {
        println!(
            "RATIO {group}: {subject} {:.1} ms / {baseline} {:.1} ms = {:.3}",
            s / 1e6,
            b / 1e6,
            s / b
        );
    }
}

/// The `next_page_token` of a page the fake served: the fake writes the envelope before
/// the rows, so it is found in the first few hundred bytes without parsing the page.
fn next_token(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"next_page_token\":\"";
    let head = &body[..body.len().min(512)];
    let at = head.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = head[at..].iter().position(|b| *b == b'"')?;
    let token = std::str::from_utf8(&head[at..at + len]).ok()?;
    (!token.is_empty()).then(|| token.to_owned())
}

/// The floor: GET each page with reqwest, read its bytes, discard them. Returns the bytes
/// read.
async fn bytes_only(http: &reqwest::Client, zoom: &FakeZoom) -> usize {
    let url = format!(
        "{}/metrics/webinars/{WEBINAR}/participants",
        zoom.base_url()
    );
    let mut token: Option<String> = None;
    let mut bytes = 0;
    loop {
        let mut request = http
            .get(&url)
            .query(&[("page_size", "300")])
            .bearer_auth(zoom.access_token());
        if let Some(token) = &token {
            request = request.query(&[("next_page_token", token)]);
        }
        let body = request
            .send()
            .await
            .expect("a response")
            .bytes()
            .await
            .expect("a body");
        bytes += body.len();
        match next_token(&body) {
            Some(next) => token = Some(next),
            None => return bytes,
        }
    }
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    let zoom = rt
        .block_on(
            FakeZoom::builder()
                .webinar(WEBINAR, PARTICIPANTS as u64)
                .cache_pages(true)
                .gzip(false)
                .start(),
        )
        .expect("the fake Zoom");
    let client = client(&zoom, RateLimit::unlimited());
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .build()
        .expect("reqwest");
    let ndjson = Encoder::new(Format::Ndjson, Vec::new(), Participant::FIELDS.to_vec());
    let csv = Encoder::new(Format::Csv, Vec::new(), Participant::FIELDS.to_vec());
    let tags = Tags::default();
    // Render and cache every page once before measuring, and check what each pipeline
    // makes of them.
    rt.block_on(async {
        let bytes = bytes_only(&http, &zoom).await;
        let n = client
            .webinar_participants(WEBINAR)
            .stream()
            .try_fold(0, |n, _| async move { Ok(n + 1) })
            .await;
        assert_eq!(n.expect("warm-up"), PARTICIPANTS);
        println!(
            "throughput_120k: {PARTICIPANTS} participants in {} pages, {:.1} MB of JSON",
            PARTICIPANTS / 300,
            bytes as f64 / 1e6
        );
    });

    let pipelines = Pipelines {
        zoom: &zoom,
        client: &client,
        http: &http,
        ndjson: &ndjson,
        csv: &csv,
        tags: &tags,
    };

    let mut group = c.benchmark_group("throughput_120k");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (name, pipeline) in PIPELINES {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| pipelines.run(pipeline));
        });
    }
    group.finish();
    for subject in ["ndjson_pipeline", "typed_stream", "csv_pipeline"] {
        report("throughput_120k", subject, "floor_bytes_only");
    }

    // The same ratios from rounds that run each pipeline once in turn, so that a change of
    // load on the machine (criterion measures one function after the other) falls on all
    // alike: medians over the rounds.
    let rounds = 7;
    let mut times = vec![Vec::new(); PIPELINES.len()];
    for _ in 0..rounds {
        for (i, (_, pipeline)) in PIPELINES.iter().enumerate() {
            let started = std::time::Instant::now();
            rt.block_on(pipelines.run(*pipeline));
            times[i].push(started.elapsed().as_secs_f64());
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    for (i, (name, _)) in PIPELINES.iter().enumerate().skip(1) {
        println!(
            "RATIO throughput_120k (interleaved, median of {rounds}): {name} {:.1} ms / floor_bytes_only {:.1} ms = {:.3}",
            medians[i] * 1e3,
            medians[0] * 1e3,
            medians[i] / medians[0]
        );
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[derive(Debug, Clone, Copy)]
enum Pipeline {
    Floor,
    Ndjson,
    Typed,
    Csv,
}

const PIPELINES: [(&str, Pipeline); 4] = [
    ("floor_bytes_only", Pipeline::Floor),
    ("ndjson_pipeline", Pipeline::Ndjson),
    ("typed_stream", Pipeline::Typed),
    ("csv_pipeline", Pipeline::Csv),
];

struct Pipelines<'a> {
    zoom: &'a FakeZoom,
    client: &'a Client,
    http: &'a reqwest::Client,
    ndjson: &'a Encoder,
    csv: &'a Encoder,
    tags: &'a Tags,
}

impl Pipelines<'_> {
    async fn run(&self, pipeline: Pipeline) {
        match pipeline {
            Pipeline::Floor => {
                std::hint::black_box(bytes_only(self.http, self.zoom).await);
            }
            // What the CLI does with NDJSON: each row passed through into its buffer.
            Pipeline::Ndjson => {
                let mut stream = self
                    .client
                    .webinar_participants(WEBINAR)
                    .prefetch(1)
                    .stream_raw();
                let mut out = Vec::with_capacity(BUFFER + 4096);
                let mut n = 0usize;
                while let Some(row) = stream.try_next().await.expect("a row") {
                    self.ndjson.raw(&row, self.tags, &mut out);
                    if out.len() > BUFFER {
                        std::hint::black_box(&out);
                        out.clear();
                    }
                    n += 1;
                }
                std::hint::black_box(&out);
                assert_eq!(n, PARTICIPANTS);
            }
            Pipeline::Typed => {
                let mut stream = self
                    .client
                    .webinar_participants(WEBINAR)
                    .prefetch(1)
                    .stream();
                let mut n = 0usize;
                while let Some(p) = stream.try_next().await.expect("a participant") {
                    std::hint::black_box(&p);
                    n += 1;
                }
                assert_eq!(n, PARTICIPANTS);
            }
            // What the CLI does with CSV: typed rows through its CSV encoder.
            Pipeline::Csv => {
                let mut stream = self
                    .client
                    .webinar_participants(WEBINAR)
                    .prefetch(1)
                    .stream();
                let mut out = Vec::with_capacity(BUFFER + 4096);
                out.extend(self.csv.header().expect("a header").unwrap_or_default());
                let mut n = 0usize;
                while let Some(p) = stream.try_next().await.expect("a participant") {
                    self.csv.typed(&p, self.tags, &mut out).expect("a CSV line");
                    if out.len() > BUFFER {
                        std::hint::black_box(&out);
                        out.clear();
                    }
                    n += 1;
                }
                std::hint::black_box(&out);
                assert_eq!(n, PARTICIPANTS);
            }
        }
    }
}

fn read_ahead(c: &mut Criterion) {
    let rt = runtime();
    let zoom = rt
        .block_on(
            FakeZoom::builder()
                .webinar(WEBINAR, 50 * 100)
                .latency(Duration::from_millis(20))
                .cache_pages(true)
                .start(),
        )
        .expect("the fake Zoom");
    let client = client(&zoom, RateLimit::unlimited());
    let mut group = c.benchmark_group("read_ahead_50_pages");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(12));
    for prefetch in [0, 1] {
        group.bench_function(format!("prefetch_{prefetch}"), |b| {
            b.to_async(&rt).iter(|| async {
                let mut stream = client
                    .webinar_participants(WEBINAR)
                    .page_size(100)
                    .prefetch(prefetch)
                    .stream();
                let mut n = 0;
                while let Some(p) = stream.try_next().await.expect("a participant") {
                    std::hint::black_box(p);
                    n += 1;
                    if n % 100 == 0 {
                        // The consumer's work on a page: 20 ms.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                assert_eq!(n, 5_000);
            })
        });
    }
    group.finish();
    report("read_ahead_50_pages", "prefetch_1", "prefetch_0");
}

fn fan_out(c: &mut Criterion) {
    let rt = runtime();
    let ids: Vec<String> = (0..64).map(|w| format!("w{w}")).collect();
    let mut builder = FakeZoom::builder()
        .latency(Duration::from_millis(20))
        .cache_pages(true);
    for id in &ids {
        builder = builder.webinar(id.clone(), 5 * 10);
    }
    let zoom = rt.block_on(builder.start()).expect("the fake Zoom");
    let rate = 500.0;
    let client = client(&zoom, RateLimit::per_second(rate).burst(8));
    let mut group = c.benchmark_group("fan_out_64x5");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("concurrency_8", |b| {
        b.to_async(&rt).iter(|| async {
            let n = client
                .webinars_participants(ids.clone())
                .page_size(10)
                .concurrency(8)
                .stream()
                .fold(0, |n, r| async move {
                    std::hint::black_box(r.expect("a participant"));
                    n + 1
                })
                .await;
            assert_eq!(n, 64 * 50);
        })
    });
    group.finish();
    if let Some(median) = median_ns("fan_out_64x5", "concurrency_8") {
        let ideal = 64.0 / 8.0 * 5.0 * 20e6;
        println!(
            "RATIO fan_out_64x5: concurrency_8 {:.1} ms / ideal {:.1} ms = {:.3}",
            median / 1e6,
            ideal / 1e6,
            median / ideal
        );
    }
    let mut times: Vec<_> = zoom.requests().iter().map(|r| r.at).collect();
    times.sort();
    let busiest = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    println!("RATE fan_out_64x5: busiest second {busiest} requests, limit {rate}/s + burst 8");
}

criterion_group!(benches, throughput, read_ahead, fan_out);
criterion_main!(benches);
