//! An org manages its own users and API keys.

use serde_json::{Value, json};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn connections_admin_users_and_api_keys_are_managed_by_their_org_only() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let olga = app.create_user(&acme, "Olga", "olga@acme.example").await;

    let users: Value = app
        .get("/v1/users", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    let users = users.as_array().expect("a list");
    assert_eq!(users.len(), 2, "the Connection User and Olga");
    let connection_user = users
        .iter()
        .find(|u| u["is_connection_user"] == true)
        .and_then(|u| u["id"].as_str())
        .expect("the Connection User")
        .to_string();

    let bad = app
        .post(
            "/v1/users",
            Some(&acme.key),
            &json!({ "name": "X", "email": "nope" }),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.expect("JSON")["field"], "email");
    let kept = app
        .patch(
            &format!("/v1/users/{connection_user}"),
            &acme.key,
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(kept.status(), 422);
    let foreign = app
        .patch(
            &format!("/v1/users/{olga}"),
            &globex.key,
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(foreign.status(), 404);

    let off = app
        .patch(
            &format!("/v1/users/{olga}"),
            &acme.key,
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(off.status(), 200);
    assert_eq!(off.json::<Value>().await.expect("JSON")["active"], false);
    let invite = json!({ "contact": { "name": "Gina", "email": "gina@globex.example" }, "owner_user_id": olga });
    let refused = app.post("/v1/connections", Some(&acme.key), &invite).await;
    assert_eq!(
        refused.status(),
        422,
        "an inactive user cannot own a connection"
    );

    let bad_scope = app
        .post(
            "/v1/api-keys",
            Some(&acme.key),
            &json!({ "name": "ci", "scopes": ["root"] }),
        )
        .await;
    assert_eq!(bad_scope.status(), 422);
    assert_eq!(
        bad_scope.json::<Value>().await.expect("JSON")["field"],
        "scopes[0]"
    );
    let created = app
        .post(
            "/v1/api-keys",
            Some(&acme.key),
            &json!({ "name": "reader", "scopes": ["read"] }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("JSON");
    let key = created["key"].as_str().expect("the key, once").to_string();
    let key_id = created["id"].as_str().expect("an id").to_string();
    assert_eq!(app.get("/v1/connections", Some(&key)).await.status(), 200);
    assert_eq!(
        app.post("/v1/connections", Some(&key), &invite)
            .await
            .status(),
        403
    );

    assert_eq!(
        app.delete(&format!("/v1/api-keys/{key_id}"), &globex.key)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.delete(&format!("/v1/api-keys/{key_id}"), &acme.key)
            .await
            .status(),
        204
    );
    assert_eq!(app.get("/v1/connections", Some(&key)).await.status(), 401);
    assert_eq!(
        app.delete(&format!("/v1/api-keys/{key_id}"), &acme.key)
            .await
            .status(),
        404
    );
    app.stop().await;
}
