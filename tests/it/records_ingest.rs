//! Records in over AMQP: an org's system publishes to the ingest exchange as its own broker
//! user; sync stores what is valid and dead-letters the rest with its reason, changing nothing.

use serde_json::json;
use shared::amqp::Topology;
use shared::message::Envelope;
use shared::message::Message;
use shared::message::events::record::{RecordDeleteV1, RecordUpsertV1};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::records::{OrgBroker, get_record, sync_dead_letters, upsert};

/// A valid new Opportunity's fields (a standard object: no schema needed).
fn deal(extra: serde_json::Value) -> serde_json::Value {
    let mut fields = json!({"Name": "Deal", "CloseDate": "2026-12-31", "StageName": "Prospecting"});
    if let (Some(map), serde_json::Value::Object(extra)) = (fields.as_object_mut(), extra) {
        map.extend(extra);
    }
    fields
}

#[tokio::test(flavor = "multi_thread")]
async fn a_published_record_is_stored_and_only_its_changes_reach_the_change_feed() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let broker = OrgBroker::create(&app, &acme).await;

    let first = upsert(
        &acme,
        "Opportunity",
        "OPP-1",
        deal(json!({"Amount": "10.50", "AccountId": "ACC-9"})),
    );
    broker
        .publish_envelope(app.topology(), &first)
        .await
        .expect("published");
    let (_, record) = eventually("the record stored", Duration::from_secs(20), || async {
        let (status, body) = get_record(&app, &acme, "Opportunity", "OPP-1").await;
        (status == 200).then_some((status, body))
    })
    .await;
    assert_eq!(record["version"], 1);
    assert_eq!(record["fields"]["Amount"], json!(10.5));
    assert_eq!(
        record["last_modified_by"],
        json!({"kind": "org", "source": "amqp"})
    );

    // The same values again (a new message): nothing changes, nothing is published.
    let same = upsert(&acme, "Opportunity", "OPP-1", deal(json!({"Amount": 10.5})));
    broker
        .publish_envelope(app.topology(), &same)
        .await
        .expect("published");
    let change = upsert(&acme, "Opportunity", "OPP-1", json!({"Amount": 20}));
    broker
        .publish_envelope(app.topology(), &change)
        .await
        .expect("published");
    let delete = Envelope::new(
        acme.id,
        RecordDeleteV1 {
            object: "Opportunity".into(),
            record_id: "OPP-1".into(),
        },
    );
    broker
        .publish_envelope(app.topology(), &delete)
        .await
        .expect("published");
    app.wait_idle().await;

    let (status, _) = get_record(&app, &acme, "Opportunity", "OPP-1").await;
    assert_eq!(status, 404, "deleted");
    let feed = broker.drain_feed().await;
    let seen: Vec<(i64, bool, Vec<String>)> = feed
        .iter()
        .map(|m| {
            (
                m.payload.version,
                m.payload.deleted,
                m.payload.fields.keys().cloned().collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                1,
                false,
                vec![
                    "AccountId".to_string(),
                    "Amount".into(),
                    "CloseDate".into(),
                    "Name".into(),
                    "StageName".into()
                ]
            ),
            (2, false, vec!["Amount".to_string()]),
            (3, true, vec![]),
        ],
        "one change per version, carrying only the fields that changed"
    );
    assert!(feed.iter().all(|m| m.org_id == acme.id));
    assert_eq!(feed[1].payload.fields["Amount"].as_f64(), Some(20.0));
    assert_eq!(
        feed[1].correlation_id, change.correlation_id,
        "the change keeps the cause's correlation"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_bad_record_message_is_dead_lettered_with_its_reason_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let broker = OrgBroker::create(&app, &acme).await;
    let topology = app.topology();
    let key = Topology::ingest_routing_key(acme.id, &RecordUpsertV1::routing_key());
    let user = Some(broker.user.username.as_str());
    let body = |id: &str, fields: serde_json::Value| {
        serde_json::to_vec(&upsert(&acme, "Opportunity", id, fields)).expect("JSON")
    };

    let unknown_object =
        serde_json::to_vec(&upsert(&acme, "Nope__c", "X-1", json!({"Name": "x"}))).expect("JSON");
    let cases: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
        (
            "unknown object",
            unknown_object,
            user,
            "unknown object \"Nope__c\"",
        ),
        (
            "unknown field",
            body("B-1", deal(json!({"Colour__c": "red"}))),
            user,
            "field Colour__c: rule unknown_field",
        ),
        (
            "required",
            body("B-2", json!({"Name": "x", "CloseDate": "2026-12-31"})),
            user,
            "field StageName: rule required",
        ),
        (
            "max_length",
            body("B-3", deal(json!({"Name": "x".repeat(121)}))),
            user,
            "field Name: rule max_length",
        ),
        (
            "restricted picklist",
            body("B-4", deal(json!({"StageName": "Lost"}))),
            user,
            "field StageName: rule restricted_picklist",
        ),
        (
            "number range",
            serde_json::to_vec(&upsert(
                &acme,
                "Account",
                "B-5",
                json!({"Name": "x", "NumberOfEmployees": -5}),
            ))
            .expect("JSON"),
            user,
            "field NumberOfEmployees: rule number_range",
        ),
        (
            "type",
            body("B-6", deal(json!({"Amount": "lots"}))),
            user,
            "field Amount: rule type",
        ),
        (
            "format",
            body("B-11", deal(json!({"CloseDate": "next tuesday"}))),
            user,
            "field CloseDate: rule format",
        ),
        (
            "too large",
            body("B-7", deal(json!({"Description": "y".repeat(300 * 1024)}))),
            user,
            "exceeds this consumer's limit",
        ),
        (
            "malformed JSON",
            b"{\"type\": \"record.upsert\", ".to_vec(),
            user,
            "not a PartnerNet envelope",
        ),
        (
            "wrong org_id",
            serde_json::to_vec(&upsert(&globex, "Opportunity", "B-8", deal(json!({}))))
                .expect("JSON"),
            user,
            "is not the publishing org",
        ),
        (
            "no user_id",
            body("B-9", deal(json!({}))),
            None,
            "no user_id property",
        ),
    ];
    for (what, body, user_id, _) in &cases {
        broker
            .publish(topology, &key, body, *user_id)
            .await
            .unwrap_or_else(|e| panic!("{what}: published: {e}"));
    }
    // A broker user that is no org's (any more) is refused too.
    let initech = app.create_org("Initech").await;
    let stray = OrgBroker::create(&app, &initech).await;
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = app.pool().get().await.expect("a connection");
        diesel::delete(
            sync::schema::broker_users::table
                .filter(sync::schema::broker_users::org_id.eq(initech.id.as_uuid())),
        )
        .execute(&mut conn)
        .await
        .expect("mapping removed");
    }
    let stray_body = serde_json::to_vec(&upsert(&initech, "Opportunity", "B-10", deal(json!({}))))
        .expect("JSON");
    stray
        .publish(
            topology,
            &Topology::ingest_routing_key(initech.id, &RecordUpsertV1::routing_key()),
            &stray_body,
            Some(stray.user.username.as_str()),
        )
        .await
        .expect("published");

    let letters = sync_dead_letters(&app, cases.len() + 1).await;
    for (what, _, _, reason) in &cases {
        assert!(
            letters.iter().any(|l| l.reason.contains(reason)),
            "{what}: a dead letter says {reason:?}; got {:#?}",
            letters.iter().map(|l| &l.reason).collect::<Vec<_>>()
        );
    }
    assert!(
        letters
            .iter()
            .any(|l| l.reason.contains("is no org's broker user")),
        "the stray user's message"
    );
    app.wait_idle().await;
    for id in [
        "B-1", "B-2", "B-3", "B-4", "B-6", "B-7", "B-8", "B-9", "B-10", "B-11",
    ] {
        assert_eq!(
            get_record(&app, &acme, "Opportunity", id).await.0,
            404,
            "{id} not stored"
        );
        assert_eq!(
            get_record(&app, &globex, "Opportunity", id).await.0,
            404,
            "{id} not stored for globex"
        );
    }
    assert_eq!(get_record(&app, &acme, "Account", "B-5").await.0, 404);
    assert!(
        broker.drain_feed().await.is_empty(),
        "nothing changed, nothing published"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_updates_of_one_record_are_applied_in_the_order_they_were_published() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let broker = OrgBroker::create(&app, &acme).await;
    let updates: Vec<_> = (0..60)
        .map(|i| upsert(&acme, "Opportunity", "ORD-1", deal(json!({"Amount": i}))))
        .collect();
    broker.publish_upserts(app.topology(), &updates).await;
    app.wait_idle().await;

    let (_, record) = get_record(&app, &acme, "Opportunity", "ORD-1").await;
    assert_eq!(
        record["fields"]["Amount"].as_f64(),
        Some(59.0),
        "the last published value wins"
    );
    assert_eq!(record["version"], 60);
    let amounts: Vec<f64> = broker
        .drain_feed()
        .await
        .iter()
        .map(|m| m.payload.fields["Amount"].as_f64().unwrap_or(-1.0))
        .collect();
    assert_eq!(
        amounts,
        (0..60).map(f64::from).collect::<Vec<_>>(),
        "changes in publish order"
    );
    app.stop().await;
}
