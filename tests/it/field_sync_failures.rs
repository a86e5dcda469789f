//! Field sync failures against real servers: a copy whose rules refuse the value fails at once
//! (one attempt, not retried, dead-lettered), the ledger says Failed with the reason, the copy
//! keeps its value; the ledger lists it with `failed_only`, a page at a time, to the two orgs only.

use crate::field_sync_support::{entries, ledger, linked, patch, second_worker, settled};
use crate::links_support::{get_record, subscribe};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::json;
use shared::amqp::dead_letters;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_a_refused_value_fails_at_once_in_the_ledger() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let l = linked(&app).await;
    let n = &l.n;
    // Globex takes Acme's Phone into a short text field of its own.
    call(
        &app,
        Method::POST,
        "/v1/objects/Account/fields",
        n.globex(),
        Some(json!({ "api_name": "Code__c", "label": "Code", "type": "text", "max_length": 5 })),
        201,
    )
    .await;
    subscribe(
        &app,
        n.globex(),
        &n.id,
        "Account",
        json!({ "auto_accept": true, "fields": { "Name": "Name", "Phone": "Code__c" } }),
    )
    .await;
    eventually(
        "sync to know the new mapping",
        Duration::from_secs(20),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            let found: i64 = diesel_async::RunQueryDsl::get_result(
                diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                    "(SELECT count(*) FROM sync.subscription_mappings \
                  WHERE connection_id = '{}' AND fields::text LIKE '%Code__c%')",
                    n.id
                ))),
                &mut conn,
            )
            .await
            .ok()?;
            (found == 1).then_some(())
        },
    )
    .await;

    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Phone": "555-0100-99" }),
    )
    .await;
    let query = format!("connection_id={}&failed_only=true", n.id);
    let failed = settled(&app, n.globex(), &query, 1).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["state"], "Failed");
    assert_eq!(failed[0]["attempts"], 1);
    let error = failed[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("Code__c"), "{error}");
    // The sender sees the failure too.
    assert_eq!(entries(&app, n.acme(), &query).await.len(), 1);
    app.wait_idle().await;
    let (_, copy) = get_record(&app, n.globex(), "Account", &l.copy).await;
    assert!(copy["fields"].get("Code__c").is_none(), "{copy}");
    // Dead-lettered with the reason, at once.
    let letters = eventually("the dead letter", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
            .await
            .ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].reason.contains("Code__c"),
        "{}",
        letters[0].reason
    );
    assert_eq!(letters[0].attempts, 1);
    // Not retried: still one attempt once everything is idle.
    assert_eq!(entries(&app, n.globex(), &query).await[0]["attempts"], 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_ledger_is_paged_filtered_and_kept_to_the_two_orgs() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    for name in ["One", "Two", "Three"] {
        patch(&app, n.acme(), "Account", "acc-1", json!({ "Name": name })).await;
    }
    let query = format!("connection_id={}", n.id);
    settled(&app, n.acme(), &query, 3).await;

    let first = ledger(&app, n.acme(), &format!("{query}&limit=2"), 200).await;
    assert_eq!(first["entries"].as_array().map(Vec::len), Some(2));
    let after = first["next_after"].as_i64().expect("a next page");
    let second = ledger(
        &app,
        n.acme(),
        &format!("{query}&limit=2&after={after}"),
        200,
    )
    .await;
    assert_eq!(second["entries"].as_array().map(Vec::len), Some(1));
    assert!(second["next_after"].is_null());
    // By record: Acme's own record id, Globex's copy id.
    assert_eq!(entries(&app, n.acme(), "record_id=acc-1").await.len(), 3);
    assert_eq!(
        entries(&app, n.globex(), &format!("record_id={}", l.copy))
            .await
            .len(),
        3
    );
    assert!(
        entries(&app, n.globex(), "record_id=acc-1")
            .await
            .is_empty()
    );
    assert!(entries(&app, n.acme(), "failed_only=true").await.is_empty());

    // A third org sees nothing of it.
    let other = app.create_org("Umbrella").await;
    assert!(entries(&app, &other.key, &query).await.is_empty());
    assert!(
        entries(&app, &other.key, "record_id=acc-1")
            .await
            .is_empty()
    );

    // Bad input: 422 naming the field.
    let bad = ledger(&app, n.acme(), "connection_id=nope", 422).await;
    assert_eq!(bad["field"], "connection_id");
    let bad = ledger(&app, n.acme(), "limit=0", 422).await;
    assert_eq!(bad["field"], "limit");
    let bad = ledger(&app, n.acme(), "failed_only=maybe", 422).await;
    assert!(bad["field"].is_string(), "{bad}");
    // Without a key: 401.
    let response = app.get("/v1/sync/ledger", None).await;
    assert_eq!(response.status().as_u16(), 401);
    app.stop().await;
}
