//! A transient failure of a partner's update against real servers: while another transaction
//! holds the copy's row lock past the lock timeout, the ledger says Retrying (attempts, the
//! error); once the lock is gone, a retry applies the update and the ledger says Resolved.

use crate::field_sync_support::{entries, linked, patch, record_where};
use diesel_async::SimpleAsyncConnection;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// Globex's ledger entry for the connection once it is in `state`.
async fn entry_in(app: &TestApp, key: &str, connection: &str, state: &str) -> Value {
    eventually(
        &format!("the ledger entry {state}"),
        Duration::from_secs(30),
        || async {
            entries(app, key, &format!("connection_id={connection}"))
                .await
                .into_iter()
                .find(|e| e["state"] == state)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_a_locked_copy_is_retrying_then_resolved() {
    let app = TestApp::spawn_with(|env| {
        env.insert("DB_LOCK_TIMEOUT_MS".into(), "300".into());
    })
    .await;
    let l = linked(&app).await;
    let n = &l.n;

    let mut locker = app.pool().get().await.expect("a second connection");
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM sync.records \
             WHERE object = 'Account' AND record_id = '{}' FOR UPDATE",
            l.copy
        ))
        .await
        .expect("the copy locked");
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Locked" }),
    )
    .await;

    let retrying = entry_in(&app, n.globex(), &n.id, "Retrying").await;
    assert!(
        retrying["attempts"].as_i64().unwrap_or(0) >= 1,
        "{retrying}"
    );
    let error = retrying["error"].as_str().unwrap_or_default();
    assert!(error.contains("lock"), "{error}");
    assert!(retrying["finished_at"].is_null(), "{retrying}");
    locker
        .batch_execute("ROLLBACK")
        .await
        .expect("lock released");

    let resolved = entry_in(&app, n.globex(), &n.id, "Resolved").await;
    assert_eq!(resolved["update_id"], retrying["update_id"]);
    assert!(
        resolved["attempts"].as_i64().unwrap_or(0) >= 2,
        "{resolved}"
    );
    assert!(resolved["finished_at"].is_string(), "{resolved}");
    record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "the copy updated",
        |r| r["fields"]["Name"] == "Locked",
    )
    .await;
    app.wait_idle().await;
    // Resolved stays Resolved, and nothing was dead-lettered.
    let all = entries(&app, n.globex(), &format!("connection_id={}", n.id)).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["state"], "Resolved");
    app.stop().await;
}
