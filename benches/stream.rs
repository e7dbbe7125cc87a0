//! Speed benchmarks against the fake Zoom on loopback, each with its baseline in the same
//! run, reported as ratios (see BENCHMARKS.md):
//!
//! 1. overhead: `ParticipantStream` vs a hand-written reqwest loop (typed decode, and
//!    `serde_json::Value` decode), 120,000 participants in 400 pages;
//! 3. read-ahead: `prefetch(1)` vs `prefetch(0)`, 50 pages, 20 ms latency, 20 ms of work a page;
//! 4. fan-out: 64 webinars x 5 pages, 20 ms latency, concurrency 8, vs the ideal 800 ms.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, Participant, RateLimit};

const WEBINAR: &str = "95204914252";

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

#[derive(Deserialize)]
struct TypedPage {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    participants: Vec<Participant>,
}

/// What a user writes by hand with reqwest: GET, bytes, decode, follow the token.
async fn hand_loop<F: FnMut(&[u8]) -> (usize, Option<String>)>(
    http: &reqwest::Client,
    zoom: &FakeZoom,
    mut decode: F,
) -> usize {
    let url = format!(
        "{}/metrics/webinars/{WEBINAR}/participants",
        zoom.base_url()
    );
    let mut token: Option<String> = None;
    let mut count = 0;
    loop {
        let mut query = vec![("page_size", "300".to_owned())];
        if let Some(t) = token.take() {
            query.push(("next_page_token", t));
        }
        let body = http
            .get(&url)
            .query(&query)
            .bearer_auth(zoom.access_token())
            .send()
            .await
            .expect("a response")
            .bytes()
            .await
            .expect("a body");
        let (items, next) = decode(&body);
        count += items;
        match next.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => return count,
        }
    }
}

fn overhead(c: &mut Criterion) {
    let rt = runtime();
    let zoom = rt
        .block_on(
            FakeZoom::builder()
                .webinar(WEBINAR, 120_000)
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
    // Render and cache every page once before measuring.
    rt.block_on(async {
        let n = client
            .webinar_participants(WEBINAR)
            .stream()
            .try_fold(0, |n, _| async move { Ok(n + 1) })
            .await;
        assert_eq!(n.expect("warm-up"), 120_000);
    });

    let mut group = c.benchmark_group("overhead_120k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("participant_stream", |b| {
        b.to_async(&rt).iter(|| async {
            let mut stream = client.webinar_participants(WEBINAR).stream();
            let mut n = 0usize;
            while let Some(p) = stream.try_next().await.expect("a participant") {
                std::hint::black_box(&p);
                n += 1;
            }
            assert_eq!(n, 120_000);
        })
    });
    group.bench_function("reqwest_loop_typed", |b| {
        b.to_async(&rt).iter(|| async {
            let n = hand_loop(&http, &zoom, |body| {
                let page: TypedPage = serde_json::from_slice(body).expect("a page");
                for p in &page.participants {
                    std::hint::black_box(p);
                }
                (page.participants.len(), page.next_page_token)
            })
            .await;
            assert_eq!(n, 120_000);
        })
    });
    group.bench_function("reqwest_loop_value", |b| {
        b.to_async(&rt).iter(|| async {
            let n = hand_loop(&http, &zoom, |body| {
                let page: serde_json::Value = serde_json::from_slice(body).expect("a page");
                let items = page["participants"].as_array().map_or(0, |a| {
                    for p in a {
                        std::hint::black_box(p);
                    }
                    a.len()
                });
                (items, page["next_page_token"].as_str().map(str::to_owned))
            })
            .await;
            assert_eq!(n, 120_000);
        })
    });
    group.finish();
    report("overhead_120k", "participant_stream", "reqwest_loop_typed");
    report("overhead_120k", "participant_stream", "reqwest_loop_value");
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
        .measurement_time(Duration::from_secs(25));
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
        .measurement_time(Duration::from_secs(15));
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

criterion_group!(benches, overhead, read_ahead, fan_out);
criterion_main!(benches);
