//! A partner's update whose transient failure outlasts the retry schedule, against real
//! servers. The failure is injected by holding the copy's row lock past the handler's lock
//! timeout; the schedule is shortened to two retries (three attempts), the second retry waiting
//! long enough for the test to release the lock after seeing the second failure.
//! - injected twice, the third attempt applies the update: Resolved, 3 attempts;
//! - never cleared: Failed after 3 attempts, in the dead-letter queue with its reason, reported
//!   once (a `RecordUpdateFailed` history entry and an item of the owner's digest), even when
//!   delivered again and failing again; a replay after the lock is gone applies it (Resolved,
//!   the copy holds the value).
//! - a copy that is gone: Failed and reported, not dead-lettered.

use crate::connections_support::history_kinds;
use crate::field_sync_support::{
    THREE_ATTEMPTS, digest_items, entry_where, linked, lock_copy, patch, record_where, release,
    second_worker_with, three_attempts,
};
use crate::sharing_support::call;
use diesel_async::SimpleAsyncConnection;
use reqwest::Method;
use serde_json::json;
use shared::amqp::dead_letters;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_exhausted_a_failure_injected_twice_resolves_on_the_third_attempt() {
    let app = three_attempts().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker_with(&app, &THREE_ATTEMPTS).await;
    let l = linked(&app).await;
    let n = &l.n;

    let mut locker = lock_copy(&app, &l.copy).await;
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Third" }),
    )
    .await;
    // Two attempts failed: the lock goes before the third (which waits 3 s, then up to
    // 500 ms on the lock).
    let retrying = entry_where(&app, &l, "two failed attempts", |e| {
        e["state"] == "Retrying" && e["attempts"] == 2
    })
    .await;
    release(&mut locker).await;

    let resolved = entry_where(&app, &l, "the entry Resolved", |e| e["state"] == "Resolved").await;
    assert_eq!(resolved["update_id"], retrying["update_id"]);
    assert_eq!(resolved["attempts"], 3, "{resolved}");
    assert!(resolved["error"].is_null(), "{resolved}");
    record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "the copy updated",
        |r| r["fields"]["Name"] == "Third",
    )
    .await;
    app.wait_idle().await;
    let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
        .await
        .expect("the dead letters");
    assert!(letters.is_empty(), "{letters:?}");
    let kinds = history_kinds(&app, n.globex(), &n.id).await;
    assert!(
        !kinds.iter().any(|(k, _)| k == "RecordUpdateFailed"),
        "{kinds:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_exhausted_a_failure_that_never_clears_is_failed_reported_and_replayed() {
    let app = three_attempts().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker_with(&app, &THREE_ATTEMPTS).await;
    let l = linked(&app).await;
    let n = &l.n;

    let mut locker = lock_copy(&app, &l.copy).await;
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Never" }),
    )
    .await;
    let failed = entry_where(&app, &l, "the entry Failed", |e| e["state"] == "Failed").await;
    assert_eq!(failed["attempts"], 3, "{failed}");
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("lock"), "{error}");
    assert!(failed["finished_at"].is_string(), "{failed}");

    // Dead-lettered with its reason, after the last attempt.
    let letters = eventually("the dead letter", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
            .await
            .ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].reason.contains("gave up after 3 attempts"),
        "{}",
        letters[0].reason
    );
    assert!(letters[0].reason.contains("lock"), "{}", letters[0].reason);
    assert_eq!(letters[0].attempts, 3);

    // Reported: the connection's history and the owner's digest.
    let entry = eventually(
        "the failure in Globex's history",
        Duration::from_secs(20),
        || async {
            history_kinds(&app, n.globex(), &n.id)
                .await
                .into_iter()
                .find(|(kind, _)| kind == "RecordUpdateFailed")
        },
    )
    .await;
    assert!(entry.1.contains("after 3 attempts"), "{}", entry.1);
    let digest = eventually("the digest item", Duration::from_secs(20), || async {
        let items = digest_items(&app, &n.id).await;
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(digest, vec![3]);
    // The copy kept its value meanwhile.
    let (_, copy) = crate::links_support::get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(copy["fields"]["Name"], "Initrode", "{copy}");

    // Delivered again as it was (the generic dead-letter replay, as after a crash between the
    // report and the ack), the cause still there: three attempts more, Failed again, and
    // dead-lettered again, but not reported twice.
    let moved = dead_letters::replay(app.amqp_url(), app.topology(), "sync", 10)
        .await
        .expect("the dead letter moved back");
    assert_eq!(moved, 1);
    let again = entry_where(&app, &l, "the entry Failed again", |e| {
        e["state"] == "Failed" && e["attempts"] == 6
    })
    .await;
    assert_eq!(again["update_id"], failed["update_id"]);
    eventually("the dead letter again", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
            .await
            .ok()?;
        (letters.len() == 1).then_some(())
    })
    .await;

    // The cause removed, a replay applies it.
    release(&mut locker).await;
    let replayed = call(
        &app,
        Method::POST,
        "/v1/sync/ledger/replay",
        n.globex(),
        Some(json!({ "update_id": failed["update_id"] })),
        200,
    )
    .await;
    assert_eq!(replayed["replayed"], 1, "{replayed}");
    let resolved = entry_where(&app, &l, "the entry Resolved", |e| e["state"] == "Resolved").await;
    assert_eq!(resolved["update_id"], failed["update_id"]);
    assert_eq!(resolved["attempts"], 7, "{resolved}");
    record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "the copy updated",
        |r| r["fields"]["Name"] == "Never",
    )
    .await;
    app.wait_idle().await;
    // Reported once; nothing left in the dead letters.
    let kinds = history_kinds(&app, n.globex(), &n.id).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|(k, _)| k == "RecordUpdateFailed")
            .count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(digest_items(&app, &n.id).await.len(), 1);
    let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
        .await
        .expect("the dead letters");
    assert!(letters.is_empty(), "{letters:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_exhausted_an_update_without_its_copy_is_failed_and_reported() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    // The copy deleted while its link still carries updates (the link's end follows the
    // delete asynchronously; an update already on its way meets a deleted copy).
    let mut conn = app.pool().get().await.expect("a connection");
    conn.batch_execute(&format!(
        "UPDATE sync.records SET deleted = true \
         WHERE object = 'Account' AND record_id = '{}'",
        l.copy
    ))
    .await
    .expect("the copy deleted");
    drop(conn);
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Gone" }),
    )
    .await;

    let failed = entry_where(&app, &l, "the entry Failed", |e| e["state"] == "Failed").await;
    assert_eq!(failed["attempts"], 1, "{failed}");
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("no copy"), "{error}");
    let entry = eventually(
        "the failure in Globex's history",
        Duration::from_secs(20),
        || async {
            history_kinds(&app, n.globex(), &n.id)
                .await
                .into_iter()
                .find(|(kind, _)| kind == "RecordUpdateFailed")
        },
    )
    .await;
    assert!(entry.1.contains("no copy"), "{}", entry.1);
    eventually("the digest item", Duration::from_secs(20), || async {
        (digest_items(&app, &n.id).await == vec![1]).then_some(())
    })
    .await;
    app.wait_idle().await;
    // Acked, not dead-lettered: a replay could not apply it.
    let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
        .await
        .expect("the dead letters");
    assert!(letters.is_empty(), "{letters:?}");
    app.stop().await;
}
