//! Helpers of the record-link tests: Acme and Globex connected, Acme publishing Account and
//! Lead, Globex subscribed; records made over HTTP; forwards, the inbox, External Sharing lists
//! and waits on them (each with a deadline).

use crate::connections_support::Pair;
use crate::sharing_support::{call, connected};
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// Two connected orgs, Acme publishing Account (Name, Rating, Phone) and Lead (LastName,
/// Company), Globex subscribing to both (Rating's `Hot` arriving as `Warm`, Phone unmapped).
pub struct Net {
    pub p: Pair,
    pub id: String,
}

impl Net {
    pub fn acme(&self) -> &str {
        &self.p.acme.key
    }
    pub fn globex(&self) -> &str {
        &self.p.globex.key
    }
}

pub async fn net(app: &TestApp, auto_accept: bool) -> Net {
    let (p, id) = connected(app).await;
    let net = Net { p, id };
    publish(
        app,
        net.acme(),
        &net.id,
        "Account",
        json!(["Name", "Rating", "Phone"]),
    )
    .await;
    publish(
        app,
        net.acme(),
        &net.id,
        "Lead",
        json!(["LastName", "Company"]),
    )
    .await;
    subscribe(
        app,
        net.globex(),
        &net.id,
        "Account",
        json!({
            "auto_accept": auto_accept,
            "fields": { "Name": "Name", "Rating": "Rating", "Phone": null },
            "picklist_values": { "Rating": { "Hot": "Warm" } },
        }),
    )
    .await;
    subscribe(
        app,
        net.globex(),
        &net.id,
        "Lead",
        json!({ "auto_accept": auto_accept, "auto_map": true }),
    )
    .await;
    net
}

pub async fn publish(app: &TestApp, key: &str, id: &str, object: &str, fields: Value) {
    let path = format!("/v1/connections/{id}/publications/{object}");
    call(
        app,
        Method::PUT,
        &path,
        key,
        Some(json!({ "fields": fields })),
        200,
    )
    .await;
}

pub async fn subscribe(app: &TestApp, key: &str, id: &str, object: &str, body: Value) {
    let path = format!("/v1/connections/{id}/subscriptions/{object}");
    let response = app
        .http
        .put(format!("{}{path}", app.base_url))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert!(
        status == 200 || status == 201,
        "PUT {path}: {status} {text}"
    );
}

/// Creates a record of the org over HTTP.
pub async fn record(app: &TestApp, key: &str, object: &str, id: &str, fields: Value) {
    let body = json!({ "record_id": id, "fields": fields });
    call(
        app,
        Method::POST,
        &format!("/v1/records/{object}"),
        key,
        Some(body),
        201,
    )
    .await;
}

/// An Account with only a Name (most links tests need no more).
pub async fn account(app: &TestApp, key: &str, id: &str, name: &str) {
    record(app, key, "Account", id, json!({ "Name": name })).await;
}

/// A record as the sync service shows it (status, body).
pub async fn get_record(app: &TestApp, key: &str, object: &str, id: &str) -> (u16, Value) {
    let response = app
        .get(&format!("/v1/records/{object}/{id}"), Some(key))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `POST /v1/sharing/forward`, expecting `status`.
pub async fn forward(app: &TestApp, key: &str, body: Value, status: u16) -> Value {
    call(
        app,
        Method::POST,
        "/v1/sharing/forward",
        key,
        Some(body),
        status,
    )
    .await
}

/// Forwards one record to one connection and returns its one result.
pub async fn forward_one(app: &TestApp, key: &str, id: &str, object: &str, record: &str) -> Value {
    let body =
        json!({ "records": [{ "object": object, "record_id": record }], "connection_ids": [id] });
    let answer = forward(app, key, body, 200).await;
    answer["results"][0].clone()
}

pub async fn inbox(app: &TestApp, key: &str) -> Vec<Value> {
    let page = call(app, Method::GET, "/v1/sharing/inbox", key, None, 200).await;
    page["items"].as_array().cloned().unwrap_or_default()
}

/// Waits until the org's inbox holds an entry for the partner's record that satisfies `ok`.
pub async fn inbox_entry(
    app: &TestApp,
    key: &str,
    partner_record_id: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    eventually("the inbox entry", Duration::from_secs(20), || async {
        inbox(app, key)
            .await
            .into_iter()
            .find(|e| e["partner_record_id"] == partner_record_id && ok(e))
    })
    .await
}

/// A record's External Sharing list (its `links`), expecting 200.
pub async fn sharing(app: &TestApp, key: &str, object: &str, id: &str) -> Vec<Value> {
    let path = format!("/v1/sharing/records/{object}/{id}");
    let list = call(app, Method::GET, &path, key, None, 200).await;
    list["links"].as_array().cloned().unwrap_or_default()
}

/// Waits until the record's link on the connection has `status`, and returns it.
pub async fn link_with_status(
    app: &TestApp,
    key: &str,
    object: &str,
    record: &str,
    status: &str,
) -> Value {
    eventually(status, Duration::from_secs(20), || async {
        sharing(app, key, object, record)
            .await
            .into_iter()
            .find(|l| l["status"] == status)
    })
    .await
}

/// Accepts inbox entries (`items` as the route takes them), expecting 202.
pub async fn accept(app: &TestApp, key: &str, items: Value) -> Value {
    let body = json!({ "items": items });
    call(
        app,
        Method::POST,
        "/v1/sharing/inbox/accept",
        key,
        Some(body),
        202,
    )
    .await
}

/// The connection's history entries (kind, summary) of the org.
pub async fn history(app: &TestApp, key: &str, id: &str) -> Vec<(String, String)> {
    crate::connections_support::history_kinds(app, key, id).await
}
