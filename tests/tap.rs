//! The Singer tap against the fake Zoom: `--about`, `--discover`, the messages of a sync
//! (SCHEMA before RECORD, STATE after its records, records equal to what was served),
//! catalog selection, keys, config errors and standard output.
#![cfg(feature = "cli")]

mod tap_support;

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use tap_support::*;
use zoom_participants::{Meeting, Participant, Webinar};

#[tokio::test]
async fn about_names_the_capabilities_and_every_setting() {
    let output = tap(&["--about", "--format", "json"]).await;
    assert_eq!(output.status.code(), Some(0));
    let about: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(about["name"], "tap-zoom-participants");
    assert_eq!(
        about["capabilities"],
        json!(["catalog", "discover", "state", "about"])
    );
    let names: Vec<&str> = about["settings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "start_date",
            "end_date",
            "account_id",
            "client_id",
            "client_secret",
            "access_token",
            "base_url",
            "token_url",
            "rate_limit",
            "max_requests"
        ]
    );
    let secret = |name: &str| {
        about["settings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["name"] == name)
            .map(|s| s["sensitive"].clone())
    };
    assert_eq!(secret("client_secret"), Some(json!(true)));
    assert_eq!(secret("access_token"), Some(json!(true)));
    let text = tap(&["--about"]).await;
    assert_eq!(text.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&text.stdout).contains("| `start_date` |"));
}

#[tokio::test]
async fn discovery_describes_every_stream_from_the_row_types() {
    let zoom = fake(Vec::new()).await;
    let dir = scratch("discover");
    let config = config(&zoom, &dir, json!({}));
    let output = tap(&[
        "--config",
        config.to_str().unwrap_or_default(),
        "--discover",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let catalog: Value = serde_json::from_slice(&output.stdout).expect("a catalog");
    let streams = catalog["streams"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = streams
        .iter()
        .filter_map(|s| s["stream"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "webinars",
            "webinar_participants",
            "meetings",
            "meeting_participants"
        ]
    );
    let by_name: HashMap<&str, &Value> = streams
        .iter()
        .filter_map(|s| Some((s["tap_stream_id"].as_str()?, s)))
        .collect();

    let webinars = by_name["webinars"];
    assert_eq!(webinars["key_properties"], json!(["uuid"]));
    let properties: BTreeSet<&str> = webinars["schema"]["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut expected: BTreeSet<&str> = Webinar::FIELDS.iter().copied().collect();
    expected.insert("extra");
    assert_eq!(properties, expected);

    let participants = by_name["webinar_participants"];
    assert_eq!(
        participants["key_properties"],
        json!(["webinar_uuid", "row_index"])
    );
    let properties: BTreeSet<&str> = participants["schema"]["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut expected: BTreeSet<&str> = Participant::FIELDS.iter().copied().collect();
    expected.extend(PARTICIPANT_COLUMNS);
    expected.insert("extra");
    assert_eq!(properties, expected);
    assert_eq!(
        participants["schema"]["properties"]["join_time"],
        json!({ "type": ["string", "null"], "format": "date-time" })
    );

    let meetings = by_name["meetings"];
    assert_eq!(meetings["key_properties"], json!(["uuid"]));
    let properties: BTreeSet<&str> = meetings["schema"]["properties"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut expected: BTreeSet<&str> = Meeting::FIELDS.iter().copied().collect();
    expected.insert("extra");
    assert_eq!(properties, expected);
    let meeting_rows = by_name["meeting_participants"];
    assert_eq!(
        meeting_rows["key_properties"],
        json!(["meeting_uuid", "row_index"])
    );
    assert!(meeting_rows["schema"]["properties"]["meeting_start_time"].is_object());

    for stream in &streams {
        let metadata = stream["metadata"].as_array().cloned().unwrap_or_default();
        let top = metadata
            .iter()
            .find(|m| m["breadcrumb"] == json!([]))
            .map(|m| m["metadata"].clone())
            .unwrap_or_default();
        assert_eq!(top["selected-by-default"], true);
        assert_eq!(top["inclusion"], "available");
        assert_eq!(top["forced-replication-method"], "INCREMENTAL");
        assert_eq!(top["table-key-properties"], stream["key_properties"]);
        assert!(top["valid-replication-keys"].is_array());
        let crumbs = metadata.len() - 1;
        assert_eq!(
            crumbs,
            stream["schema"]["properties"]
                .as_object()
                .map_or(0, |p| p.len()),
            "one breadcrumb per property"
        );
    }
    assert_eq!(zoom.request_count() + zoom.list_requests().len(), 0);
}

#[tokio::test]
async fn a_sync_emits_exactly_what_was_served_in_singer_order() {
    let zoom = fake_both(ended_instances(), ended_meetings()).await;
    let dir = scratch("sync");
    let config = config(&zoom, &dir, json!({}));
    let output = sync(&config, None, None).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = messages(&output);

    // SCHEMA before any RECORD of its stream; every RECORD validates against it.
    let mut schemas: HashMap<String, Value> = HashMap::new();
    for message in &messages {
        let stream = message["stream"].as_str().unwrap_or_default().to_owned();
        match message["type"].as_str() {
            Some("SCHEMA") => {
                schemas.insert(stream, message["schema"].clone());
            }
            Some("RECORD") => {
                let schema = schemas.get(&stream).expect("SCHEMA before RECORD");
                assert!(
                    validates(&message["record"], schema),
                    "{stream}: {}",
                    message["record"]
                );
            }
            _ => {}
        }
    }
    assert_eq!(
        messages.last().map(|m| m["type"].clone()),
        Some(json!("STATE"))
    );

    let served = served_instances(&zoom);
    assert_eq!(served.len(), 4);
    let webinars: Vec<Value> = records(&messages, "webinars")
        .iter()
        .map(|r| as_served(r, &[]))
        .collect();
    assert_eq!(webinars, served);
    let rows: Vec<Value> = records(&messages, "webinar_participants")
        .iter()
        .map(participant_as_served)
        .collect();
    let expected = served_participants(&zoom, &served);
    assert_eq!(rows.len(), 650 + 301 + 40);
    assert_eq!(rows, expected);
    assert!(
        records(&messages, "webinar_participants")
            .iter()
            .any(|r| r["extra"].is_string()),
        "fields the model does not know travel in extra"
    );
    let meetings = served_meetings(&zoom);
    assert_eq!(meetings.len(), 3);
    let listed: Vec<Value> = records(&messages, "meetings")
        .iter()
        .map(|r| as_served(r, &[]))
        .collect();
    assert_eq!(listed, meetings, "past and pastOne meetings alike");
    let rows: Vec<Value> = records(&messages, "meeting_participants")
        .iter()
        .map(participant_as_served)
        .collect();
    assert_eq!(rows.len(), 621);
    assert_eq!(rows, served_meeting_participants(&zoom, &meetings));
    let one = zoom
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("Mt2oneParticipant0"))
        .map(|r| r.query_value("type").map(str::to_owned))
        .collect::<Vec<_>>();
    assert_eq!(one, [Some("pastOne".to_owned())]);

    // A STATE after every page: it covers exactly the rows emitted before it.
    let mut emitted: HashMap<String, u64> = HashMap::new();
    let mut page_states = 0;
    for message in &messages {
        match message["type"].as_str() {
            Some("RECORD") => {
                let record = &message["record"];
                let uuid = record["webinar_uuid"]
                    .as_str()
                    .or(record["meeting_uuid"].as_str());
                if let Some(uuid) = uuid {
                    *emitted.entry(uuid.to_owned()).or_default() += 1;
                }
            }
            Some("STATE") => {
                // Every key in every STATE, so that a key-by-key merge ends with this one.
                let value = &message["value"];
                let keys = |v: &Value| {
                    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
                    keys.sort();
                    keys
                };
                assert_eq!(
                    keys(&value["bookmarks"]),
                    [
                        "meeting_participants",
                        "meetings",
                        "webinar_participants",
                        "webinars"
                    ],
                    "{value}"
                );
                assert_eq!(
                    keys(&value["in_progress"]),
                    ["meetings", "webinars"],
                    "{value}"
                );
                for family in ["webinars", "meetings"] {
                    let current = &message["value"]["in_progress"][family]["instance"];
                    if let Some(uuid) = current["uuid"].as_str() {
                        let yielded = current["participants"]["yielded"].as_u64().unwrap_or(0);
                        assert_eq!(emitted.get(uuid).copied().unwrap_or(0), yielded);
                        if yielded > 0 && family == "webinars" {
                            page_states += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // 650 rows: pages of 300 and 300 before the last; 301: one before the last.
    assert_eq!(page_states, 3);
    let state = last_state(&messages);
    assert_eq!(state["in_progress"]["webinars"], Value::Null);
    assert_eq!(state["in_progress"]["meetings"], Value::Null);
    for stream in [
        "webinars",
        "webinar_participants",
        "meetings",
        "meeting_participants",
    ] {
        assert!(state["bookmarks"][stream]["ended_through"].is_string());
    }
}

#[tokio::test]
async fn an_unselected_stream_costs_no_request() {
    let zoom = fake(ended_instances()).await;
    let dir = scratch("select");
    let config = config(&zoom, &dir, json!({}));

    let only_rows = catalog_selecting(&config, &dir, &["webinar_participants"]).await;
    let output = sync(&config, None, Some(&only_rows)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = messages(&output);
    assert!(records(&messages, "webinars").is_empty());
    assert!(
        !messages
            .iter()
            .any(|m| m["type"] == "SCHEMA" && m["stream"] == "webinars")
    );
    let served = served_instances(&zoom);
    let rows: Vec<Value> = records(&messages, "webinar_participants")
        .iter()
        .map(participant_as_served)
        .collect();
    assert_eq!(rows, served_participants(&zoom, &served));
    let lists = zoom.list_requests();
    assert_eq!(lists.len(), 1, "the webinar list is still read");
    assert_eq!(lists[0].path, "/v2/metrics/webinars", "and no meeting list");

    let before = zoom.request_count();
    let only_list = catalog_selecting(&config, &dir, &["webinars"]).await;
    let output = sync(&config, None, Some(&only_list)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = tap_support::messages(&output);
    assert_eq!(records(&messages, "webinars").len(), 4);
    assert!(records(&messages, "webinar_participants").is_empty());
    assert_eq!(zoom.request_count(), before, "no participants request");

    let lists = zoom.list_requests().len();
    let nothing = catalog_selecting(&config, &dir, &[]).await;
    let output = sync(&config, None, Some(&nothing)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(zoom.list_requests().len(), lists);
    assert_eq!(zoom.request_count(), before);

    // `--properties` is the older name; a deselected property is left out of both.
    let mut catalog: Value =
        serde_json::from_slice(&std::fs::read(&only_rows).unwrap_or_default()).unwrap_or_default();
    for entry in catalog["streams"].as_array_mut().into_iter().flatten() {
        for m in entry["metadata"].as_array_mut().into_iter().flatten() {
            if m["breadcrumb"] == json!(["properties", "email"]) {
                m["metadata"]["selected"] = json!(false);
            }
        }
    }
    let catalog = write_json(&dir, "no-email.json", &catalog);
    let output = tap(&[
        "--config",
        config.to_str().unwrap_or_default(),
        "--properties",
        catalog.to_str().unwrap_or_default(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = tap_support::messages(&output);
    let rows = records(&messages, "webinar_participants");
    assert_eq!(rows.len(), 991);
    assert!(rows.iter().all(|r| r.get("email").is_none()));
    let schema = messages
        .iter()
        .find(|m| m["type"] == "SCHEMA")
        .map(|m| m["schema"]["properties"].clone())
        .unwrap_or_default();
    assert!(schema.get("email").is_none() && schema.get("user_name").is_some());
}

#[tokio::test]
async fn keys_are_unique_stable_and_never_merge_a_rejoin() {
    let zoom = fake(ended_instances()).await;
    let dir = scratch("keys");
    let config = config(&zoom, &dir, json!({}));
    let first = messages(&sync(&config, None, None).await);
    let second = messages(&sync(&config, None, None).await);
    let key = |r: &Value| (r["webinar_uuid"].clone(), r["row_index"].clone());
    let rows = records(&first, "webinar_participants");
    let keys: BTreeSet<String> = rows.iter().map(|r| format!("{:?}", key(r))).collect();
    assert_eq!(keys.len(), rows.len(), "no two rows share a key");
    // A second run from scratch: the same records, keys and all.
    assert_eq!(rows, records(&second, "webinar_participants"));
    // Row 3 of every generated instance is a rejoin of row 0: two rows, two keys.
    let uuid = "/aB3dEf6hIj9kLm2nOp5q==";
    let of = |i: u64| {
        rows.iter()
            .find(|r| r["webinar_uuid"] == uuid && r["row_index"] == i)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(of(0)["user_id"], of(3)["user_id"]);
    assert_ne!(key(&of(0)), key(&of(3)));
    let webinar_keys: BTreeSet<String> = records(&first, "webinars")
        .iter()
        .map(|r| r["uuid"].to_string())
        .collect();
    assert_eq!(webinar_keys.len(), 4);
}

#[tokio::test]
async fn a_bad_config_is_one_line_exit_2_before_any_request() {
    let zoom = fake(ended_instances()).await;
    let dir = scratch("bad-config");
    let secret = "very-secret-value-123";
    let cases = [
        (json!({ "start_date": null }), "start_date"),
        (json!({ "start_date": "01/02/2026" }), "start_date"),
        (json!({ "end_date": "2020-01-01" }), "end_date"),
        (json!({ "access_token": null }), "access_token"),
        (
            json!({ "access_token": null, "account_id": "a", "client_secret": secret }),
            "client_id",
        ),
        (json!({ "client_secret": secret }), "not both"),
        (json!({ "rate_limit": -1 }), "rate_limit"),
        (json!({ "rate_limit": "soon" }), "rate_limit"),
        (json!({ "max_requests": "many" }), "max_requests"),
        (json!({ "base_url": "ftp://example.com/v2" }), "base_url"),
        (json!({ "base_url": "http://example.com/v2" }), "base_url"),
        (json!({ "token_url": "not a url" }), "token_url"),
    ];
    for (change, key) in cases {
        let mut change = change;
        if change.get("access_token").is_none() && change.get("client_secret").is_some() {
            change["access_token"] = json!(secret);
        }
        let config = config(&zoom, &dir, change.clone());
        for args in [vec!["--config"], vec!["--discover", "--config"]] {
            let mut args = args;
            args.push(config.to_str().unwrap_or_default());
            let output = tap(&args).await;
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{change}: {err}");
            assert_eq!(err.lines().count(), 1, "{change}: {err}");
            assert!(err.contains(key), "{change}: {err}");
            assert!(!err.contains(secret), "{err}");
            assert!(output.stdout.is_empty());
        }
    }
    let not_json = write_json(&dir, "broken.json", &json!("x"));
    std::fs::write(&not_json, format!("{{\"access_token\": \"{secret}\"")).unwrap_or_default();
    let output = tap(&["--config", not_json.to_str().unwrap_or_default()]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains(secret));
    let output = tap(&["--discover"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output).lines().count(), 1);
    assert_eq!(zoom.request_count(), 0);
    assert!(zoom.list_requests().is_empty());
    assert_eq!(zoom.token_requests(), 0);
}

#[tokio::test]
async fn oauth_credentials_work_and_stdout_stays_singer_whatever_rust_log_says() {
    let zoom = fake_with(ended_instances(), |b| {
        b.oauth_credentials("acct", "client", "shh-its-a-secret")
    })
    .await;
    let dir = scratch("oauth");
    let config = config(
        &zoom,
        &dir,
        json!({
            "access_token": null,
            "account_id": "acct",
            "client_id": "client",
            "client_secret": "shh-its-a-secret",
            "token_url": zoom.token_url(),
        }),
    );
    let output = tap_env(
        &["--config", config.to_str().unwrap_or_default()],
        &[("RUST_LOG", "trace")],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = messages(&output); // panics on any line that is not a Singer message
    assert_eq!(records(&messages, "webinar_participants").len(), 991);
    assert!(zoom.token_requests() >= 1);
    assert!(!stderr(&output).contains("shh-its-a-secret"));
}

#[tokio::test]
async fn a_start_date_older_than_six_months_is_said_and_the_run_goes_on() {
    let zoom = fake(ended_instances()).await;
    let dir = scratch("retention");
    let old = (chrono::Utc::now() - chrono::Duration::days(400)).date_naive();
    let config = config(&zoom, &dir, json!({ "start_date": old.to_string() }));
    let output = sync(&config, None, None).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    let said: Vec<&str> = err.lines().filter(|l| l.contains("6 months")).collect();
    assert_eq!(said.len(), 1, "{err}");
    let kept = chrono::Utc::now()
        .date_naive()
        .checked_sub_months(chrono::Months::new(6))
        .unwrap_or_default();
    let first = zoom.list_requests()[0]
        .query_value("from")
        .map(str::to_owned);
    assert_eq!(first, Some(kept.to_string()));
    assert_eq!(records(&messages(&output), "webinars").len(), 4);
}

#[tokio::test]
async fn odd_values_travel_in_extra_and_every_record_validates() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let start = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%dT10:00:00Z");
    let end = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%dT11:00:00Z");
    let list = format!(
        r#"{{"next_page_token":"","webinars":[{{"uuid":"oddWebinar1","id":"95204914252","participants":-1,"start_time":"{start}","end_time":"{end}","has_sip":"no","custom_keys":[{{"key":"k","value":"v","new":1.50}}],"x_new":123456789012345678901234567890}}]}}"#
    );
    Mock::given(method("GET"))
        .and(path("/v2/metrics/webinars"))
        .respond_with(ResponseTemplate::new(200).set_body_string(list))
        .mount(&server)
        .await;
    let rows = r#"{"next_page_token":"","participants":[{"id":"a","email":5,"join_time":"yesterday","leave_time":"2026-01-01 10:00:00","x_new":1e400,"audio_call":[{"call_number":"1","weird":true}],"status":"in_meeting"},{"id":"b","user_name":"Ann \ud83d","role":"co-host"}]}"#;
    Mock::given(method("GET"))
        .and(path("/v2/metrics/webinars/oddWebinar1/participants"))
        .respond_with(ResponseTemplate::new(200).set_body_string(rows))
        .mount(&server)
        .await;
    let dir = scratch("odd");
    let config = write_json(
        &dir,
        "config.json",
        &json!({
            "start_date": start_date().to_string(),
            "access_token": "t",
            "base_url": format!("{}/v2", server.uri()),
            "rate_limit": "off",
        }),
    );
    let catalog = catalog_selecting(&config, &dir, &["webinars", "webinar_participants"]).await;
    let output = sync(&config, None, Some(&catalog)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = messages(&output);
    let schema_of = |stream: &str| {
        messages
            .iter()
            .find(|m| m["type"] == "SCHEMA" && m["stream"] == stream)
            .map(|m| m["schema"].clone())
            .unwrap_or_default()
    };
    let webinars = records(&messages, "webinars");
    assert_eq!(webinars.len(), 1);
    assert!(validates(&webinars[0], &schema_of("webinars")));
    assert_eq!(webinars[0]["uuid"], "oddWebinar1");
    assert!(webinars[0].get("id").is_none() && webinars[0].get("participants").is_none());
    assert_eq!(
        webinars[0]["extra"],
        r#"{"custom_keys":[{"key":"k","value":"v","new":1.50}],"has_sip":"no","id":"95204914252","participants":-1,"x_new":123456789012345678901234567890}"#
    );
    let rows = records(&messages, "webinar_participants");
    assert_eq!(rows.len(), 2);
    let schema = schema_of("webinar_participants");
    assert!(rows.iter().all(|r| validates(r, &schema)), "{rows:?}");
    assert_eq!(rows[0]["id"], "a");
    assert_eq!(rows[0]["status"], "in_meeting");
    assert_eq!(rows[0]["leave_time"], "2026-01-01T10:00:00Z");
    assert_eq!(
        rows[0]["extra"],
        r#"{"audio_call":[{"call_number":"1","weird":true}],"email":5,"join_time":"yesterday","x_new":1e400}"#
    );
    assert_eq!(
        rows[0]["webinar_id"],
        Value::Null,
        "the instance's id was not a number"
    );
    assert_eq!(rows[1]["user_name"], "Ann \u{FFFD}");
    assert_eq!(rows[1]["role"], "co-host");
    assert!(rows[1].get("extra").is_none());
    assert_eq!(
        (rows[0]["row_index"].clone(), rows[1]["row_index"].clone()),
        (json!(0), json!(1))
    );
}
