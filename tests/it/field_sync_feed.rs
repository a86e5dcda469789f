//! The change feed of the receiving org, against real servers: a partner's update applied to
//! a copy appears on it exactly once, marked as the partner's (the connection and the partner
//! org).

use crate::field_sync_support::{linked, patch, record_where};
use serde_json::json;
use tests::TestApp;
use tests::records::OrgBroker;

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_feed_shows_a_partners_update_once_marked_as_the_partners() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    let feed = OrgBroker::create(&app, &n.p.globex).await;
    app.wait_idle().await;
    feed.drain_feed().await;

    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Rating": "Hot" }),
    )
    .await;
    record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "Warm on the copy",
        |r| r["fields"]["Rating"] == "Warm",
    )
    .await;
    app.wait_idle().await;

    let changes: Vec<_> = feed
        .drain_feed()
        .await
        .into_iter()
        .filter(|m| m.payload.record_id == l.copy)
        .collect();
    assert_eq!(changes.len(), 1, "exactly once: {changes:?}");
    let change = &changes[0];
    assert_eq!(change.org_id, n.p.globex.id);
    assert_eq!(
        change.payload.fields,
        json!({ "Rating": "Warm" })
            .as_object()
            .cloned()
            .unwrap_or_default()
    );
    assert_eq!(
        serde_json::to_value(&change.payload.changed_by).expect("JSON"),
        json!({ "kind": "connection_user", "connection_id": n.id, "partner_org_id": n.p.acme.id })
    );
    app.stop().await;
}
