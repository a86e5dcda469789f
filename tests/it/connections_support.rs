//! Helpers of the connection tests: two orgs with owners, an invitation and its token, what
//! each side sees.

use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::email::decode;
use tests::{TestApp, TestOrg};

/// An inviting org with an owner, and the invited org with one.
pub struct Pair {
    pub acme: TestOrg,
    pub acme_owner: uuid::Uuid,
    pub globex: TestOrg,
    pub globex_owner: uuid::Uuid,
}

pub async fn pair(app: &TestApp) -> Pair {
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let acme_owner = app
        .create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    let globex_owner = app
        .create_user(&globex, "Gus Globex", "gus@globex.example")
        .await;
    Pair {
        acme,
        acme_owner,
        globex,
        globex_owner,
    }
}

/// Invites `email` from Acme and returns the connection id and the token from the email.
pub async fn invite(app: &TestApp, pair: &Pair, email: &str) -> (String, String) {
    let response = app
        .post(
            "/v1/connections",
            Some(&pair.acme.key),
            &json!({ "contact": { "name": "Gina", "email": email }, "owner_user_id": pair.acme_owner }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("JSON");
    let id = created["id"].as_str().expect("an id").to_string();
    let token = token_for(app, email, 1).await;
    (id, token)
}

/// Globex claims the invitation `token` (the link's answer: 200).
pub async fn claim(app: &TestApp, pair: &Pair, token: &str) {
    let claim = app
        .post(
            "/v1/invitations/claim",
            Some(&pair.globex.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(claim.status(), 200, "claimed");
}

/// Globex claims the invitation `token` of connection `id` and accepts it, Gus owning it.
pub async fn claim_and_accept(app: &TestApp, pair: &Pair, id: &str, token: &str) {
    claim(app, pair, token).await;
    let accept = app
        .post(
            &format!("/v1/connections/{id}/accept"),
            Some(&pair.globex.key),
            &json!({ "owner_user_id": pair.globex_owner }),
        )
        .await;
    assert_eq!(accept.status(), 200, "accepted");
}

/// The token of the `nth` invitation email received by `email`.
pub async fn token_for(app: &TestApp, email: &str, nth: usize) -> String {
    let received = eventually("the invitation email", Duration::from_secs(20), || async {
        let all = app.smtp.received_by(email);
        (all.len() >= nth).then(|| all[nth - 1].clone())
    })
    .await;
    let text = decode(&received).text;
    text.lines()
        .find_map(|l| l.split("token=").nth(1))
        .expect("a token in the email")
        .trim()
        .to_string()
}

pub async fn status_of(app: &TestApp, key: &str, id: &str) -> String {
    let view: Value = app
        .get(&format!("/v1/connections/{id}"), Some(key))
        .await
        .json()
        .await
        .expect("JSON");
    view["status"].as_str().expect("a status").to_string()
}

pub async fn history_kinds(app: &TestApp, key: &str, id: &str) -> Vec<(String, String)> {
    let page: Value = app
        .get(
            &format!("/v1/connections/{id}/history?limit=200"),
            Some(key),
        )
        .await
        .json()
        .await
        .expect("JSON");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["summary"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub async fn outbox_rows(app: &TestApp) -> i64 {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT count(*) AS n FROM messaging.outbox"),
        &mut conn,
    )
    .await
    .map(|r: shared::db::CountRow| r.n)
    .expect("count")
}
