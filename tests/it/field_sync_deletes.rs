//! Deletes beyond S2S, against real servers: with `sync_deletes` on the partner's subscription
//! a deleted record's tombstone deletes the partner's copy (ledgered like an update), never
//! comes back over the connection it went over, and travels on along a chain; without it only
//! the link ends and the copy stays; a tombstone older than a value the copy holds is
//! Superseded; a deleted copy is not brought back by a later update.

use crate::field_sync_support::{
    Linked, connect, delete, entries, gone, linked, settled_kind, sync_deletes,
};
use crate::links_support::{forward_one, get_record, link_with_status, publish, subscribe};
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::events::field_sync::{
    FieldsUpdatedV1, LinkedRecordEvent, RecordDeletedV1, SyncedField,
};
use shared::message::{Envelope, Message};
use std::collections::BTreeMap;
use tests::TestApp;

/// Publishes a message to the events exchange, as a partner's sync service would.
async fn send<M: Message>(app: &TestApp, envelope: &Envelope<M>) {
    app.publisher
        .publish(app.topology(), envelope)
        .await
        .expect("published");
}

/// A tombstone of Acme's acc-1 for Globex's copy, stamped at `millis` (HLC wall time).
fn tombstone(l: &Linked, millis: u64) -> Envelope<RecordDeletedV1> {
    let event = LinkedRecordEvent {
        update_id: uuid::Uuid::now_v7(),
        connection_id: ConnectionId(l.n.id.parse().expect("a connection id")),
        link_id: uuid::Uuid::now_v7(),
        sender_org_id: l.n.p.acme.id,
        sender_object: "Account".into(),
        sender_record_id: "acc-1".into(),
        object: "Account".into(),
        record_id: l.copy.clone(),
        stamp: format!("{millis:016}-{:05}", 0),
        origin: l.n.p.acme.id,
    };
    Envelope::new(l.n.p.globex.id, RecordDeletedV1 { event })
}

fn now_millis() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

fn states(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|e| e["state"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_deletes_with_the_flag_delete_the_copy_once_and_stay_deleted() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    let subscription = sync_deletes(&app, n.globex(), &n.id, "Account", true).await;
    assert_eq!(subscription["sync_deletes"], true, "{subscription}");
    // Acme takes Globex's deletes too: the tombstone must still not come back to it.
    sync_deletes(&app, n.acme(), &n.id, "Account", true).await;
    app.wait_idle().await;

    delete(&app, n.acme(), "Account", "acc-1").await;
    gone(&app, n.globex(), "Account", &l.copy).await;
    link_with_status(&app, n.globex(), "Account", &l.copy, "Inactive (deleted)").await;
    let query = format!("record_id={}", l.copy);
    let at_globex = settled_kind(&app, n.globex(), &query, "delete", 1).await;
    assert_eq!(states(&at_globex), ["Applied"], "{at_globex:?}");
    assert_eq!(at_globex[0]["sender_org_id"], n.p.acme.id.to_string());
    assert_eq!(at_globex[0]["fields"], json!({}));

    // The sender sees the same row; Globex's own delete went nowhere (not back over n.id).
    app.wait_idle().await;
    let at_acme: Vec<Value> = entries(&app, n.acme(), &format!("connection_id={}", n.id))
        .await
        .into_iter()
        .filter(|e| e["kind"] == "delete")
        .collect();
    assert_eq!(at_acme.len(), 1, "{at_acme:?}");
    assert_eq!(at_acme[0]["update_id"], at_globex[0]["update_id"]);

    // A later-stamped update for the deleted copy does not bring it back.
    let late = FieldsUpdatedV1 {
        update_id: uuid::Uuid::now_v7(),
        connection_id: ConnectionId(n.id.parse().expect("a connection id")),
        link_id: uuid::Uuid::now_v7(),
        sender_org_id: n.p.acme.id,
        sender_object: "Account".into(),
        sender_record_id: "acc-1".into(),
        object: "Account".into(),
        record_id: l.copy.clone(),
        fields: BTreeMap::from([(
            "Name".to_string(),
            SyncedField {
                value: json!("Back from the dead"),
                stamp: format!("{:016}-{:05}", now_millis() + 600_000, 0),
                origin: n.p.acme.id,
            },
        )]),
    };
    let late_id = late.update_id;
    send(&app, &Envelope::new(n.p.globex.id, late)).await;
    let updates = settled_kind(&app, n.globex(), &query, "update", 1).await;
    let late_row = updates
        .iter()
        .find(|e| e["update_id"] == late_id.to_string())
        .expect("the late update's row");
    assert_eq!(late_row["state"], "Failed", "{late_row}");
    assert_eq!(
        get_record(&app, n.globex(), "Account", &l.copy).await.0,
        404
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_deletes_without_the_flag_end_the_link_and_keep_the_copy() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    delete(&app, n.acme(), "Account", "acc-1").await;
    link_with_status(&app, n.globex(), "Account", &l.copy, "Inactive (deleted)").await;
    app.wait_idle().await;
    let (status, copy) = get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(status, 200, "the copy stays: {copy}");
    assert_eq!(copy["fields"]["Name"], "Initrode");
    let kinds: Vec<Value> = entries(&app, n.globex(), &format!("record_id={}", l.copy))
        .await
        .into_iter()
        .filter(|e| e["kind"] == "delete")
        .collect();
    assert!(kinds.is_empty(), "no tombstone was sent: {kinds:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_deletes_an_older_tombstone_is_superseded_and_the_copy_stays() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    sync_deletes(&app, n.globex(), &n.id, "Account", true).await;
    // Stamped long before the copy's values were written (an hour ago): they are newer.
    let old = tombstone(&l, now_millis() - 3_600_000);
    send(&app, &old).await;
    let query = format!("record_id={}", l.copy);
    let rows = settled_kind(&app, n.globex(), &query, "delete", 1).await;
    assert_eq!(states(&rows), ["Superseded"], "{rows:?}");
    let (status, copy) = get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(
        (status, copy["fields"]["Name"].clone()),
        (200, json!("Initrode"))
    );
    // A newer one deletes it; sent again (a new message, the same update), it changes nothing.
    let new = tombstone(&l, now_millis() + 60_000);
    send(&app, &new).await;
    send(&app, &Envelope::new(n.p.globex.id, new.payload.clone())).await;
    gone(&app, n.globex(), "Account", &l.copy).await;
    app.wait_idle().await;
    let rows = settled_kind(&app, n.globex(), &query, "delete", 2).await;
    let row = rows
        .iter()
        .find(|e| e["update_id"] == new.payload.event.update_id.to_string())
        .expect("the newer tombstone's row");
    assert_eq!(row["state"], "Applied", "{row}");
    assert_eq!(
        row["attempts"], 2,
        "redelivered: one attempt more, still Applied"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_deletes_travel_on_along_a_chain() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    sync_deletes(&app, n.globex(), &n.id, "Account", true).await;
    let initech = app.create_org("Initech").await;
    let initech_owner = app
        .create_user(&initech, "Ida Initech", "ida@initech.example")
        .await;
    let bc = connect(
        &app,
        (&n.p.globex, n.p.globex_owner),
        (&initech, initech_owner),
        "ivy@initech.example",
    )
    .await;
    publish(&app, n.globex(), &bc, "Account", json!(["Name"])).await;
    subscribe(
        &app,
        &initech.key,
        &bc,
        "Account",
        json!({ "auto_accept": true, "fields": { "Name": "Name" }, "sync_deletes": true }),
    )
    .await;
    forward_one(&app, n.globex(), &bc, "Account", &l.copy).await;
    let sent = link_with_status(&app, n.globex(), "Account", &l.copy, "Active (sent)").await;
    let c_copy = sent["partner_record_id"]
        .as_str()
        .expect("Initech's copy")
        .to_string();
    link_with_status(&app, &initech.key, "Account", &c_copy, "Active (received)").await;

    delete(&app, n.acme(), "Account", "acc-1").await;
    gone(&app, n.globex(), "Account", &l.copy).await;
    gone(&app, &initech.key, "Account", &c_copy).await;
    let rows = settled_kind(
        &app,
        &initech.key,
        &format!("record_id={c_copy}"),
        "delete",
        1,
    )
    .await;
    assert_eq!(states(&rows), ["Applied"], "{rows:?}");
    assert_eq!(rows[0]["sender_org_id"], n.p.globex.id.to_string());
    app.stop().await;
}
