//! The ingest consumer's batch write path: one delivery batch is one transaction of set
//! statements, and still each record is validated alone, applied in order and published once.
//! The consumer here runs one lane with a linger, so that what is published at once arrives as
//! one batch; the records' `xmin` (the transaction that wrote them) shows they did.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use shared::hlc::Hlc;
use shared::ids::OrgId;
use std::collections::BTreeSet;
use tests::TestApp;
use tests::records::{OrgBroker, get_record, sync_dead_letters, upsert};

/// One lane, and a linger long enough that a confirmed burst is one batch.
async fn one_batch_app() -> TestApp {
    TestApp::spawn_with(|env| {
        env.insert("CONSUMER_LANES".into(), "1".into());
        env.insert("CONSUMER_LINGER_MS".into(), "500".into());
        env.insert("CONSUMER_BATCH".into(), "64".into());
    })
    .await
}

/// The transactions that wrote the org's records `ids`.
async fn writing_transactions(app: &TestApp, org: OrgId, ids: &[&str]) -> BTreeSet<String> {
    use sync::schema::records;
    let mut conn = app.pool().get().await.expect("a connection");
    let xmins: Vec<String> = records::table
        .filter(records::org_id.eq(org.as_uuid()))
        .filter(records::record_id.eq_any(ids))
        .select(diesel::dsl::sql::<diesel::sql_types::Text>("xmin::text"))
        .load(&mut conn)
        .await
        .expect("xmin read");
    assert_eq!(xmins.len(), ids.len(), "every record stored");
    xmins.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_record_in_the_middle_of_a_batch_is_dead_lettered_alone_and_its_batch_mates_are_stored()
 {
    let app = one_batch_app().await;
    let acme = app.create_org("Acme Corp").await;
    let broker = OrgBroker::create(&app, &acme).await;
    let messages: Vec<_> = (0..9)
        .map(|i| {
            // The fifth breaks the number range of NumberOfEmployees.
            let employees = if i == 4 { -5 } else { i };
            upsert(
                &acme,
                "Account",
                &format!("M-{i}"),
                json!({"Name": format!("Account {i}"), "NumberOfEmployees": employees}),
            )
        })
        .collect();
    broker.publish_upserts(app.topology(), &messages).await;

    let letters = sync_dead_letters(&app, 1).await;
    app.wait_idle().await;
    assert_eq!(letters.len(), 1, "only the bad record is dead-lettered");
    assert!(
        letters[0]
            .reason
            .contains("field NumberOfEmployees: rule number_range"),
        "its own reason: {}",
        letters[0].reason
    );
    assert_eq!(get_record(&app, &acme, "Account", "M-4").await.0, 404);
    let good: Vec<String> = (0..9)
        .filter(|i| *i != 4)
        .map(|i| format!("M-{i}"))
        .collect();
    for id in &good {
        let (status, record) = get_record(&app, &acme, "Account", id).await;
        assert_eq!(status, 200, "{id} stored");
        assert_eq!(record["version"], 1);
    }
    let ids: Vec<&str> = good.iter().map(String::as_str).collect();
    assert_eq!(
        writing_transactions(&app, acme.id, &ids).await.len(),
        1,
        "the eight were written in one transaction, beside the refused one"
    );
    let feed = broker.drain_feed().await;
    let mut fed: Vec<String> = feed.iter().map(|m| m.payload.record_id.clone()).collect();
    fed.sort();
    assert_eq!(
        fed, good,
        "one change per stored record, none for the bad one"
    );

    // The refused message left no inbox row: put back after a fix, it would be handled.
    let mut conn = app.pool().get().await.expect("a connection");
    let kept: i64 = shared::inbox::inbox::table
        .filter(shared::inbox::inbox::message_id.eq(messages[4].message_id.as_uuid()))
        .count()
        .get_result(&mut conn)
        .await
        .expect("inbox read");
    assert_eq!(kept, 0, "no inbox row for the dead-lettered message");
    drop(conn);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn several_upserts_of_one_record_in_one_batch_apply_in_order_each_change_fed_once() {
    let app = one_batch_app().await;
    let acme = app.create_org("Acme Corp").await;
    let broker = OrgBroker::create(&app, &acme).await;
    let messages = vec![
        upsert(
            &acme,
            "Account",
            "R-1",
            json!({"Name": "first", "NumberOfEmployees": 0}),
        ),
        upsert(&acme, "Account", "R-1", json!({"NumberOfEmployees": 1})),
        upsert(&acme, "Account", "R-2", json!({"Name": "other"})),
        upsert(&acme, "Account", "R-1", json!({"NumberOfEmployees": 2})),
        // The same value again: no change, no version, nothing published.
        upsert(&acme, "Account", "R-1", json!({"NumberOfEmployees": 2})),
        upsert(&acme, "Account", "R-1", json!({"Name": "last"})),
    ];
    broker.publish_upserts(app.topology(), &messages).await;
    app.wait_idle().await;

    let (_, record) = get_record(&app, &acme, "Account", "R-1").await;
    assert_eq!(record["version"], 4, "four changes");
    assert_eq!(record["fields"]["Name"], "last", "the last value wins");
    assert_eq!(record["fields"]["NumberOfEmployees"].as_f64(), Some(2.0));
    assert_eq!(
        writing_transactions(&app, acme.id, &["R-1", "R-2"])
            .await
            .len(),
        1,
        "one batch"
    );

    let feed = broker.drain_feed().await;
    let changes: Vec<(String, i64, Vec<String>)> = feed
        .iter()
        .map(|m| {
            (
                m.payload.record_id.clone(),
                m.payload.version,
                m.payload.fields.keys().cloned().collect(),
            )
        })
        .collect();
    let r1: Vec<_> = changes.iter().filter(|c| c.0 == "R-1").cloned().collect();
    assert_eq!(
        r1,
        vec![
            (
                "R-1".to_string(),
                1,
                vec!["Name".to_string(), "NumberOfEmployees".into()]
            ),
            ("R-1".to_string(), 2, vec!["NumberOfEmployees".to_string()]),
            ("R-1".to_string(), 3, vec!["NumberOfEmployees".to_string()]),
            ("R-1".to_string(), 4, vec!["Name".to_string()]),
        ],
        "each change once, in order, with only its fields"
    );
    assert_eq!(changes.len(), 5, "and R-2's creation: {changes:?}");
    let ids: BTreeSet<_> = feed.iter().map(|m| m.message_id).collect();
    assert_eq!(ids.len(), feed.len(), "no change published twice");
    let last = feed
        .iter()
        .find(|m| m.payload.record_id == "R-1" && m.payload.version == 4)
        .expect("version 4 fed");
    assert_eq!(
        last.correlation_id, messages[5].correlation_id,
        "each change keeps its own cause"
    );

    // Per-field stamps: the field written last has the newest stamp.
    use sync::schema::records;
    let mut conn = app.pool().get().await.expect("a connection");
    let stamps: serde_json::Value = records::table
        .filter(records::org_id.eq(acme.id.as_uuid()))
        .filter(records::record_id.eq("R-1"))
        .select(records::stamps)
        .first(&mut conn)
        .await
        .expect("stamps read");
    let stamp = |field: &str| -> Hlc {
        serde_json::from_value(stamps[field]["stamp"].clone()).expect("a stamp")
    };
    assert!(
        stamp("Name") > stamp("NumberOfEmployees"),
        "Name was changed after NumberOfEmployees: {stamps}"
    );
    drop(conn);
    app.stop().await;
}
