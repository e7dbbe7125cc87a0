//! The binary against hostile servers and hostile surroundings: every failure one clean
//! line with the right exit code, nothing lost, nothing leaked.

mod common;

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zoom_participants::fake::FakeZoom;

use common::{PARTICIPANTS_PATH, TOKEN, WEBINAR, page_body, participants};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_zoom-participants")
}

fn command(base_url: &str, token: &str) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_clear()
        .env("ZOOM_BASE_URL", base_url)
        .env("ZOOM_ACCESS_TOKEN", token)
        .env("ZOOM_RATE_LIMIT", "off")
        .kill_on_drop(true);
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the CLI finishes")
        .expect("the CLI starts")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn rows(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn fake() -> FakeZoom {
    FakeZoom::builder()
        .webinar(WEBINAR, 700)
        .start()
        .await
        .unwrap()
}

/// Serves page 1 (no token) with `next` as its `next_page_token`, and `second` for it.
async fn two_pages(next: &str, second: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .and(query_param_is_missing("next_page_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_body(
            &participants(0..3),
            next,
            6,
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .and(query_param("next_page_token", next))
        .respond_with(second)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_closed_stdout_is_exit_1_with_one_line_not_a_quiet_success() {
    let zoom = fake().await;
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "exec \"$0\" \"$@\" >&-", bin(), "--webinar", WEBINAR])
        .env_clear()
        .env("ZOOM_BASE_URL", zoom.base_url())
        .env("ZOOM_ACCESS_TOKEN", zoom.access_token());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the output"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_closed_stderr_keeps_the_documented_exit_code() {
    let zoom = fake().await;
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "exec \"$0\" \"$@\" 2>&-",
        bin(),
        "--webinar",
        "404404",
    ])
    .env_clear()
    .env("ZOOM_BASE_URL", zoom.base_url())
    .env("ZOOM_ACCESS_TOKEN", zoom.access_token());
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(5), "not found, not a panic's 101");
}

#[tokio::test]
async fn server_text_with_control_characters_is_one_escaped_line() {
    let body = json!({"code": 300, "message": "bad\nline\u{1b}[31m red\u{7} and the token test-access-token-8f3a"});
    let server = two_pages("tok-1", ResponseTemplate::new(400).set_body_json(body)).await;
    let mut cmd = command(&format!("{}/v2", server.uri()), TOKEN);
    cmd.args(["--webinar", WEBINAR]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains(r"bad\nline\u{1b}[31m red\u{7}"), "{err}");
    assert!(!err.contains(TOKEN), "{err}");
    assert_eq!(rows(&out).len(), 3, "page 1 is written whole");
}

#[tokio::test]
async fn the_resume_hint_is_shell_quoted_and_never_replays_a_repeated_token() {
    let hostile = "a b;echo x";
    let server = two_pages(
        hostile,
        ResponseTemplate::new(400)
            .set_body_json(json!({"code": 3000, "message": "Cannot access webinar info."})),
    )
    .await;
    let mut cmd = command(&format!("{}/v2", server.uri()), TOKEN);
    cmd.args(["--webinar", WEBINAR]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .trim_end()
            .ends_with("--resume-from 'a b;echo x'"),
        "{}",
        stderr(&out)
    );

    // Zoom hands back the token it just served: the hint would replay that page.
    let server = two_pages(
        "t1",
        ResponseTemplate::new(200).set_body_json(page_body(&participants(3..6), "t1", 6)),
    )
    .await;
    let mut cmd = command(&format!("{}/v2", server.uri()), TOKEN);
    cmd.args(["--webinar", WEBINAR]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("repeated"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("--resume-from"), "{}", stderr(&out));
    assert_eq!(rows(&out).len(), 6, "both pages are written once");

    // Zoom says the token is dead (400/300): resuming with it would only fail again.
    let server = two_pages(
        hostile,
        ResponseTemplate::new(400).set_body_json(
            json!({"code": 300, "message": "The next page token is invalid or expired."}),
        ),
    )
    .await;
    let mut cmd = command(&format!("{}/v2", server.uri()), TOKEN);
    cmd.args(["--webinar", WEBINAR]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: Zoom answered HTTP 400 (code 300): The next page token is invalid or expired.\n"
    );
    assert_eq!(rows(&out).len(), 3);
}

#[tokio::test]
async fn odd_rows_survive_pass_through_and_csv() {
    let server = MockServer::start().await;
    let body = r#"{"next_page_token":"","participants":[
        {"id":"a","user_name":"Ann \ud83d","big":123456789012345678901234567890,"huge":1e400,"webinar_id":"zoom's own"},
        {"id":"b","user_name":42}
    ]}"#;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let base = format!("{}/v2", server.uri());
    let mut cmd = command(&base, TOKEN);
    cmd.args(["--webinar", WEBINAR]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        text,
        "{\"id\":\"a\",\"user_name\":\"Ann \\ud83d\",\"big\":123456789012345678901234567890,\"huge\":1e400,\"webinar_id\":\"zoom's own\"}\n{\"id\":\"b\",\"user_name\":42}\n",
        "each row as Zoom sent it"
    );

    // Tagged: one key per name, Zoom's value kept.
    let mut cmd = command(&base, TOKEN);
    cmd.args(["--webinar", WEBINAR, "--webinar", "other"]);
    let out = output(cmd).await;
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let first = text.lines().find(|l| l.contains("\"id\":\"a\"")).unwrap();
    assert_eq!(
        first,
        format!(
            "{{\"webinar_id\":\"{WEBINAR}\",\"id\":\"a\",\"user_name\":\"Ann \\ud83d\",\"big\":123456789012345678901234567890,\"huge\":1e400,\"zoom_webinar_id\":\"zoom's own\"}}"
        )
    );

    let mut cmd = command(&base, TOKEN);
    cmd.args(["--webinar", WEBINAR, "--format", "csv"]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&records[0][col("user_name")], "Ann \u{fffd}");
    assert_eq!(&records[1][col("user_name")], "42");
    let raw_extra = &records[0][col("extra")];
    assert!(
        raw_extra.contains("123456789012345678901234567890") && raw_extra.contains("1e400"),
        "{raw_extra}"
    );
}

#[tokio::test]
async fn an_id_file_with_a_bom_and_crlf_is_read_as_meant() {
    let zoom = FakeZoom::builder()
        .webinar("111", 2)
        .webinar("222", 3)
        .start()
        .await
        .unwrap();
    let file = std::env::temp_dir().join(format!("ids-{}.txt", std::process::id()));
    std::fs::write(&file, "\u{feff}111\r\n# a comment\r\n  222  \r\n\r\n").unwrap();
    let mut cmd = command(&zoom.base_url(), zoom.access_token());
    cmd.args(["--webinars-from", file.to_str().unwrap()]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut paths: Vec<String> = zoom.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/v2/metrics/webinars/111/participants",
            "/v2/metrics/webinars/222/participants"
        ]
    );
    assert_eq!(rows(&out).len(), 5);
}

#[tokio::test]
async fn mixed_fan_out_failures_exit_1_whatever_their_order_and_alike_ones_keep_their_code() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/metrics/webinars/404/participants"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"code": 3001, "message": "not there"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/metrics/webinars/4042/participants"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"code": 3001, "message": "not there"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/metrics/webinars/403/participants"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"code": 4700, "message": "no scope"})),
        )
        .mount(&server)
        .await;
    let base = format!("{}/v2", server.uri());
    for (ids, code) in [
        (["404", "4042"], 5),
        (["404", "403"], 1),
        (["403", "404"], 1),
    ] {
        let mut cmd = command(&base, TOKEN);
        cmd.args(["--webinar", ids[0], "--webinar", ids[1]]);
        let out = output(cmd).await;
        assert_eq!(out.status.code(), Some(code), "{ids:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).lines().count(),
            3,
            "a line each and a closing one"
        );
    }
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_a_network_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let out = output({
        let mut cmd = Command::new(bin());
        cmd.env_clear()
            .env("ZOOM_ACCOUNT_ID", "acct")
            .env("ZOOM_CLIENT_ID", "client")
            .env("ZOOM_CLIENT_SECRET", "very-secret-value")
            .args([
                "--webinar",
                WEBINAR,
                "--base-url",
                &format!("http://{closed}/v2"),
                "--token-url",
                &format!("http://{closed}/oauth/token"),
                "--rate-limit",
                "off",
            ]);
        cmd
    })
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!stderr(&out).contains("very-secret-value"));
}

#[tokio::test]
async fn a_full_disk_keeps_whole_rows_and_the_rerun_finishes_the_exact_file() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 3_000)
        .start()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("zoom-full-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reference = dir.join("reference");
    let target = dir.join("export");
    let mut cmd = command(&zoom.base_url(), zoom.access_token());
    cmd.args([
        "--webinar",
        WEBINAR,
        "--page-size",
        "100",
        "--output",
        reference.to_str().unwrap(),
    ]);
    assert!(output(cmd).await.status.success());
    // ulimit -f counts 1024-byte blocks: the export (several MB) cannot fit in 600 KB.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "ulimit -f 600; exec \"$0\" \"$@\"",
        bin(),
        "--webinar",
        WEBINAR,
        "--page-size",
        "100",
        "--output",
        target.to_str().unwrap(),
    ])
    .env_clear()
    .env("ZOOM_BASE_URL", zoom.base_url())
    .env("ZOOM_ACCESS_TOKEN", zoom.access_token())
    .env("ZOOM_RATE_LIMIT", "off");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("run the same command again"),
        "{}",
        stderr(&out)
    );
    assert!(!target.exists());
    let mut cmd = command(&zoom.base_url(), zoom.access_token());
    cmd.args([
        "--webinar",
        WEBINAR,
        "--page-size",
        "100",
        "--output",
        target.to_str().unwrap(),
    ]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&reference).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn memory_stays_bounded_by_the_client_whatever_the_page_holds() {
    // A 30 MiB page (under the 32 MiB cap) of 9,000 rows, then a next page that never comes:
    // while the CLI waits for it, its peak memory is read from /proc.
    let row = format!(r#"{{"id":"x","user_name":"{}"}}"#, "n".repeat(3_600));
    let rows = vec![row.as_str(); 9_000].join(",");
    let body = format!(r#"{{"next_page_token":"t2","participants":[{rows}]}}"#);
    assert!(body.len() > 30 << 20 && body.len() < 32 << 20);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .and(query_param_is_missing("next_page_token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(PARTICIPANTS_PATH))
        .and(query_param("next_page_token", "t2"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(120)))
        .mount(&server)
        .await;
    let mut child = command(&format!("{}/v2", server.uri()), TOKEN)
        .args(["--webinar", WEBINAR])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut peak_kib = 0u64;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        peak_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(peak_kib);
        let asked = server.received_requests().await.unwrap_or_default().len();
        if asked >= 2 {
            break;
        }
    }
    let _ = child.start_kill();
    eprintln!("peak RSS of the CLI: {peak_kib} KiB");
    assert!(peak_kib > 0, "read the child's peak memory");
    assert!(peak_kib < 256 * 1024, "peak RSS {peak_kib} KiB");
}

#[tokio::test]
async fn the_rate_limit_flag_holds_in_every_one_second_window_and_wins_over_the_variable() {
    let zoom = FakeZoom::builder()
        .webinar(WEBINAR, 45)
        .start()
        .await
        .unwrap();
    let mut cmd = command(&zoom.base_url(), zoom.access_token());
    cmd.env("ZOOM_RATE_LIMIT", "1000").args([
        "--webinar",
        WEBINAR,
        "--page-size",
        "1",
        "--rate-limit",
        "15",
    ]);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let times: Vec<std::time::Instant> = zoom.requests().into_iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 45);
    let busiest = times
        .iter()
        .map(|start| {
            times
                .iter()
                .filter(|t| **t >= *start && t.duration_since(*start) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap();
    assert!(busiest <= 16, "{busiest} requests in one second at 15/s");
    assert!(busiest >= 10, "the limit is used, not undercut: {busiest}");
}
