//! The fake Zoom's Dashboard webinar list (`GET /v2/metrics/webinars`), spoken to with
//! plain reqwest so the fake's own behaviour is what is tested.
#![cfg(feature = "fake")]

use std::collections::HashSet;
use std::time::Duration;

use chrono::NaiveDate;
use futures::TryStreamExt;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use zoom_participants::Client;
use zoom_participants::fake::{FakeWebinar, FakeZoom};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// One list request with `query`; the answer's status, headers and JSON body.
async fn list(zoom: &FakeZoom, query: &[(&str, &str)]) -> (StatusCode, HeaderMap, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/metrics/webinars", zoom.base_url()))
        .bearer_auth(zoom.access_token())
        .query(query)
        .send()
        .await
        .expect("fake answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

/// Every webinar of one window, following the tokens with pages of `page_size`.
async fn list_window(zoom: &FakeZoom, from: &str, to: &str, page_size: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let mut query = vec![
            ("type", "past"),
            ("from", from),
            ("to", to),
            ("page_size", page_size),
        ];
        if !token.is_empty() {
            query.push(("next_page_token", &token));
        }
        let (status, _, body) = list(zoom, &query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["from"], from);
        assert_eq!(body["to"], to);
        all.extend(
            body["webinars"]
                .as_array()
                .expect("webinars")
                .iter()
                .cloned(),
        );
        token = body["next_page_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if token.is_empty() {
            return all;
        }
    }
}

fn uuids(webinars: &[Value]) -> Vec<&str> {
    webinars.iter().filter_map(|w| w["uuid"].as_str()).collect()
}

#[tokio::test]
async fn a_quarter_listed_month_by_month_returns_each_webinar_once() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    let mut all = Vec::new();
    for (from, to) in [
        ("2026-01-01", "2026-01-31"),
        ("2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-31"),
    ] {
        all.extend(list_window(&zoom, from, to, "2").await);
    }
    let expected = zoom.expected_webinars(day("2026-01-01"), day("2026-03-31"));
    assert_eq!(expected.len(), 10);
    assert_eq!(all, expected);
    let distinct: HashSet<_> = uuids(&all).into_iter().collect();
    assert_eq!(distinct.len(), all.len(), "no webinar twice");
    let outside = ["Yr0x8dC1T0qd1bOw3bYb5A==", "Ap0rI1lF2oO3lS4dA5yY6z=="];
    assert!(uuids(&all).iter().all(|u| !outside.contains(u)));
    assert_eq!(zoom.list_requests().len(), 2 + 2 + 2);
    assert!(
        zoom.requests().is_empty(),
        "list requests are not participants requests"
    );
}

#[tokio::test]
async fn boundary_instances_land_in_the_window_of_their_utc_start_date() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    let january = list_window(&zoom, "2026-01-01", "2026-01-31", "300").await;
    let february = list_window(&zoom, "2026-02-01", "2026-02-28", "300").await;
    let march = list_window(&zoom, "2026-03-01", "2026-03-31", "300").await;
    assert_eq!(
        uuids(&january),
        [
            "NyA0mzT1Q2e3r4t5y6u7iA==",
            "k1Zq7mVHR0a4bP+c9dE2fg==",
            "Ab3dEf6hIj9kLm2nOp5qRs==",
            "/mEc8Jn0RQeKk0b1mZ2x3A==", // 2026-01-31T23:30Z
        ]
    );
    assert_eq!(
        uuids(&february),
        [
            "kq3//Wz9TkuZ1pXy7Lm0bQ==", // 2026-02-01T00:00Z
            "Tz4uV5wX6yZ7aB8cD9eF0g==",
            "Pq1rS2tU3vW4xY5zA6bC7d==",
        ]
    );
    assert_eq!(
        uuids(&march),
        [
            "Qr+7aP2bT0yXc4e/5fGh1w==", // 2026-03-01T00:00Z
            "Hm8nJ9kL0mN1oP2qR3sT4u==",
            "//Zx9yW8vU7tS6rQ5pO4nA==", // 2026-03-31T23:30Z
        ]
    );
    // A one-day window on the boundary.
    let first_of_feb = list_window(&zoom, "2026-02-01", "2026-02-01", "30").await;
    assert_eq!(uuids(&first_of_feb), ["kq3//Wz9TkuZ1pXy7Lm0bQ=="]);
}

#[tokio::test]
async fn pages_have_zooms_envelope_and_page_size_rules() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    let query = [
        ("type", "past"),
        ("from", "2026-01-01"),
        ("to", "2026-01-31"),
    ];
    let (status, _, body) = list(&zoom, &query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["page_size"], 30, "Zoom's default");
    assert_eq!(body["page_count"], 1);
    assert_eq!(body["total_records"], 4);
    assert_eq!(body["next_page_token"], "");
    let (_, _, body) = list(&zoom, &[&query[..], &[("page_size", "1000")]].concat()).await;
    assert_eq!(body["page_size"], 300, "capped");
    let (status, _, body) = list(&zoom, &[&query[..], &[("page_size", "0")]].concat()).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(300))
    );
    let (_, _, body) = list(&zoom, &[&query[..], &[("page_size", "3")]].concat()).await;
    assert_eq!(body["page_count"], 2);
    assert_eq!(body["webinars"].as_array().map(Vec::len), Some(3));

    // Zoom's default type is `live`: nothing of January 2026 is in progress.
    let (status, _, body) = list(&zoom, &query[1..]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total_records"], 0);

    let response = reqwest::Client::new()
        .get(format!("{}/metrics/webinars", zoom.base_url()))
        .query(&query)
        .send()
        .await
        .expect("fake answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn page_tokens_expire_and_only_continue_their_own_listing() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .page_token_ttl(Duration::from_millis(200))
        .start()
        .await
        .expect("fake");
    let query = [
        ("type", "past"),
        ("from", "2026-01-01"),
        ("to", "2026-01-31"),
        ("page_size", "1"),
    ];
    let (_, _, first) = list(&zoom, &query).await;
    let token = first["next_page_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!token.is_empty());

    let other_window = [
        ("type", "past"),
        ("from", "2026-01-02"),
        ("to", "2026-01-31"),
        ("page_size", "1"),
        ("next_page_token", &token),
    ];
    let (status, _, body) = list(&zoom, &other_window).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 300);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _, body) = list(
        &zoom,
        &[&query[..], &[("next_page_token", &token)]].concat(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 300);
    assert_eq!(
        body["message"],
        "The next page token is invalid or expired."
    );
}

#[tokio::test]
async fn a_range_longer_than_a_calendar_month_or_a_bad_date_is_refused() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    let refused = |body: &Value| body["code"] == 300;
    for (from, to) in [
        ("2026-01-01", "2026-02-02"), // 32 days
        ("2026-01-01", "2026-03-31"), // the whole quarter
        ("2026-02-01", "2026-03-02"), // 29 days, but past one month
        ("2026-01-31", "2026-03-01"),
        ("2026-02-01", "2026-01-31"), // backwards
    ] {
        let (status, _, body) = list(&zoom, &[("type", "past"), ("from", from), ("to", to)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{from}..{to}");
        assert!(refused(&body), "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("The date range is invalid")),
            "{body}"
        );
    }
    for (from, to) in [
        ("2026-01-01", "2026-02-01"), // exactly one month
        ("2026-01-31", "2026-02-28"), // one month from the 31st
        ("2026-02-01", "2026-03-01"),
    ] {
        let (status, _, body) = list(&zoom, &[("type", "past"), ("from", from), ("to", to)]).await;
        assert_eq!(status, StatusCode::OK, "{from}..{to}: {body}");
    }
    for query in [
        &[("to", "2026-01-31")][..],
        &[("from", "2026-01-01")][..],
        &[("from", "2026/01/01"), ("to", "2026-01-31")][..],
        &[("from", "2026-01-01"), ("to", "yesterday")][..],
    ] {
        let (status, _, body) = list(&zoom, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}");
        assert!(refused(&body), "{body}");
        assert!(body["errors"][0]["field"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn the_per_minute_limit_refuses_the_request_after_the_nth() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .list_rate_limit_per_minute(3)
        .start()
        .await
        .expect("fake");
    let query = [
        ("type", "past"),
        ("from", "2026-01-01"),
        ("to", "2026-01-31"),
    ];
    for _ in 0..3 {
        let (status, _, _) = list(&zoom, &query).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, body) = list(&zoom, &query).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], 429);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("x-ratelimit-type"), Some("QPS"));
    assert_eq!(header("x-ratelimit-category"), Some("Resource-intensive"));
    assert_eq!(header("x-ratelimit-limit"), Some("3"));
    let retry_after: u64 = header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((59..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(zoom.list_requests().len(), 4);
    // The participants endpoint is not limited by the list's budget.
    let client = client(&zoom);
    let rows: Vec<_> = client
        .webinar_participants("NyA0mzT1Q2e3r4t5y6u7iA==")
        .stream()
        .try_collect()
        .await
        .expect("participants served");
    assert_eq!(rows.len(), 12);
}

fn client(zoom: &FakeZoom) -> Client {
    Client::builder()
        .base_url(zoom.base_url())
        .bearer_token(zoom.access_token())
        .build()
        .expect("loopback URL")
}

#[tokio::test]
async fn listed_instances_serve_their_participants_under_the_uuid() {
    let zoom = FakeZoom::builder()
        .demo_period()
        .start()
        .await
        .expect("fake");
    let client = client(&zoom);
    for uuid in [
        "/mEc8Jn0RQeKk0b1mZ2x3A==",
        "kq3//Wz9TkuZ1pXy7Lm0bQ==",
        "Qr+7aP2bT0yXc4e/5fGh1w==",
    ] {
        let rows: Vec<_> = client
            .webinar_participants(uuid)
            .stream()
            .try_collect()
            .await
            .expect("participants served");
        assert_eq!(rows, zoom.expected_participants(uuid, false), "{uuid}");
    }
    assert_eq!(
        zoom.expected_participants("kq3//Wz9TkuZ1pXy7Lm0bQ==", false)
            .len(),
        40
    );
}

#[tokio::test]
async fn set_webinar_and_set_seed_change_what_is_served_from_then_on() {
    let webinar = FakeWebinar {
        uuid: "Cx1vB2nM3aS4dF5gH6jK7l==".into(),
        id: 87_000_000_001,
        topic: "Durable export".into(),
        start_time: "2026-02-10T15:00:00Z".parse().expect("instant"),
        participants: 5,
        duration: None,
    };
    let uuid = webinar.uuid.clone();
    let zoom = FakeZoom::builder()
        .listed_webinar(webinar)
        .start()
        .await
        .expect("fake");
    let client = client(&zoom);
    let fetch = || async {
        client
            .webinar_participants(&uuid)
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .expect("participants served")
    };
    let before = fetch().await;
    assert_eq!(before.len(), 5);

    zoom.set_webinar(&uuid, 3);
    assert_eq!(fetch().await, before[..3].to_vec());
    let listed = zoom.expected_webinars(day("2026-02-01"), day("2026-02-28"));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["participants"], 3);
    let served = list_window(&zoom, "2026-02-01", "2026-02-28", "30").await;
    assert_eq!(served, listed);

    zoom.set_seed(7);
    let reseeded = fetch().await;
    assert_eq!(reseeded.len(), 3);
    assert_ne!(reseeded, before[..3].to_vec());
    assert_eq!(reseeded, zoom.expected_participants(&uuid, false));
}
