//! No echo: a partner's update applied to a copy whose only active link is the one it came over
//! makes no propagation work. Its `record.changed` is still published (the org's change feed
//! and sharing take it); propagation (run by the store in the transaction that applies the
//! update; called here through the retired `propagate` consumer, which runs the same code) reads
//! the copy's links once and stops there: no record read, no subscription read, no ledger row,
//! no outbox row. A change of the same copy by its own org does all of that.

use crate::field_sync_support::{Linked, entries, linked, patch, record_where, settled};
use diesel::connection::InstrumentationEvent;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Map, json};
use shared::ids::ConnectionId;
use shared::inbox::InboxOutcome;
use shared::message::Envelope;
use shared::message::events::sync::{ChangeSource, ChangedBy, RecordChangedV1};
use std::sync::{Arc, Mutex};
use tests::TestApp;

/// A change of Globex's copy's Name, made by `changed_by`.
fn change_of_copy(l: &Linked, changed_by: ChangedBy) -> Envelope<RecordChangedV1> {
    let mut fields = Map::new();
    fields.insert("Name".into(), json!("Echo"));
    let change = RecordChangedV1 {
        object: "Account".into(),
        record_id: l.copy.clone(),
        version: 99,
        deleted: false,
        fields,
        touched: false,
        changed_by,
        changed_at: chrono::Utc::now(),
    };
    Envelope::new(l.n.p.globex.id, change)
}

/// The statements propagation runs for `change` (through the propagate consumer, without a
/// broker).
async fn statements_to_propagate(app: &TestApp, change: &Envelope<RecordChangedV1>) -> Vec<String> {
    let spec = sync::consumers()
        .into_iter()
        .find(|c| c.name == "propagate")
        .expect("the propagate consumer");
    let mut conn = AsyncPgConnection::establish(app.database_url())
        .await
        .expect("a connection");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event
            && let Ok(mut log) = log.lock()
        {
            log.push(query.to_string());
        }
    });
    let outcome = spec.handle_now(&mut conn, change).await.expect("handled");
    assert_eq!(outcome, InboxOutcome::New);
    // The connection (and the log it holds) goes first: the statements are ours alone then.
    drop(conn);
    Arc::try_unwrap(seen)
        .ok()
        .and_then(|log| log.into_inner().ok())
        .unwrap_or_default()
}

fn count(statements: &[String], table: &str) -> usize {
    statements.iter().filter(|s| s.contains(table)).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_an_update_whose_only_link_it_came_over_makes_no_propagation_work() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let (a, g) = (l.n.acme(), l.n.globex());
    app.wait_idle().await;

    // Through the servers: Acme's change reaches Globex's copy, and nothing comes back.
    let before = entries(&app, a, "record_id=acc-1").await.len();
    patch(&app, a, "Account", "acc-1", json!({ "Name": "Once" })).await;
    record_where(&app, g, "Account", &l.copy, "Acme's change", |r| {
        r["fields"]["Name"] == "Once"
    })
    .await;
    app.wait_idle().await;
    let all = settled(&app, a, "record_id=acc-1", before + 1).await;
    assert_eq!(all.len(), before + 1, "one update, none back: {all:?}");
    let sent_by_globex = entries(&app, g, &format!("record_id={}", l.copy))
        .await
        .into_iter()
        .filter(|e| e["sender_org_id"] == json!(l.n.p.globex.id))
        .count();
    assert_eq!(sent_by_globex, 0, "Globex queued nothing");

    // The work itself: the applied update's change at Globex reads the links once, and stops.
    let connection_id = ConnectionId(l.n.id.parse().expect("a connection id"));
    let echo = change_of_copy(
        &l,
        ChangedBy::ConnectionUser {
            connection_id,
            partner_org_id: Some(l.n.p.acme.id),
        },
    );
    let statements = statements_to_propagate(&app, &echo).await;
    assert_eq!(count(&statements, "synced_links"), 1, "{statements:#?}");
    for table in [
        "sync.records",
        "subscription_mappings",
        "sync.ledger",
        "messaging.outbox",
    ] {
        assert_eq!(count(&statements, table), 0, "{table}: {statements:#?}");
    }

    // The same copy changed by Globex itself goes to Acme: the reads and both writes.
    let own = change_of_copy(
        &l,
        ChangedBy::Org {
            source: ChangeSource::Http,
        },
    );
    let statements = statements_to_propagate(&app, &own).await;
    for table in [
        "synced_links",
        "sync.records",
        "subscription_mappings",
        "sync.ledger",
        "messaging.outbox",
    ] {
        assert_eq!(count(&statements, table), 1, "{table}: {statements:#?}");
    }
    app.stop().await;
}
