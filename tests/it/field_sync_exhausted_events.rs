//! A partner's tombstone or touch whose transient failure outlasts the retry schedule ends like
//! an update's (field_sync_exhausted), against real servers: Failed after 3 attempts with the
//! error, in the dead-letter queue with its reason, reported once (a `RecordUpdateFailed`
//! history entry and an item of the owner's digest); a replay after the cause is gone applies
//! it (Resolved). The failure is injected by holding the copy's row lock, never released until
//! the replay.

use crate::connections_support::history_kinds;
use crate::field_sync_support::{
    Linked, delete, digest_items, entry_where, gone, linked, lock_copy, record_where, release,
    sync_deletes, three_attempts,
};
use crate::links_support::get_record;
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use shared::amqp::dead_letters;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// Waits until Globex's entry of `kind` is Failed, and checks it gave up after three attempts,
/// was dead-lettered with its reason and reported once. Returns the entry.
async fn failed_for_good(app: &TestApp, l: &Linked, kind: &str) -> Value {
    let n = &l.n;
    let failed = entry_where(app, l, "the entry Failed", |e| {
        e["kind"] == kind && e["state"] == "Failed"
    })
    .await;
    assert_eq!(failed["attempts"], 3, "{failed}");
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("lock"), "{error}");
    assert!(failed["finished_at"].is_string(), "{failed}");

    let letters = eventually("the dead letter", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
            .await
            .ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let reason = &letters[0].reason;
    assert!(reason.contains("gave up after 3 attempts"), "{reason}");
    assert!(reason.contains("lock"), "{reason}");
    assert_eq!(letters[0].attempts, 3);

    let entry = eventually(
        "the failure in Globex's history",
        Duration::from_secs(20),
        || async {
            history_kinds(app, n.globex(), &n.id)
                .await
                .into_iter()
                .find(|(kind, _)| kind == "RecordUpdateFailed")
        },
    )
    .await;
    assert!(entry.1.contains("after 3 attempts"), "{}", entry.1);
    let digest = eventually("the digest item", Duration::from_secs(20), || async {
        let items = digest_items(app, &n.id).await;
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(digest, vec![3]);
    failed
}

/// After the replay: reported once, nothing left in the dead letters.
async fn reported_once_and_no_dead_letter(app: &TestApp, l: &Linked) {
    app.wait_idle().await;
    let kinds = history_kinds(app, l.n.globex(), &l.n.id).await;
    let failures = kinds.iter().filter(|(k, _)| k == "RecordUpdateFailed");
    assert_eq!(failures.count(), 1, "{kinds:?}");
    assert_eq!(digest_items(app, &l.n.id).await.len(), 1);
    let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
        .await
        .expect("the dead letters");
    assert!(letters.is_empty(), "{letters:?}");
}

async fn replay(app: &TestApp, l: &Linked, selector: Value) {
    let replayed = call(
        app,
        Method::POST,
        "/v1/sync/ledger/replay",
        l.n.globex(),
        Some(selector),
        200,
    )
    .await;
    assert_eq!(replayed["replayed"], 1, "{replayed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_exhausted_a_tombstone_that_never_clears_is_failed_reported_and_replayed() {
    let app = three_attempts().await;
    let l = linked(&app).await;
    let n = &l.n;
    sync_deletes(&app, n.globex(), &n.id, "Account", true).await;
    app.wait_idle().await;

    let mut locker = lock_copy(&app, &l.copy).await;
    delete(&app, n.acme(), "Account", "acc-1").await;
    let failed = failed_for_good(&app, &l, "delete").await;
    let (status, copy) = get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(status, 200, "the copy is still there: {copy}");

    release(&mut locker).await;
    replay(&app, &l, json!({ "update_id": failed["update_id"] })).await;
    let resolved = entry_where(&app, &l, "the tombstone Resolved", |e| {
        e["kind"] == "delete" && e["state"] == "Resolved"
    })
    .await;
    assert_eq!(resolved["update_id"], failed["update_id"]);
    assert_eq!(resolved["attempts"], 4, "{resolved}");
    gone(&app, n.globex(), "Account", &l.copy).await;
    reported_once_and_no_dead_letter(&app, &l).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_exhausted_a_touch_that_never_clears_is_failed_reported_and_replayed() {
    let app = three_attempts().await;
    let l = linked(&app).await;
    let n = &l.n;
    app.wait_idle().await;
    let (_, before) = get_record(&app, n.globex(), "Account", &l.copy).await;
    let version = before["version"].as_i64().expect("a version");

    let mut locker = lock_copy(&app, &l.copy).await;
    call(
        &app,
        Method::POST,
        "/v1/records/Account/acc-1/touch",
        n.acme(),
        None,
        200,
    )
    .await;
    let failed = failed_for_good(&app, &l, "touch").await;
    let (_, copy) = get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(copy["version"], before["version"], "untouched: {copy}");

    // Replayed as all of the connection's failed updates.
    release(&mut locker).await;
    replay(&app, &l, json!({ "connection_id": n.id })).await;
    let resolved = entry_where(&app, &l, "the touch Resolved", |e| {
        e["kind"] == "touch" && e["state"] == "Resolved"
    })
    .await;
    assert_eq!(resolved["update_id"], failed["update_id"]);
    let copy = record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "the touch applied",
        |r| r["version"].as_i64() == Some(version + 1),
    )
    .await;
    assert_eq!(copy["fields"], before["fields"], "values untouched");
    assert_eq!(
        copy["last_modified_by"],
        json!({ "kind": "connection_user", "connection_id": n.id, "partner_org_id": n.p.acme.id })
    );
    reported_once_and_no_dead_letter(&app, &l).await;
    app.stop().await;
}
