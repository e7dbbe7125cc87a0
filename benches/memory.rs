//! Peak heap while streaming 10,000, 100,000 and 1,000,000 participants from the fake Zoom
//! (in this same process), typed and as raw rows (the CLI's NDJSON path), with read-ahead
//! as the CLI uses it, against collecting 1,000,000 into a `Vec`. A counting global
//! allocator measures the heap; criterion has no memory measurement, so this binary prints
//! its own table (see BENCHMARKS.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures::TryStreamExt;
use zoom_participants::fake::FakeZoom;
use zoom_participants::{Client, Participant, RateLimit};

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

/// Runs `work` and returns the peak heap above what was live before it, and its time.
async fn peak_of<F: std::future::Future<Output = usize>>(work: F) -> (usize, usize, f64) {
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let n = work.await;
    let seconds = started.elapsed().as_secs_f64();
    (n, PEAK.load(Ordering::Relaxed) - before, seconds)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else here takes arguments.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        let zoom = FakeZoom::builder()
            .webinar("10k", 10_000)
            .webinar("100k", 100_000)
            .webinar("1m", 1_000_000)
            .start()
            .await
            .expect("the fake Zoom");
        let client = Client::builder()
            .base_url(zoom.base_url())
            .bearer_token(zoom.access_token())
            .rate_limit(RateLimit::unlimited())
            .build()
            .expect("a loopback client");

        let mut streamed = Vec::new();
        for (id, expected) in [("10k", 10_000), ("100k", 100_000), ("1m", 1_000_000)] {
            let (n, peak, seconds) = peak_of(async {
                let mut stream = client.webinar_participants(id).prefetch(1).stream();
                let mut n = 0;
                while let Some(p) = stream.try_next().await.expect("a participant") {
                    std::hint::black_box(&p);
                    n += 1;
                }
                n
            })
            .await;
            assert_eq!(n, expected);
            println!(
                "MEMORY stream {n:>9} participants: peak heap {:>8.2} MiB, {:.1} s ({:.0} participants/s)",
                peak as f64 / 1048576.0,
                seconds,
                n as f64 / seconds
            );
            streamed.push(peak);
        }
        let (n, raw, seconds) = peak_of(async {
            let mut stream = client.webinar_participants("1m").prefetch(1).stream_raw();
            let mut line = Vec::with_capacity(4096);
            let mut n = 0;
            while let Some(row) = stream.try_next().await.expect("a row") {
                line.clear();
                row.write_json(&[], &mut line);
                std::hint::black_box(&line);
                n += 1;
            }
            n
        })
        .await;
        assert_eq!(n, 1_000_000);
        println!(
            "MEMORY raw rows {n:>8} participants: peak heap {:>8.2} MiB, {:.1} s ({:.0} participants/s)",
            raw as f64 / 1048576.0,
            seconds,
            n as f64 / seconds
        );
        let (n, collected, seconds) = peak_of(async {
            let all: Vec<Participant> = client.webinar_participants("1m").stream().try_collect().await.expect("all");
            all.len()
        })
        .await;
        println!(
            "MEMORY collect {n:>8} participants: peak heap {:>8.2} MiB, {:.1} s",
            collected as f64 / 1048576.0,
            seconds
        );
        println!(
            "RATIO memory: stream 1,000,000 / stream 10,000 = {:.3}",
            streamed[2] as f64 / streamed[0] as f64
        );
        println!(
            "RATIO memory: raw rows 1,000,000 / stream 10,000 = {:.3}",
            raw as f64 / streamed[0] as f64
        );
        println!(
            "RATIO memory: stream 1,000,000 / collect 1,000,000 = {:.4} (1/{:.0})",
            streamed[2] as f64 / collected as f64,
            collected as f64 / streamed[2] as f64
        );
    });
}
