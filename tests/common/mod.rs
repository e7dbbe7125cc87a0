//! Helpers shared by the wiremock tests: scripted Zoom pages and a client pointed at them.
#![allow(dead_code)]

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::{Client, RateLimit, RetryPolicy};

pub const TOKEN: &str = "test-access-token-8f3a";
pub const WEBINAR: &str = "95204914252";
pub const PARTICIPANTS_PATH: &str = "/v2/metrics/webinars/95204914252/participants";

/// A participant as Zoom would send it; statuses and roles cycle so filters have work.
pub fn participant(i: usize) -> Value {
    json!({
        "id": format!("id-{i}"),
        "user_id": format!("{}", 16778240 + i),
        "user_name": format!("User {i}"),
        "device": "Windows",
        "ip_address": "10.0.0.1",
        "join_time": "2019-09-07T13:15:02.837Z",
        "leave_time": "2019-09-07T14:15:02Z",
        "status": (["in_meeting", "in_waiting_room", "in_meeting"][i % 3]),
        "role": (["attendee", "panelist", "host", "attendee"][i % 4]),
        "share_desktop": i.is_multiple_of(2),
        "audio_quality": "good",
        "email": ""
    })
}

/// Participants `range` as JSON.
pub fn participants(range: std::ops::Range<usize>) -> Vec<Value> {
    range.map(participant).collect()
}

pub fn page_body(items: &[Value], next: &str, total: usize) -> Value {
    json!({
        "page_count": 1,
        "page_size": items.len(),
        "total_records": total,
        "next_page_token": next,
        "participants": items,
    })
}

/// The token that leads to page `index` (0-based) of a scripted webinar.
pub fn token_for(index: usize) -> String {
    format!("tok-{index}")
}

/// Serves `pages` at the webinar's path: page 0 without a token, page i at `tok-i`.
pub async fn mount_pages(server: &MockServer, pages: &[Vec<Value>]) {
    let total = pages.iter().map(Vec::len).sum();
    for (i, items) in pages.iter().enumerate() {
        let next = if i + 1 < pages.len() {
            token_for(i + 1)
        } else {
            String::new()
        };
        let body = page_body(items, &next, total);
        let mock = Mock::given(method("GET")).and(path(PARTICIPANTS_PATH));
        let mock = if i == 0 {
            mock.and(query_param_is_missing("next_page_token"))
        } else {
            mock.and(query_param("next_page_token", token_for(i)))
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
}

/// A client for the mock server, without rate limit and with quick retries.
pub fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(format!("{}/v2", server.uri()))
        .bearer_token(TOKEN)
        .rate_limit(RateLimit::unlimited())
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(std::time::Duration::from_millis(5))
                .max_backoff(std::time::Duration::from_millis(20)),
        )
        .build()
        .expect("a valid test client")
}

/// A client for the fake Zoom, without rate limit.
#[cfg(feature = "fake")]
pub fn fake_client(zoom: &zoom_participants::fake::FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .rate_limit(RateLimit::unlimited())
        .build()
        .expect("a valid fake client")
}

/// The query of every request the server received, as `key=value` pairs in order.
pub async fn queries(server: &MockServer) -> Vec<Vec<(String, String)>> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .collect()
}

/// `key=value` pairs from string slices.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The JSON of participants as the crate re-serializes them.
pub fn as_json<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .map(|p| serde_json::to_value(p).unwrap())
        .collect()
}

/// Participant JSON with `join_time`/`leave_time` as the crate writes instants back.
pub fn normalized(values: Vec<Value>) -> Vec<Value> {
    values
        .into_iter()
        .map(|mut v| {
            for key in ["join_time", "leave_time"] {
                if let Some(Value::String(t)) = v.get(key) {
                    let parsed: chrono::DateTime<chrono::Utc> = t.parse().unwrap();
                    v[key] = serde_json::to_value(parsed).unwrap();
                }
            }
            v
        })
        .collect()
}

/// A raw HTTP/1.1 server on 127.0.0.1 for answers wiremock cannot script (state across
/// requests, paused time): each connection gets one answer, then is closed.
pub struct RawServer {
    pub addr: std::net::SocketAddr,
    /// The request target (path and query) of every request, in order.
    pub targets: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RawServer {
    /// The API base to give `ClientBuilder::base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a [`RawServer`] on the current runtime; `respond` maps a request target to the
/// whole response (see [`http_response`]).
pub async fn raw_server<F>(respond: F) -> RawServer
where
    F: Fn(&str) -> Vec<u8> + Send + Sync + 'static,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let targets = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let respond = std::sync::Arc::new(respond);
    let log = targets.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let respond = respond.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head);
                let target = text.split(' ').nth(1).unwrap_or("").to_owned();
                log.lock().unwrap().push(target.clone());
                let answer = respond(&target);
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    RawServer {
        addr,
        targets,
        task,
    }
}

/// A complete HTTP/1.1 response that closes the connection.
pub fn http_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}
