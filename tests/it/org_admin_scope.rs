//! Issue 7: only the `admin` scope manages users and keys, and no key grants what it lacks.

use serde_json::{Value, json};
use shared::identity::Scope;
use tests::{TestApp, TestOrg};

async fn key_with(app: &TestApp, org: &TestOrg, scopes: &[Scope]) -> String {
    let mut conn = app.pool().get().await.expect("a connection");
    shared::identity::create_key(&mut conn, org.id, "limited", scopes)
        .await
        .expect("a key")
}

async fn default_key_id(app: &TestApp, org: &TestOrg) -> uuid::Uuid {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use shared::identity::api_keys;
    let mut conn = app.pool().get().await.expect("a connection");
    api_keys::table
        .filter(api_keys::org_id.eq(org.id.as_uuid()))
        .filter(api_keys::name.eq("default"))
        .select(api_keys::id)
        .first(&mut conn)
        .await
        .expect("the default key")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_with_only_manage_connections_cannot_create_keys_revoke_keys_or_manage_users() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let manager = key_with(&app, &acme, &[Scope::ManageConnections]).await;
    let all = json!({ "name": "everything", "scopes": ["manage_connections", "forward", "accept", "read", "admin"] });

    let created = app.post("/v1/api-keys", Some(&manager), &all).await;
    assert_eq!(created.status(), 403);
    let problem: Value = created.json().await.expect("a problem");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("admin"),
        "{problem}"
    );

    let default_key = default_key_id(&app, &acme).await;
    let revoked = app
        .delete(&format!("/v1/api-keys/{default_key}"), &manager)
        .await;
    assert_eq!(revoked.status(), 403);
    let user = app
        .post(
            "/v1/users",
            Some(&manager),
            &json!({ "name": "Eve", "email": "eve@acme.example" }),
        )
        .await;
    assert_eq!(user.status(), 403);

    // The full key still works: it was neither revoked nor joined by a new one.
    assert_eq!(app.get("/v1/users", Some(&acme.key)).await.status(), 200);
    let users: Value = app
        .get("/v1/users", Some(&acme.key))
        .await
        .json()
        .await
        .expect("users");
    assert_eq!(
        users.as_array().map(Vec::len),
        Some(1),
        "only the Connection User: {users}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_key_grants_only_the_scopes_it_holds() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let admin = key_with(&app, &acme, &[Scope::Admin, Scope::Read]).await;

    let wider = app
        .post(
            "/v1/api-keys",
            Some(&admin),
            &json!({ "name": "wider", "scopes": ["read", "forward"] }),
        )
        .await;
    assert_eq!(wider.status(), 422);
    let problem: Value = wider.json().await.expect("a problem");
    assert_eq!(problem["field"], "scopes[1]");

    let same = app
        .post(
            "/v1/api-keys",
            Some(&admin),
            &json!({ "name": "reader", "scopes": ["read"] }),
        )
        .await;
    assert_eq!(same.status(), 201);

    // The org's first key holds every scope, admin included, so it can grant them all.
    let full = app
        .post(
            "/v1/api-keys",
            Some(&acme.key),
            &json!({ "name": "full", "scopes": ["manage_connections", "forward", "accept", "read", "admin"] }),
        )
        .await;
    assert_eq!(full.status(), 201);
    let full: Value = full.json().await.expect("a key");
    assert_eq!(full["scopes"].as_array().map(Vec::len), Some(5));
    app.stop().await;
}
