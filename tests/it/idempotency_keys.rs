//! Issue 7: a client that retries a creating request with the same `Idempotency-Key` creates
//! nothing new and gets the first answer.

use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::{TestApp, TestOrg};

async fn invite_with_key(
    app: &TestApp,
    org: &TestOrg,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.http
        .post(format!("{}/v1/connections", app.base_url))
        .bearer_auth(&org.key)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("answered")
}

async fn connections(app: &TestApp) -> i64 {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query("SELECT count(*) AS n FROM invitation.connections")
        .get_result(&mut conn)
        .await
        .map(|r: shared::db::CountRow| r.n)
        .expect("count")
}

fn invitation(owner: uuid::Uuid, email: &str) -> Value {
    json!({ "contact": { "name": "Ann", "email": email }, "owner_user_id": owner })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_retried_with_the_same_key_creates_one_connection_and_sends_one_email() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app.create_user(&acme, "Olga", "olga@acme.example").await;
    let body = invitation(owner, "ann@initech.example");

    let first = invite_with_key(&app, &acme, "retry-1", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("a connection");
    let again = invite_with_key(&app, &acme, "retry-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotency-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let again: Value = again.json().await.expect("a connection");
    assert_eq!(again, first, "the first answer, unchanged");

    let other_body = invite_with_key(
        &app,
        &acme,
        "retry-1",
        &invitation(owner, "bob@initech.example"),
    )
    .await;
    assert_eq!(other_body.status(), 422);
    let problem: Value = other_body.json().await.expect("a problem");
    assert_eq!(problem["field"], "Idempotency-Key");

    // Keys belong to an org: Globex may use the same one for its own invite.
    let globex = app.create_org("Globex").await;
    let globex_owner = app.create_user(&globex, "Gus", "gus@globex.example").await;
    let theirs = invite_with_key(
        &app,
        &globex,
        "retry-1",
        &invitation(globex_owner, "ann@initech.example"),
    )
    .await;
    assert_eq!(theirs.status(), 201);
    let theirs: Value = theirs.json().await.expect("a connection");
    assert_ne!(theirs["id"], first["id"]);

    app.wait_idle().await;
    assert_eq!(connections(&app).await, 2);
    assert_eq!(
        app.smtp.received_by("ann@initech.example").len(),
        2,
        "one email per org"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_invites_with_the_same_key_create_one_connection() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app.create_user(&acme, "Olga", "olga@acme.example").await;
    let body = invitation(owner, "ann@initech.example");

    let attempts = futures_util::future::join_all(
        (0..4).map(|_| invite_with_key(&app, &acme, "same-time", &body)),
    )
    .await;
    let mut ids = Vec::new();
    for answer in attempts {
        match answer.status().as_u16() {
            201 => {
                let created: Value = answer.json().await.expect("a connection");
                ids.push(created["id"].clone());
            }
            409 => {}
            other => panic!(
                "unexpected {other}: {}",
                answer.text().await.unwrap_or_default()
            ),
        }
    }
    assert!(!ids.is_empty(), "one of them created");
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every 201 names the same connection: {ids:?}"
    );
    app.wait_idle().await;
    assert_eq!(connections(&app).await, 1);
    eventually("the invitation", Duration::from_secs(20), || async {
        (app.smtp.received_by("ann@initech.example").len() == 1).then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_invite_retried_with_the_same_key_creates_nothing_new() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app.create_user(&acme, "Olga", "olga@acme.example").await;
    let body = json!({
        "contacts": [
            { "name": "Ann", "email": "ann@initech.example" },
            { "name": "Bob", "email": "bob@initech.example" },
        ],
        "owner_user_id": owner,
    });
    let send = || {
        app.http
            .post(format!("{}/v1/connections/bulk", app.base_url))
            .bearer_auth(&acme.key)
            .header("Idempotency-Key", "bulk-1")
            .json(&body)
            .send()
    };
    let first: Value = send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("outcomes");
    let again: Value = send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("outcomes");
    assert_eq!(again, first);
    app.wait_idle().await;
    assert_eq!(connections(&app).await, 2);
    app.stop().await;
}
