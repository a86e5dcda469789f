//! A refused partner update is reported against real servers: sync emits
//! `sync.update_failed.v1` to the org whose copy refused it, naming its connection owner, and
//! the connection's history shows a `RecordUpdateFailed` entry with the copy's name and reason.

use crate::connections_support::history_kinds;
use crate::field_sync_support::{Linked, digest_items, linked, patch, second_worker, settled};
use crate::links_support::subscribe;
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::json;
use shared::amqp::dead_letters;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// Globex takes Acme's Phone into `Code__c`, a text field of at most 5 characters, and waits
/// until sync knows the mapping.
pub async fn refusing_code(app: &TestApp, n: &crate::links_support::Net) {
    call(
        app,
        Method::POST,
        "/v1/objects/Account/fields",
        n.globex(),
        Some(json!({ "api_name": "Code__c", "label": "Code", "type": "text", "max_length": 5 })),
        201,
    )
    .await;
    subscribe(
        app,
        n.globex(),
        &n.id,
        "Account",
        json!({ "auto_accept": true, "fields": { "Name": "Name", "Phone": "Code__c" } }),
    )
    .await;
    let mapping = format!(
        "SELECT count(*) FROM sync.subscription_mappings \
         WHERE connection_id = '{}' AND fields::text LIKE '%Code__c%'",
        n.id
    );
    sync_knows(app, "the new mapping", &mapping).await;
}

/// Waits until `count_sql` (a `SELECT count(*)` over sync's read models) counts at least one.
async fn sync_knows(app: &TestApp, what: &str, count_sql: &str) {
    let sql = format!("({count_sql})");
    eventually(
        &format!("sync to know {what}"),
        Duration::from_secs(20),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            let found: i64 = diesel_async::RunQueryDsl::get_result(
                diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&sql)),
                &mut conn,
            )
            .await
            .ok()?;
            (found >= 1).then_some(())
        },
    )
    .await;
}

/// Acme and Globex linked; Acme's phone, too long for Globex's Code__c, failed at Globex and
/// is dead-lettered. Returns the link and the failed update's id.
pub async fn failed_update(app: &TestApp) -> (Linked, String) {
    let l = linked(app).await;
    refusing_code(app, &l.n).await;
    patch(
        app,
        l.n.acme(),
        "Account",
        "acc-1",
        json!({ "Phone": "555-0100-99" }),
    )
    .await;
    let query = format!("connection_id={}&failed_only=true", l.n.id);
    let failed = settled(app, l.n.globex(), &query, 1).await;
    let update_id = failed[0]["update_id"]
        .as_str()
        .expect("an update id")
        .to_string();
    eventually("the dead letter", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
            .await
            .ok()?;
        (letters.len() == 1).then_some(())
    })
    .await;
    (l, update_id)
}

/// Globex lets Code__c hold the value, and sync's schema read model knows it.
pub async fn remove_the_cause(app: &TestApp, l: &Linked) {
    call(
        app,
        Method::PATCH,
        "/v1/objects/Account/fields/Code__c",
        l.n.globex(),
        Some(json!({ "max_length": 40 })),
        200,
    )
    .await;
    sync_knows(
        app,
        "the longer field",
        "SELECT count(*) FROM sync.object_schemas \
         WHERE object = 'Account' AND definition::text LIKE '%\"max_length\": 40%'",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_a_refused_update_is_in_the_connection_history_and_the_digest() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let l = linked(&app).await;
    let n = &l.n;
    refusing_code(&app, n).await;

    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Phone": "555-0100-99" }),
    )
    .await;
    let query = format!("connection_id={}&failed_only=true", n.id);
    settled(&app, n.globex(), &query, 1).await;

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
    let summary = entry.1;
    // The copy's display name, the attempts and the copy's reason.
    assert!(summary.contains("\"Initrode\""), "{summary}");
    assert!(summary.contains("after 1 attempts"), "{summary}");
    assert!(summary.contains("Code__c"), "{summary}");
    app.wait_idle().await;
    // Reported once.
    let kinds = history_kinds(&app, n.globex(), &n.id).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|(k, _)| k == "RecordUpdateFailed")
            .count(),
        1,
        "{kinds:?}"
    );
    // And one item, of one attempt, in the connection owner's sync-failure digest.
    eventually("the digest item", Duration::from_secs(20), || async {
        (digest_items(&app, &n.id).await == vec![1]).then_some(())
    })
    .await;
    app.stop().await;
}
