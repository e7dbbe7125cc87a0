//! `webhook::listen` with a real HTTP client (reqwest) and raw sockets.
#![cfg(feature = "webhook")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zoom_participants::webhook::{EventKind, EventStream, Listener, Verifier, listen};

const SECRET: &str = "listen-secret-5d1e";

fn joined(n: u64) -> String {
    format!(
        r#"{{"event":"webinar.participant_joined","event_ts":{},"payload":{{"account_id":"acc","object":{{"uuid":"inst==","id":"95204914252","topic":"T","participant":{{"user_id":"{n}","user_name":"Person {n}","participant_uuid":"pu-{n}","join_time":"2026-01-01T12:00:00Z"}}}}}}}}"#,
        1_767_268_800_000 + n
    )
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

async fn post(client: &reqwest::Client, addr: SocketAddr, body: &str, timestamp: &str) -> u16 {
    let signature = Verifier::new(SECRET).sign(timestamp, body.as_bytes());
    post_signed(client, addr, body, timestamp, &signature).await
}

async fn post_signed(
    client: &reqwest::Client,
    addr: SocketAddr,
    body: &str,
    timestamp: &str,
    signature: &str,
) -> u16 {
    client
        .post(format!("http://{addr}/zoom/webhook"))
        .header("x-zm-request-timestamp", timestamp)
        .header("x-zm-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("the listener answers")
        .status()
        .as_u16()
}

/// The participant user IDs of the next `n` events, failing if they take over 5 s.
async fn next_ids(events: &mut EventStream, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("an event in time")
            .expect("the stream goes on")
            .expect("an event");
        ids.push(event.participant.user_id.unwrap_or_default());
    }
    ids
}

/// Nothing is waiting in the stream.
async fn assert_nothing_yielded(events: &mut EventStream) {
    let next = tokio::time::timeout(Duration::from_millis(200), events.next()).await;
    assert!(next.is_err(), "unexpected: {next:?}");
}

#[tokio::test]
async fn url_validation_is_answered() {
    let events = listen("127.0.0.1:0", SECRET).await.expect("bound");
    let body = r#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let ts = now();
    let response = reqwest::Client::new()
        .post(format!("http://{}/", events.local_addr()))
        .header("x-zm-request-timestamp", &ts)
        .header(
            "x-zm-signature",
            Verifier::new(SECRET).sign(&ts, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let json: serde_json::Value =
        serde_json::from_slice(&response.bytes().await.expect("a body")).expect("JSON");
    // hex(HMAC-SHA256("listen-secret-5d1e", "qgg8vlvZRS6UYooatFL8Aw")), from Python's hmac.
    assert_eq!(
        json,
        serde_json::json!({
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": "420a7418c3db270396068bbafaa59c917faa9eb0bdcdfeaca60e952a040ad3bf"
        })
    );
    assert_eq!(events.stats().validations, 1);
}

#[tokio::test]
async fn fifty_signed_events_come_out_in_order_each_once() {
    let mut events = listen("127.0.0.1:0", SECRET).await.expect("bound");
    let addr = events.local_addr();
    let client = reqwest::Client::new();
    for n in 0..50 {
        assert_eq!(post(&client, addr, &joined(n), &now()).await, 200);
    }
    let ids = next_ids(&mut events, 50).await;
    assert_eq!(ids, (0..50).map(|n| n.to_string()).collect::<Vec<_>>());
    assert_nothing_yielded(&mut events).await;
    assert_eq!(events.stats().accepted, 50);
}

#[tokio::test]
async fn forged_and_stale_deliveries_are_refused_and_yield_nothing() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = lines.clone();
    let mut events = Listener::new(SECRET)
        .on_refusal(move |line| seen.lock().expect("lock").push(line.to_owned()))
        .bind("127.0.0.1:0")
        .await
        .expect("bound");
    let addr = events.local_addr();
    let client = reqwest::Client::new();
    let body = joined(1);
    let forged = Verifier::new("not-the-secret").sign(&now(), body.as_bytes());
    assert_eq!(
        post_signed(&client, addr, &body, &now(), &forged).await,
        401
    );
    let stale = (chrono::Utc::now().timestamp() - 301).to_string();
    assert_eq!(post(&client, addr, &body, &stale).await, 401);
    let future = (chrono::Utc::now().timestamp() + 400).to_string();
    assert_eq!(post(&client, addr, &body, &future).await, 401);
    let unsigned = client
        .post(format!("http://{addr}/"))
        .body(body.clone())
        .send()
        .await
        .expect("answered");
    assert_eq!(unsigned.status(), 401);
    for _ in 0..30 {
        assert_eq!(
            post_signed(&client, addr, &body, &now(), &forged).await,
            401
        );
    }
    assert_nothing_yielded(&mut events).await;
    assert_eq!(events.stats().refused, 34);
    assert_eq!(events.stats().accepted, 0);
    let lines = lines.lock().expect("lock").clone();
    assert!(
        (1..=2).contains(&lines.len()),
        "at most one line a second: {lines:?}"
    );
    assert_eq!(
        lines[0],
        "refused a webhook delivery from 127.0.0.1: the x-zm-signature does not match the body"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.contains(SECRET) && !l.contains(&forged))
    );
}

#[tokio::test]
async fn a_redelivery_is_yielded_once() {
    let mut events = listen("127.0.0.1:0", SECRET).await.expect("bound");
    let addr = events.local_addr();
    let client = reqwest::Client::new();
    assert_eq!(post(&client, addr, &joined(7), &now()).await, 200);
    // Zoom's retry: the same event, signed again at another time.
    let later = (chrono::Utc::now().timestamp() + 2).to_string();
    assert_eq!(post(&client, addr, &joined(7), &later).await, 200);
    assert_eq!(post(&client, addr, &joined(8), &now()).await, 200);
    assert_eq!(next_ids(&mut events, 2).await, ["7", "8"]);
    assert_nothing_yielded(&mut events).await;
    assert_eq!(events.stats().redeliveries, 1);
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_and_the_next_good_event_passes() {
    let mut events = listen("127.0.0.1:0", SECRET).await.expect("bound");
    let addr = events.local_addr();
    let client = reqwest::Client::new();
    let huge = format!(
        r#"{{"event":"webinar.participant_joined","event_ts":1,"payload":{{"pad":"{}"}}}}"#,
        "x".repeat(10 << 20)
    );
    let ts = now();
    let signature = Verifier::new(SECRET).sign(&ts, huge.as_bytes());
    let answer = client
        .post(format!("http://{addr}/"))
        .header("x-zm-request-timestamp", &ts)
        .header("x-zm-signature", signature)
        .body(huge)
        .send()
        .await;
    // 413 before the body is read; a client still sending may see the connection close
    // instead. Either way nothing is taken.
    if let Ok(response) = answer {
        assert_eq!(response.status(), 413);
    }
    // The same body without a Content-Length (chunked) is cut at the cap too.
    let chunks =
        futures::stream::iter((0..160).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024])));
    let chunked = client
        .post(format!("http://{addr}/"))
        .header("x-zm-request-timestamp", now())
        .header("x-zm-signature", "v0=00")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    if let Ok(response) = chunked {
        assert_eq!(response.status(), 413);
    }
    assert_eq!(post(&client, addr, &joined(9), &now()).await, 200);
    assert_eq!(next_ids(&mut events, 1).await, ["9"]);
    assert_nothing_yielded(&mut events).await;
}

#[tokio::test]
async fn a_slow_consumer_gets_503_and_the_retry_is_yielded_once() {
    let mut events = Listener::new(SECRET)
        .buffer(2)
        .bind("127.0.0.1:0")
        .await
        .expect("bound");
    let addr = events.local_addr();
    let client = reqwest::Client::new();
    assert_eq!(post(&client, addr, &joined(1), &now()).await, 200);
    assert_eq!(post(&client, addr, &joined(2), &now()).await, 200);
    // The consumer has taken nothing: the third waits for Zoom's retry.
    assert_eq!(post(&client, addr, &joined(3), &now()).await, 503);
    assert_eq!(events.stats().busy, 1);
    assert_eq!(next_ids(&mut events, 2).await, ["1", "2"]);
    assert_eq!(post(&client, addr, &joined(3), &now()).await, 200);
    assert_eq!(post(&client, addr, &joined(3), &now()).await, 200);
    assert_eq!(next_ids(&mut events, 1).await, ["3"]);
    assert_nothing_yielded(&mut events).await;
}

async fn read_all(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn garbage_and_wrong_methods_are_refused_without_harm() {
    let mut events = listen("127.0.0.1:0", SECRET).await.expect("bound");
    let addr = events.local_addr();
    for garbage in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"\xff\xfe\xfd\r\n\r\n",
    ] {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(garbage).await.expect("write");
        let answer = read_all(&mut stream).await;
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{garbage:?}: {answer}"
        );
    }
    let client = reqwest::Client::new();
    let get = client
        .get(format!("http://{addr}/"))
        .send()
        .await
        .expect("answered");
    assert_eq!(get.status(), 405);
    let signed_garbage = "\u{1}not json";
    assert_eq!(post(&client, addr, signed_garbage, &now()).await, 400);
    assert_eq!(post(&client, addr, &joined(4), &now()).await, 200);
    assert_eq!(next_ids(&mut events, 1).await, ["4"]);
    assert_nothing_yielded(&mut events).await;
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_do_not_hold_up_others() {
    let mut events = Listener::new(SECRET)
        .request_timeout(Duration::from_millis(500))
        .bind("127.0.0.1:0")
        .await
        .expect("bound");
    let addr = events.local_addr();
    // Headers that never end.
    let mut slow_headers = TcpStream::connect(addr).await.expect("connect");
    slow_headers
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // A body that never comes.
    let mut slow_body = TcpStream::connect(addr).await.expect("connect");
    slow_body
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"event\"")
        .await
        .expect("write");
    // Meanwhile a good delivery goes through at once.
    let client = reqwest::Client::new();
    assert_eq!(post(&client, addr, &joined(5), &now()).await, 200);
    assert_eq!(next_ids(&mut events, 1).await, ["5"]);
    let started = std::time::Instant::now();
    let headers_answer = read_all(&mut slow_headers).await;
    assert!(
        headers_answer.is_empty() || headers_answer.starts_with("HTTP/1.1 408"),
        "{headers_answer}"
    );
    let body_answer = read_all(&mut slow_body).await;
    assert!(body_answer.starts_with("HTTP/1.1 408"), "{body_answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_nothing_yielded(&mut events).await;
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let mut events = Listener::new(SECRET)
        .max_connections(2)
        .bind("127.0.0.1:0")
        .await
        .expect("bound");
    let addr = events.local_addr();
    let _a = TcpStream::connect(addr).await.expect("connect");
    let _b = TcpStream::connect(addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(addr).await.expect("connect");
    let _ = third.write_all(b"GET / HTTP/1.1\r\n\r\n").await;
    assert_eq!(read_all(&mut third).await, "", "closed unanswered");
    drop((_a, _b));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::new();
    assert_eq!(post(&client, addr, &joined(6), &now()).await, 200);
    assert_eq!(next_ids(&mut events, 1).await, ["6"]);
}

#[tokio::test]
async fn close_yields_every_acknowledged_event_then_ends() {
    let mut events = listen("127.0.0.1:0", SECRET).await.expect("bound");
    let addr = events.local_addr();
    let client = reqwest::Client::new();
    for n in 0..20 {
        assert_eq!(post(&client, addr, &joined(n), &now()).await, 200);
    }
    events.close();
    let mut ids = Vec::new();
    while let Some(event) = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("ends in time")
    {
        let event = event.expect("an event");
        assert_eq!(event.kind, EventKind::Joined);
        ids.push(event.participant.user_id.unwrap_or_default());
    }
    assert_eq!(ids, (0..20).map(|n| n.to_string()).collect::<Vec<_>>());
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn a_huge_request_head_is_refused_and_the_next_event_passes() {
    let mut events = listen("127.0.0.1:0", SECRET).await.expect("bound");
    let addr = events.local_addr();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(200 * 1024)
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let answer = read_all(&mut stream).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    let client = reqwest::Client::new();
    assert_eq!(post(&client, addr, &joined(11), &now()).await, 200);
    assert_eq!(next_ids(&mut events, 1).await, ["11"]);
}
