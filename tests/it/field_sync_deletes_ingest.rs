//! Deletes beyond S2S, made by an org's own system: a `record.delete` (`RecordDeleteV1`)
//! published to the ingest exchange as the org's broker user deletes the partner's copy when
//! the partner's subscription has `sync_deletes` on (ledgered Applied, like the HTTP delete),
//! and only ends the link, keeping the copy, when it is off.

use crate::field_sync_support::{Linked, entries, gone, linked, settled_kind, sync_deletes};
use crate::links_support::{get_record, link_with_status};
use serde_json::Value;
use shared::message::Envelope;
use shared::message::events::record::RecordDeleteV1;
use tests::TestApp;
use tests::records::OrgBroker;

/// Acme's system deletes acc-1 through the ingest exchange; waits until Acme's record is gone.
async fn delete_over_ingest(app: &TestApp, l: &Linked) {
    let acme = &l.n.p.acme;
    let broker = OrgBroker::create(app, acme).await;
    let delete = Envelope::new(
        acme.id,
        RecordDeleteV1 {
            object: "Account".into(),
            record_id: "acc-1".into(),
        },
    );
    broker
        .publish_envelope(app.topology(), &delete)
        .await
        .expect("published");
    gone(app, l.n.acme(), "Account", "acc-1").await;
}

async fn tombstones(app: &TestApp, l: &Linked) -> Vec<Value> {
    entries(app, l.n.globex(), &format!("record_id={}", l.copy))
        .await
        .into_iter()
        .filter(|e| e["kind"] == "delete")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_deletes_ingest_with_the_flag_deletes_the_partners_copy() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    sync_deletes(&app, n.globex(), &n.id, "Account", true).await;
    app.wait_idle().await;

    delete_over_ingest(&app, &l).await;
    gone(&app, n.globex(), "Account", &l.copy).await;
    link_with_status(&app, n.globex(), "Account", &l.copy, "Inactive (deleted)").await;
    let rows = settled_kind(
        &app,
        n.globex(),
        &format!("record_id={}", l.copy),
        "delete",
        1,
    )
    .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["state"], "Applied", "{rows:?}");
    assert_eq!(rows[0]["sender_org_id"], n.p.acme.id.to_string());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_deletes_ingest_without_the_flag_keeps_the_partners_copy() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    app.wait_idle().await;

    delete_over_ingest(&app, &l).await;
    link_with_status(&app, n.globex(), "Account", &l.copy, "Inactive (deleted)").await;
    app.wait_idle().await;
    let (status, copy) = get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(status, 200, "the copy stays: {copy}");
    assert_eq!(copy["fields"]["Name"], "Initrode");
    let sent = tombstones(&app, &l).await;
    assert!(sent.is_empty(), "no tombstone was sent: {sent:?}");
    app.stop().await;
}
