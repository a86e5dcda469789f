//! Helpers of the role-hierarchy and queue tests: roles and queues made over HTTP, users with
//! chosen scopes, and calls made by a key acting for one of its org's users
//! (`X-Act-As-User`).

use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;
use uuid::Uuid;

/// Creates a role under `parent` and returns its id.
pub async fn role(app: &TestApp, key: &str, name: &str, parent: Option<&str>) -> String {
    let made = call(
        app,
        Method::POST,
        "/v1/roles",
        key,
        Some(json!({ "name": name, "parent_id": parent })),
        201,
    )
    .await;
    made["id"].as_str().expect("a role id").to_string()
}

/// Creates a user with `scopes` (and `role`, if any) and returns its id.
pub async fn user(
    app: &TestApp,
    key: &str,
    email: &str,
    scopes: &[&str],
    role: Option<&str>,
) -> String {
    let made = call(
        app,
        Method::POST,
        "/v1/users",
        key,
        Some(json!({ "name": email, "email": email, "scopes": scopes })),
        201,
    )
    .await;
    let id = made["id"].as_str().expect("a user id").to_string();
    if let Some(role) = role {
        let path = format!("/v1/users/{id}/role");
        let set = call(
            app,
            Method::PUT,
            &path,
            key,
            Some(json!({ "role_id": role })),
            200,
        )
        .await;
        assert_eq!(set["role_id"], role);
    }
    id
}

/// `method path` with `key` acting as `user`, expecting `status`; the JSON answer.
pub async fn as_user(
    app: &TestApp,
    key: &str,
    user: &str,
    method: Method,
    path: &str,
    body: Value,
    status: u16,
) -> Value {
    let response = app
        .http
        .request(method.clone(), format!("{}{path}", app.base_url))
        .bearer_auth(key)
        .header("X-Act-As-User", user)
        .json(&body)
        .send()
        .await
        .expect("answered");
    let got = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(got, status, "{method} {path} as {user}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A forward (or dry run) of `records` (Account ids) to the connection by `user`: its results.
pub async fn forward_as(
    app: &TestApp,
    key: &str,
    user: &str,
    connection: &str,
    records: &[&str],
    dry_run: bool,
) -> Vec<Value> {
    let records: Vec<Value> = records
        .iter()
        .map(|id| json!({ "object": "Account", "record_id": id }))
        .collect();
    let body = json!({ "records": records, "connection_ids": [connection], "dry_run": dry_run });
    let answer = as_user(
        app,
        key,
        user,
        Method::POST,
        "/v1/sharing/forward",
        body,
        200,
    )
    .await;
    answer["results"].as_array().cloned().unwrap_or_default()
}

/// An id no row has.
pub fn unknown_id() -> String {
    Uuid::now_v7().to_string()
}
