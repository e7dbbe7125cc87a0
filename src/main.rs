//! `zoom-participants`: a webinar's participants as NDJSON or CSV, from Zoom or a demo.
//!
//! The entry point is written by hand (`no_main`) for one reason: the standard library's
//! start-up quietly puts `/dev/null` on a closed standard output, so a run with `>&-` would
//! drop every row and report success. Here the closed descriptors are noted first (and
//! still filled with `/dev/null`, so that no socket or file can take their number).
#![cfg_attr(not(test), no_main)]
// The unit-test build has the harness's `main`, so the command line is not reached there.
#![cfg_attr(test, allow(dead_code, unused_imports))]

mod cli;

use std::ffi::{c_char, c_int};
use std::fs::OpenOptions;
use std::os::fd::IntoRawFd;

#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    keep_page_buffers_on_the_heap();
    let closed = closed_standard_descriptors();
    cli::STDOUT_CLOSED.store(closed[1], std::sync::atomic::Ordering::SeqCst);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            cli::say(&format!("error: cannot start the async runtime: {err}"));
            return 1;
        }
    };
    let code = runtime.block_on(cli::run());
    // Background tasks (a progress display, a read-ahead) must not hold the exit up.
    runtime.shutdown_background();
    c_int::from(code)
}

/// Page bodies (a few hundred KiB each) are read into buffers above glibc's first mmap
/// threshold (128 KiB), so each page got a fresh mapping that the kernel zeroes and faults
/// in page by page, and the heap was trimmed back after it: for 120,000 participants,
/// 24,000 page faults and more CPU in the kernel than in the export. A fixed threshold of
/// 64 MiB (above any page the CLI accepts) and a trim threshold above it let each page
/// reuse the memory of the one before: 1,500 page faults, and less than half the CPU.
/// Memory stays bounded by the body cap; only its return to the system is later.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_page_buffers_on_the_heap() {
    // glibc's `mallopt` parameters (malloc.h).
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_MMAP_THRESHOLD: c_int = -3;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    // SAFETY: `mallopt` only tunes the allocator; it is called before any other thread
    // exists, and a refused setting (return 0) leaves glibc's defaults.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 128 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_page_buffers_on_the_heap() {}

/// Which of standard input, output and error were closed at start; each closed one is
/// opened on `/dev/null` (the lowest free descriptor is the one just found closed).
fn closed_standard_descriptors() -> [bool; 3] {
    let mut closed = [false; 3];
    for (fd, is_closed) in closed.iter_mut().enumerate() {
        *is_closed = cfg!(target_os = "linux")
            && std::fs::symlink_metadata(format!("/proc/self/fd/{fd}")).is_err();
        if *is_closed && let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null")
        {
            let _ = null.into_raw_fd();
        }
    }
    closed
}
