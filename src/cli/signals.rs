//! SIGINT and SIGTERM end a run at a whole line, as documented; SIGXFSZ and SIGPIPE become
//! errors to handle instead of deaths.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::sync::Notify;

/// The signal that interrupted the run (0: none yet), set by a task of its own.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

pub fn listen_for_signals() -> Arc<Notify> {
    let notify = Arc::new(Notify::new());
    let notified = notify.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        // A file over RLIMIT_FSIZE (a full quota) would kill the process with SIGXFSZ
        // before it could keep its checkpoint; handled, the write fails with EFBIG and the
        // run ends with one line like any full disk.
        let _file_size = signal(SignalKind::from_raw(25));
        let number = tokio::select! {
            _ = int.recv() => 2,
            _ = term.recv() => 15,
        };
        SIGNAL.store(number, Ordering::SeqCst);
        notified.notify_one();
    });
    notify
}

pub fn interrupted() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}
