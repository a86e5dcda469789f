//! Replaying field sync dead letters against real servers: a refused update, replayed after a
//! newer value reached the copy, is Superseded (the copy keeps the newer value); replay is kept
//! to the org's own updates, and bad requests are 422 naming the field. One the copy now takes
//! (its field made longer), replayed by the copy's id, is applied and Resolved.

use crate::field_sync_reports::{failed_update, remove_the_cause};
use crate::field_sync_support::{entries, patch, record_where};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use shared::amqp::dead_letters;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

async fn replay(app: &TestApp, key: &str, body: Value, status: u16) -> Value {
    call(
        app,
        Method::POST,
        "/v1/sync/ledger/replay",
        key,
        Some(body),
        status,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_a_replayed_update_older_than_the_copy_is_superseded() {
    let app = TestApp::spawn().await;
    let (l, update_id) = failed_update(&app).await;
    let n = &l.n;

    // A value the copy takes, newer than the refused one.
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Phone": "12345" }),
    )
    .await;
    record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "the newer value",
        |r| r["fields"]["Code__c"] == "12345",
    )
    .await;

    // Acme sent it, it is not Acme's to replay; Globex replays it.
    assert_eq!(
        replay(&app, n.acme(), json!({ "update_id": update_id }), 200).await["replayed"],
        0
    );
    assert_eq!(
        replay(&app, n.globex(), json!({ "update_id": update_id }), 200).await["replayed"],
        1
    );
    let all = format!("connection_id={}", n.id);
    let entry = eventually("the replay applied", Duration::from_secs(20), || async {
        entries(&app, n.globex(), &all)
            .await
            .into_iter()
            .find(|e| e["update_id"] == update_id && e["state"] == "Superseded")
    })
    .await;
    assert_eq!(entry["attempts"], 2, "{entry}");
    app.wait_idle().await;
    let (_, copy) = crate::links_support::get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(copy["fields"]["Code__c"], "12345", "{copy}");
    let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
        .await
        .expect("the dead letters");
    assert!(letters.is_empty(), "{letters:?}");

    // Exactly one selector, each well formed.
    let bad = replay(&app, n.globex(), json!({}), 422).await;
    assert_eq!(bad["field"], "update_id");
    let bad = replay(
        &app,
        n.globex(),
        json!({ "update_id": update_id, "connection_id": n.id }),
        422,
    )
    .await;
    assert_eq!(bad["field"], "update_id");
    let bad = replay(&app, n.globex(), json!({ "connection_id": "nope" }), 422).await;
    assert!(bad["field"].is_string(), "{bad}");
    // Nothing left to replay for the connection.
    assert_eq!(
        replay(&app, n.globex(), json!({ "connection_id": n.id }), 200).await["replayed"],
        0
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_a_replayed_update_the_copy_now_takes_is_resolved() {
    let app = TestApp::spawn().await;
    let (l, _) = failed_update(&app).await;
    let n = &l.n;

    remove_the_cause(&app, &l).await;

    // By record: Globex's copy.
    assert_eq!(
        replay(&app, n.globex(), json!({ "record_id": l.copy }), 200).await["replayed"],
        1
    );
    record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "the replayed value",
        |r| r["fields"]["Code__c"] == "555-0100-99",
    )
    .await;
    let all = format!("connection_id={}", n.id);
    eventually("the entry Resolved", Duration::from_secs(20), || async {
        entries(&app, n.globex(), &all)
            .await
            .into_iter()
            .find(|e| e["state"] == "Resolved")
    })
    .await;
    app.stop().await;
}
