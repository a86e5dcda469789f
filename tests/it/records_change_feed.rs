//! The change feed carries each change exactly once, whatever its source: HTTP, AMQP, bulk.

use serde_json::json;
use std::collections::BTreeMap;
use tests::TestApp;
use tests::records::{OrgBroker, upsert};

#[tokio::test(flavor = "multi_thread")]
async fn every_change_from_every_source_is_in_the_change_feed_exactly_once() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let broker = OrgBroker::create(&app, &acme).await;
    let globex_broker = OrgBroker::create(&app, &globex).await;

    for i in 0..20 {
        let response = app
            .post(
                "/v1/records/Account",
                Some(&acme.key),
                &json!({"record_id": format!("F-{i}"), "fields": {"Name": format!("A{i}")}}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    let amqp: Vec<_> = (0..20)
        .map(|i| {
            upsert(
                &acme,
                "Account",
                &format!("F-{i}"),
                json!({"Industry": "Banking"}),
            )
        })
        .collect();
    broker.publish_upserts(app.topology(), &amqp).await;
    // Applied before the bulk write, so that each version has one known source.
    app.wait_idle().await;
    let ndjson: String = (0..20)
        .map(|i| {
            json!({"record_id": format!("F-{i}"), "fields": {"Rating": "Hot"}}).to_string() + "\n"
        })
        .collect();
    let response = app
        .http
        .post(format!("{}/v1/records/Account/bulk", app.base_url))
        .bearer_auth(&acme.key)
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    // Another org's change goes to its own feed only.
    let response = app
        .post(
            "/v1/records/Account",
            Some(&globex.key),
            &json!({"record_id": "G-1", "fields": {"Name": "G"}}),
        )
        .await;
    assert_eq!(response.status(), 201);
    app.wait_idle().await;

    let feed = broker.drain_feed().await;
    let mut seen: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut sources: BTreeMap<i64, Vec<serde_json::Value>> = BTreeMap::new();
    for message in &feed {
        *seen
            .entry((message.payload.record_id.clone(), message.payload.version))
            .or_default() += 1;
        sources
            .entry(message.payload.version)
            .or_default()
            .push(serde_json::to_value(&message.payload.changed_by).expect("JSON"));
    }
    let expected: BTreeMap<(String, i64), usize> = (0..20)
        .flat_map(|i| (1..=3).map(move |v| ((format!("F-{i}"), v), 1)))
        .collect();
    assert_eq!(seen, expected, "each record and version once");
    for (version, source) in [(1, "http"), (2, "amqp"), (3, "bulk")] {
        assert!(
            sources[&version]
                .iter()
                .all(|c| c == &json!({"kind": "org", "source": source})),
            "version {version} came by {source}"
        );
    }
    let theirs = globex_broker.drain_feed().await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].payload.record_id, "G-1");
    app.stop().await;
}
