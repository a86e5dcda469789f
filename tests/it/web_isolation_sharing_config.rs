//! The configuration pages show only the signed-in user's org: a third org's session on the
//! publications and subscriptions pages of another org's connection, and on another org's
//! template, gets "not found" and changes nothing; its template list holds only its own.

use crate::sharing_support::{call, connected};
use crate::web_support::sign_in;
use reqwest::Method;
use serde_json::json;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_a_third_orgs_session_gets_404_on_sharing_config_pages_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    call(
        &app,
        Method::PUT,
        &format!("/v1/connections/{id}/publications/Account"),
        &p.acme.key,
        Some(json!({ "fields": ["Name", "Phone"] })),
        200,
    )
    .await;
    let template = call(
        &app,
        Method::POST,
        "/v1/connection-templates",
        &p.acme.key,
        Some(json!({ "name": "Secret Template", "objects": [{ "object": "Account" }] })),
        201,
    )
    .await;
    let template_id = template["id"].as_str().expect("an id").to_string();
    let initech = app.create_org("Initech").await;
    app.create_user(&initech, "Ian Initech", "ian@initech.example")
        .await;
    let ian = sign_in(&app, "ian@initech.example", 1).await;
    let csrf = ian.get("/connection-templates").await.csrf();

    for url in [
        format!("/connections/{id}/publications"),
        format!("/connections/{id}/subscriptions"),
        format!("/connection-templates/{template_id}"),
    ] {
        let page = ian.get(&url).await;
        assert_eq!(page.status, 404, "{url}: {}", page.body);
        assert!(!page.body.contains("Secret Template") && !page.body.contains("Acme Corp"));
    }
    let posts: [(String, Vec<(&str, &str)>); 5] = [
        (
            format!("/connections/{id}/publications"),
            vec![("action", "unpublish"), ("object", "Account")],
        ),
        (
            format!("/connections/{id}/publications"),
            vec![("action", "publish"), ("object", "Account")],
        ),
        (
            format!("/connections/{id}/subscriptions"),
            vec![("action", "subscribe"), ("object", "Account")],
        ),
        (
            format!("/connection-templates/{template_id}"),
            vec![("name", "Stolen"), ("active", "on"), ("object", "Account")],
        ),
        (
            format!("/connection-templates/{template_id}/apply"),
            vec![("connection", id.as_str())],
        ),
    ];
    for (url, fields) in &posts {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let page = ian.post(url, &form).await;
        assert_eq!(page.status, 404, "{url}: {}", page.body);
    }
    let list = ian.get("/connection-templates").await;
    assert!(!list.body.contains("Secret Template"));

    // Nothing changed: Acme still publishes Account; Globex subscribes to nothing; the
    // template keeps its name.
    let publications = call(
        &app,
        Method::GET,
        &format!("/v1/connections/{id}/publications"),
        &p.acme.key,
        None,
        200,
    )
    .await;
    assert_eq!(publications["published"][0]["object"], "Account");
    let subscriptions = call(
        &app,
        Method::GET,
        &format!("/v1/connections/{id}/subscriptions"),
        &p.globex.key,
        None,
        200,
    )
    .await;
    assert_eq!(subscriptions["subscriptions"], json!([]));
    let template = call(
        &app,
        Method::GET,
        &format!("/v1/connection-templates/{template_id}"),
        &p.acme.key,
        None,
        200,
    )
    .await;
    assert_eq!(template["name"], "Secret Template");
}
