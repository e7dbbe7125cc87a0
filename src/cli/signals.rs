//! SIGINT and SIGTERM end a run at a whole line, as documented; SIGXFSZ and SIGPIPE become
//! errors to handle instead of deaths.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::sync::Notify;

/// The signal that interrupted the run (0: none yet), set by a task of its own.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Starts listening, at once (not when a task first runs): the returned `Notify` wakes a
/// run that waits when a signal arrives.
pub fn listen_for_signals() -> Arc<Notify> {
    use tokio::signal::unix::{SignalKind, signal};
    let notify = Arc::new(Notify::new());
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return notify;
    };
    // A file over RLIMIT_FSIZE (a full quota) would kill the process with SIGXFSZ before
    // it could keep its checkpoint; handled, the write fails with EFBIG and the run ends
    // with one line like any full disk.
    let file_size = signal(SignalKind::from_raw(25));
    // A reader that goes away must be an EPIPE error to handle, not a SIGPIPE that kills
    // the process (the hand-written `main` does not set SIGPIPE aside as std's would).
    let pipe = signal(SignalKind::pipe());
    let notified = notify.clone();
    tokio::spawn(async move {
        // Held for the life of the task: tokio keeps a signal handled while one listens.
        let _held = (file_size, pipe);
        let number = tokio::select! {
            _ = int.recv() => 2,
            _ = term.recv() => 15,
        };
        SIGNAL.store(number, Ordering::SeqCst);
        notified.notify_one();
    });
    notify
}

/// The signal that asked the run to stop, if one did.
pub fn interrupted() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}
