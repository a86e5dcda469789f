//! Field sync order and convergence against real servers: updates delivered in reverse order
//! leave the newer value, a redelivered update changes nothing, and two orgs editing one field
//! at once end with the same value.

use crate::field_sync_support::{
    Linked, entries, linked, patch, record_where, second_worker, settled,
};
use crate::links_support::get_record;
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::field_sync::{FieldsUpdatedV1, SyncedField};
use std::collections::BTreeMap;
use tests::TestApp;

/// An update of the copy's Name from Acme, stamped `millis` ahead of now.
fn update(l: &Linked, name: &str, millis_ahead: u64) -> Envelope<FieldsUpdatedV1> {
    let now = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let field = SyncedField {
        value: Value::String(name.to_string()),
        stamp: format!("{:016}-{:05}", now + millis_ahead, 0),
        origin: l.n.p.acme.id,
    };
    let update = FieldsUpdatedV1 {
        update_id: uuid::Uuid::now_v7(),
        connection_id: ConnectionId(l.n.id.parse().expect("a connection id")),
        link_id: uuid::Uuid::now_v7(),
        sender_org_id: l.n.p.acme.id,
        sender_object: "Account".into(),
        sender_record_id: "acc-1".into(),
        object: "Account".into(),
        record_id: l.copy.clone(),
        fields: BTreeMap::from([("Name".to_string(), field)]),
    };
    Envelope::new(l.n.p.globex.id, update)
}

async fn publish(app: &TestApp, envelope: &Envelope<FieldsUpdatedV1>) {
    app.publisher
        .publish(app.topology(), envelope)
        .await
        .expect("published");
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_reordered_and_redelivered_updates_never_move_a_copy_back() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let l = linked(&app).await;
    let g = l.n.globex();
    let older = update(&l, "Older", 60_000);
    let newer = update(&l, "Newer", 120_000);
    let query = format!("record_id={}", l.copy);
    let state = |done: &[Value], id: uuid::Uuid| {
        done.iter()
            .find(|e| e["update_id"] == id.to_string())
            .map(|e| e["state"].clone())
    };
    // The newer update arrives first. The older one arrives after it (with two workers taking
    // from one queue, two updates in flight at once may be applied in either order, so the test
    // makes the order it checks): it is Superseded, not applied.
    publish(&app, &newer).await;
    let done = settled(&app, g, &query, 1).await;
    assert_eq!(
        state(&done, newer.payload.update_id),
        Some(json!("Applied"))
    );
    publish(&app, &older).await;
    let done = settled(&app, g, &query, 2).await;
    assert_eq!(
        state(&done, older.payload.update_id),
        Some(json!("Superseded"))
    );
    let (_, copy) = get_record(&app, g, "Account", &l.copy).await;
    assert_eq!(copy["fields"]["Name"], "Newer");
    let version = copy["version"].clone();

    // The same message again (the inbox drops it), and the same update in a new message (its
    // stamp is not newer than the copy's): nothing changes.
    publish(&app, &newer).await;
    let again = Envelope::new(l.n.p.globex.id, newer.payload.clone());
    let resent = FieldsUpdatedV1 {
        update_id: uuid::Uuid::now_v7(),
        ..newer.payload.clone()
    };
    publish(&app, &again).await;
    publish(&app, &Envelope::new(l.n.p.globex.id, resent.clone())).await;
    let done = settled(&app, g, &query, 3).await;
    assert_eq!(state(&done, resent.update_id), Some(json!("Superseded")));
    app.wait_idle().await;
    let (_, copy) = get_record(&app, g, "Account", &l.copy).await;
    assert_eq!(copy["fields"]["Name"], "Newer");
    assert_eq!(copy["version"], version);
    // The update that came again in a new message was counted once more, not applied again.
    let newer_entry = entries(&app, g, &query)
        .await
        .into_iter()
        .find(|e| e["update_id"] == newer.payload.update_id.to_string())
        .expect("the newer update's entry");
    assert_eq!(newer_entry["state"], "Applied");
    assert_eq!(newer_entry["attempts"], 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_concurrent_edits_of_one_field_converge() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let l = linked(&app).await;
    let n = &l.n;
    for round in 0..3 {
        let (a, b) = (format!("Acme {round}"), format!("Globex {round}"));
        tokio::join!(
            patch(&app, n.acme(), "Account", "acc-1", json!({ "Name": a })),
            patch(&app, n.globex(), "Account", &l.copy, json!({ "Name": b })),
        );
        app.wait_idle().await;
        let (_, at_acme) = get_record(&app, n.acme(), "Account", "acc-1").await;
        let winner = at_acme["fields"]["Name"].clone();
        record_where(
            &app,
            n.globex(),
            "Account",
            &l.copy,
            "the same value",
            |r| r["fields"]["Name"] == winner,
        )
        .await;
        assert!(winner == json!(a) || winner == json!(b), "{winner}");
    }
    app.stop().await;
}
