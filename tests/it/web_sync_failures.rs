//! A connection's sync failures page over HTTP: a refused update is listed with its record,
//! fields, error and attempts, for the receiver with a Replay button and for the sender without;
//! replaying all of the connection after the cause is removed shows the outcome Applied and
//! leaves no failure. A bad update id is an error page naming the field; a POST without the
//! CSRF field is refused.

use crate::field_sync_reports::refusing_code;
use crate::field_sync_support::{Linked, linked, patch, settled};
use crate::sharing_support::call;
use crate::web_support::{WebClient, sign_in};
use reqwest::Method;
use serde_json::json;
use shared::amqp::dead_letters;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

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
    eventually(
        "sync to know the longer field",
        Duration::from_secs(20),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            let found: i64 = diesel_async::RunQueryDsl::get_result(
                diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                    "(SELECT count(*) FROM sync.object_schemas \
                  WHERE object = 'Account' AND definition::text LIKE '%\"max_length\": 40%')",
                )),
                &mut conn,
            )
            .await
            .ok()?;
            (found >= 1).then_some(())
        },
    )
    .await;
}

async fn page_where(client: &WebClient, path: &str, what: &str, text: &str) -> String {
    eventually(what, Duration::from_secs(20), || async {
        let page = client.get(path).await;
        (page.status == 200 && page.body.contains(text)).then_some(page.body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn web_sync_failures_are_listed_and_replayed_with_their_outcome() {
    let app = TestApp::spawn().await;
    let (l, update_id) = failed_update(&app).await;
    let id = &l.n.id;
    let path = format!("/connections/{id}/sync-failures");

    let gus = sign_in(&app, "gus@globex.example", 1).await;
    let connection = gus.get(&format!("/connections/{id}")).await;
    assert!(connection.body.contains(&path), "{}", connection.body);
    let page = gus.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("failure-entries"), "{}", page.body);
    assert!(page.body.contains("Code__c = 555-0100-99"), "{}", page.body);
    assert!(page.body.contains(&l.copy), "{}", page.body);
    assert!(page.body.contains(&format!("replay-{update_id}")));
    let csrf = page.csrf();

    // The sender sees the failure, not a Replay button: only the receiver replays.
    let olga = sign_in(&app, "olga@acme.example", 1).await;
    let sent = olga.get(&path).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(
        sent.body.contains("Your partner can replay it"),
        "{}",
        sent.body
    );
    assert!(!sent.body.contains(&format!("replay-{update_id}")));

    // No CSRF field: refused, nothing replayed. A malformed update id: the field named.
    let forged = gus.post(&path, &[("update_id", &update_id)]).await;
    assert!((400..500).contains(&forged.status), "{}", forged.status);
    let bad = gus
        .post(&path, &[("csrf", &csrf), ("update_id", "nope")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("the update id must be a UUID"),
        "{}",
        bad.body
    );
    assert!(gus.get(&path).await.body.contains("Code__c = 555-0100-99"));

    remove_the_cause(&app, &l).await;
    let replayed = gus.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(replayed.status, 303, "{}", replayed.body);
    let outcome = replayed.location.expect("to the failures page");
    assert!(outcome.starts_with(&path) && outcome.contains(&update_id));
    let body = page_where(&gus, &outcome, "the outcome Applied", "Applied</strong>").await;
    assert!(body.contains("1 update was replayed."), "{body}");
    assert!(body.contains("No failed updates"), "{body}");
    app.stop().await;
}
