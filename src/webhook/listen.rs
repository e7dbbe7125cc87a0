//! [`listen`]: the crate's own webhook endpoint (feature `webhook`), on the same server
//! stack as the fake Zoom (axum over hyper), yielding verified events as a `Stream`.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::event::{EventIdentity, ParticipantEvent};
use super::verify::{Delivery, Refusal, Verifier};
use crate::error::{Error, Result};
use crate::lock::lock;

/// Events held for a consumer that has not taken them yet, by default. When they are
/// all waiting, a new delivery is answered 503 (Zoom retries it later) instead of held:
/// memory stays bounded (about 2 KiB an event) and nothing answered 200 is ever dropped.
pub const DEFAULT_BUFFER: usize = 1024;

/// Event identities remembered to drop redeliveries, by default. Zoom's last retry comes
/// 85 minutes after the first attempt (after 5, 20 and 60 minutes): a redelivery is
/// recognised as long as fewer than this many other events were accepted in between.
/// About 40 bytes each.
pub const DEFAULT_REMEMBER: usize = 100_000;

/// Connections open at once, by default; one more is closed as soon as it is accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// How long a client may take to send a request's headers (and how long a kept-alive
/// connection may sit idle), and then its body. Zoom waits 3 s for an answer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The most bytes of a request's head (and of body data read at once) a connection
/// buffers.
const HEAD_BUFFER: usize = 64 * 1024;

/// How long [`EventStream::close`] lets requests in flight finish before cutting them.
const GRACE: Duration = Duration::from_secs(3);

/// Where refusals are reported: one line each, at most one a second.
type Report = Arc<dyn Fn(&str) + Send + Sync>;

/// Configures the webhook listener; [`listen`] is `Listener::new(secret).bind(addr)`.
#[must_use]
pub struct Listener {
    verifier: Verifier,
    buffer: usize,
    remember: usize,
    max_connections: usize,
    request_timeout: Duration,
    report: Report,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("verifier", &self.verifier)
            .field("buffer", &self.buffer)
            .field("remember", &self.remember)
            .field("max_connections", &self.max_connections)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// Listens for Zoom webhooks on `addr` with the app's secret token: every delivery is
/// verified ([`Verifier`]), URL validations are answered, and events come out of the
/// returned stream, each once. See [`Listener`] for the limits and how to change them.
pub async fn listen(
    addr: impl ToSocketAddrs,
    secret_token: impl AsRef<[u8]>,
) -> Result<EventStream> {
    Listener::new(secret_token).bind(addr).await
}

impl Listener {
    /// A listener for the app's secret token, with the defaults: [`DEFAULT_BUFFER`],
    /// [`DEFAULT_REMEMBER`], [`DEFAULT_MAX_CONNECTIONS`], [`DEFAULT_REQUEST_TIMEOUT`], the
    /// [`Verifier`]'s body cap and window; refusals reported through `tracing` (warn).
    pub fn new(secret_token: impl AsRef<[u8]>) -> Self {
        Listener {
            verifier: Verifier::new(secret_token),
            buffer: DEFAULT_BUFFER,
            remember: DEFAULT_REMEMBER,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            report: Arc::new(|line: &str| tracing::warn!("{line}")),
        }
    }

    /// Uses this verifier (its secret, body cap and window).
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// Events held for the consumer before deliveries are answered 503 (at least 1).
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// Event identities remembered against redeliveries (at least 1).
    pub fn remember(mut self, events: usize) -> Self {
        self.remember = events.max(1);
        self
    }

    /// Connections open at once (at least 1).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// Time allowed for a request's headers (or an idle kept-alive connection), and then
    /// for its body.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Where refused deliveries are reported instead of `tracing`: one line each (peer
    /// address and reason, never a header value, the body or the secret), at most one a
    /// second, the next one counting those left out, so a flood cannot fill a log.
    pub fn on_refusal(mut self, report: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.report = Arc::new(report);
        self
    }

    /// Binds `addr` and starts serving on the current tokio runtime.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<EventStream> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Connection {
                message: format!("cannot listen: {e}"),
            })?;
        let local_addr = listener.local_addr().map_err(|e| Error::Connection {
            message: format!("cannot listen: {e}"),
        })?;
        let (events, rx) = mpsc::channel(self.buffer);
        let counters = Arc::new(Counters::default());
        let shared = Arc::new(Shared {
            verifier: self.verifier,
            queue: Mutex::new(Queue {
                events,
                seen: Seen::new(self.remember),
            }),
            log: RefusalLog {
                last: Mutex::new(None),
                left_out: AtomicU64::new(0),
                report: self.report,
            },
            request_timeout: self.request_timeout,
            counters: counters.clone(),
        });
        let router = Router::new().fallback(deliver).with_state(shared);
        let (stop, stopped) = watch::channel(false);
        let server = Server {
            limit: Arc::new(Semaphore::new(self.max_connections)),
            request_timeout: self.request_timeout,
        };
        tokio::spawn(server.run(listener, router, stopped));
        Ok(EventStream {
            rx,
            local_addr,
            stop: Arc::new(stop),
            counters,
        })
    }
}

/// The events of a webhook listener, verified and each yielded once, as a
/// `Stream<Item = Result<ParticipantEvent>>`.
///
/// Every event answered 200 is in the stream's buffer first. [`close`](EventStream::close)
/// stops accepting, lets requests in flight finish (3 s at most), and the stream then
/// yields what it holds and ends: drain it to lose nothing acknowledged. Dropping it stops
/// the listener.
#[must_use = "streams do nothing unless polled"]
pub struct EventStream {
    rx: mpsc::Receiver<ParticipantEvent>,
    local_addr: SocketAddr,
    stop: Arc<watch::Sender<bool>>,
    counters: Arc<Counters>,
}

/// Closes an [`EventStream`]'s listener from elsewhere (a signal handler, a task) while
/// the stream itself is being drained; from [`EventStream::close_handle`].
#[derive(Debug, Clone)]
pub struct CloseHandle(Arc<watch::Sender<bool>>);

impl CloseHandle {
    /// As [`EventStream::close`].
    pub fn close(&self) {
        self.0.send_replace(true);
    }
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("local_addr", &self.local_addr)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// What a listener has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenerStats {
    /// Events accepted (answered 200 and buffered).
    pub accepted: u64,
    /// Redeliveries answered 200 and not yielded again.
    pub redeliveries: u64,
    /// Deliveries refused (signature, timestamp, size, JSON, method, timeout).
    pub refused: u64,
    /// Deliveries answered 503 because the buffer was full.
    pub busy: u64,
    /// URL validations answered.
    pub validations: u64,
}

impl EventStream {
    /// The address the listener is bound to (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections and asks open ones to finish; the stream then yields
    /// the events it holds and ends.
    pub fn close(&self) {
        self.stop.send_replace(true);
    }

    /// A handle that closes the listener while the stream is borrowed elsewhere.
    pub fn close_handle(&self) -> CloseHandle {
        CloseHandle(self.stop.clone())
    }

    /// Counts of what the listener has done.
    pub fn stats(&self) -> ListenerStats {
        let c = &self.counters;
        ListenerStats {
            accepted: c.accepted.load(Ordering::Relaxed),
            redeliveries: c.redeliveries.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            busy: c.busy.load(Ordering::Relaxed),
            validations: c.validations.load(Ordering::Relaxed),
        }
    }
}

impl Stream for EventStream {
    type Item = Result<ParticipantEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx).map(|event| event.map(Ok))
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    redeliveries: AtomicU64,
    refused: AtomicU64,
    busy: AtomicU64,
    validations: AtomicU64,
}

struct Shared {
    verifier: Verifier,
    /// The way into the stream and the identities already in it, under one lock: an event
    /// is remembered only once it is in the buffer, so one refused 503 is taken on retry.
    queue: Mutex<Queue>,
    log: RefusalLog,
    request_timeout: Duration,
    counters: Arc<Counters>,
}

struct Queue {
    events: mpsc::Sender<ParticipantEvent>,
    seen: Seen,
}

/// The last `capacity` identities accepted, oldest forgotten first.
struct Seen {
    set: HashSet<EventIdentity>,
    order: VecDeque<EventIdentity>,
    capacity: usize,
}

impl Seen {
    fn new(capacity: usize) -> Self {
        Seen {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn contains(&self, id: &EventIdentity) -> bool {
        self.set.contains(id)
    }

    fn insert(&mut self, id: EventIdentity) {
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        if self.set.insert(id) {
            self.order.push_back(id);
        }
    }
}

/// One line per refusal at most once a second; the next line says how many were left out.
struct RefusalLog {
    last: Mutex<Option<Instant>>,
    left_out: AtomicU64,
    report: Report,
}

impl RefusalLog {
    fn refused(&self, peer: Option<SocketAddr>, why: &str) {
        {
            let mut last = lock(&self.last);
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                self.left_out.fetch_add(1, Ordering::Relaxed);
                return;
            }
            *last = Some(Instant::now());
        }
        let left_out = self.left_out.swap(0, Ordering::Relaxed);
        let more = if left_out > 0 {
            format!(" ({left_out} more refused since the last report)")
        } else {
            String::new()
        };
        let from = peer.map_or_else(|| "?".to_owned(), |p| p.ip().to_string());
        let line = format!("refused a webhook delivery from {from}: {why}{more}");
        (self.report)(&crate::redact::one_line(&line, 300));
    }
}

/// The peer of a connection, put into each of its requests.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

async fn deliver(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response {
    let peer = request.extensions().get::<Peer>().map(|p| p.0);
    let (parts, body) = request.into_parts();
    let refuse = |status: StatusCode, why: &str| {
        shared.counters.refused.fetch_add(1, Ordering::Relaxed);
        shared.log.refused(peer, why);
        answer(status, why)
    };
    if parts.method != Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "only POST is accepted");
    }
    let cap = shared.verifier.body_cap();
    let body = match read_capped(&parts.headers, body, cap, shared.request_timeout).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            let why = Refusal::BodyTooLarge { limit: cap }.to_string();
            let mut response = refuse(StatusCode::PAYLOAD_TOO_LARGE, &why);
            // The rest of the body is never read: the connection cannot be reused.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Err(BodyError::Slow) => {
            return refuse(StatusCode::REQUEST_TIMEOUT, "the body came too slowly");
        }
        Err(BodyError::Broken) => {
            return refuse(StatusCode::BAD_REQUEST, "the body could not be read");
        }
    };
    let delivery = match shared.verifier.verify(&parts.headers, &body) {
        Ok(delivery) => delivery,
        Err(Error::Webhook(refusal)) => {
            let status =
                StatusCode::from_u16(refusal.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
            return refuse(status, &refusal.to_string());
        }
        Err(other) => return refuse(StatusCode::BAD_REQUEST, &other.to_string()),
    };
    let event = match delivery {
        Delivery::Event(event) => *event,
        validation => {
            shared.counters.validations.fetch_add(1, Ordering::Relaxed);
            let json = validation.response_body().unwrap_or_default();
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                json,
            )
                .into_response();
        }
    };
    let id = event.identity();
    let mut queue = lock(&shared.queue);
    if queue.seen.contains(&id) {
        shared.counters.redeliveries.fetch_add(1, Ordering::Relaxed);
        return StatusCode::OK.into_response();
    }
    match queue.events.try_send(event) {
        Ok(()) => {
            queue.seen.insert(id);
            shared.counters.accepted.fetch_add(1, Ordering::Relaxed);
            StatusCode::OK.into_response()
        }
        Err(_) => {
            drop(queue);
            shared.counters.busy.fetch_add(1, Ordering::Relaxed);
            let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, "busy: retry later");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

fn answer(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

enum BodyError {
    TooLarge,
    Slow,
    Broken,
}

/// The body, if it is at most `cap` bytes and arrives within `timeout`; a declared length
/// over the cap is refused before a byte of it is read.
async fn read_capped(
    headers: &HeaderMap,
    body: Body,
    cap: usize,
    timeout: Duration,
) -> std::result::Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut out = Vec::with_capacity(declared.map_or(4096, |n| n as usize).min(cap));
    let mut chunks = body.into_data_stream();
    let read = async {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| BodyError::Broken)?;
            if out.len() + chunk.len() > cap {
                return Err(BodyError::TooLarge);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(())
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(())) => Ok(out),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(BodyError::Slow),
    }
}

/// The accept loop and its connections.
struct Server {
    limit: Arc<Semaphore>,
    request_timeout: Duration,
}

impl Server {
    async fn run(self, listener: TcpListener, router: Router, mut stopped: watch::Receiver<bool>) {
        let mut connections = JoinSet::new();
        let stop_signal = stopped.clone();
        loop {
            tokio::select! {
                changed = stopped.changed() => {
                    if changed.is_err() || *stopped.borrow() {
                        break;
                    }
                }
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        // Over the cap the connection is closed at once: a flood costs a
                        // socket for a moment, not a task and buffers.
                        let Ok(permit) = self.limit.clone().try_acquire_owned() else {
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        let connection = serve_connection(
                            stream,
                            peer,
                            router.clone(),
                            self.request_timeout,
                            stop_signal.clone(),
                        );
                        connections.spawn(async move {
                            connection.await;
                            drop(permit);
                        });
                    }
                    // Out of descriptors, say: wait a little rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop(listener);
        drop(router);
        let drained = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(GRACE, drained).await.is_err() {
            connections.shutdown().await;
        }
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    timeout: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    use hyper::service::Service as _;
    let app = hyper_util::service::TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(Peer(peer));
        let response = app.call(request);
        async move { Ok::<_, Infallible>(response.await.unwrap_or_else(|e| match e {})) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(timeout)
        // hyper would buffer up to ~400 KiB of a request head; Zoom's are under 2 KiB. With
        // the body cap this bounds a connection to about 128 KiB, the listener to
        // max_connections times that.
        .max_buf_size(HEAD_BUFFER)
        .keep_alive(true);
    let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(connection);
    if *stopped.borrow() {
        connection.as_mut().graceful_shutdown();
    }
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = stopped.wait_for(|stop| *stop) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}
