//! One org never reads or changes another's objects, publications or templates: another org's
//! things are "not found", exactly like missing ones.

use crate::sharing_support::{call, connected, connected_via};
use reqwest::Method;
use serde_json::json;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn sharing_isolation_an_org_cannot_see_or_change_another_orgs_sharing() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let outsider = app.create_org("Initech").await;
    let key = outsider.key.as_str();

    // Acme's custom object and field are invisible to Initech, which cannot change them.
    call(
        &app,
        Method::POST,
        "/v1/objects",
        &p.acme.key,
        Some(json!({ "api_name": "Invoice__c", "label": "Invoice" })),
        201,
    )
    .await;
    call(
        &app,
        Method::POST,
        "/v1/objects/Account/fields",
        &p.acme.key,
        Some(json!({ "api_name": "Tier__c", "label": "Tier", "type": "checkbox" })),
        201,
    )
    .await;
    call(&app, Method::GET, "/v1/objects/Invoice__c", key, None, 404).await;
    call(
        &app,
        Method::DELETE,
        "/v1/objects/Invoice__c",
        key,
        None,
        404,
    )
    .await;
    call(
        &app,
        Method::DELETE,
        "/v1/objects/Account/fields/Tier__c",
        key,
        None,
        404,
    )
    .await;
    let account = call(&app, Method::GET, "/v1/objects/Account", key, None, 200).await;
    assert!(!account.to_string().contains("Tier__c"));
    let list = call(&app, Method::GET, "/v1/objects", key, None, 200).await;
    assert!(!list.to_string().contains("Invoice__c"));

    // Acme's connection: Initech sees nothing and publishes nothing to it.
    let base = format!("/v1/connections/{id}/publications");
    call(
        &app,
        Method::PUT,
        &format!("{base}/Account"),
        &p.acme.key,
        Some(json!({})),
        200,
    )
    .await;
    call(&app, Method::GET, &base, key, None, 404).await;
    call(
        &app,
        Method::PUT,
        &format!("{base}/Account"),
        key,
        Some(json!({})),
        404,
    )
    .await;
    call(
        &app,
        Method::PUT,
        &base,
        key,
        Some(json!({ "objects": [] })),
        404,
    )
    .await;
    call(
        &app,
        Method::DELETE,
        &format!("{base}/Account"),
        key,
        None,
        404,
    )
    .await;

    // Acme's template: not found for Initech, and Initech cannot apply it.
    let created = call(
        &app,
        Method::POST,
        "/v1/connection-templates",
        &p.acme.key,
        Some(json!({ "name": "T", "objects": [{ "object": "Account" }] })),
        201,
    )
    .await;
    let template = created["id"].as_str().expect("an id");
    let path = format!("/v1/connection-templates/{template}");
    call(&app, Method::GET, &path, key, None, 404).await;
    call(
        &app,
        Method::PUT,
        &path,
        key,
        Some(json!({ "name": "Mine", "objects": [] })),
        404,
    )
    .await;
    call(&app, Method::DELETE, &path, key, None, 404).await;
    call(
        &app,
        Method::POST,
        &format!("{path}/apply"),
        key,
        Some(json!({ "connection_ids": [id] })),
        404,
    )
    .await;
    let list = call(
        &app,
        Method::GET,
        "/v1/connection-templates",
        key,
        None,
        200,
    )
    .await;
    assert_eq!(list["items"], json!([]));
    // Acme cannot apply its template to a connection that is not its own.
    let (_others, other) = connected_via(&app, "olivia@other.example").await;
    let applied = call(
        &app,
        Method::POST,
        &format!("{path}/apply"),
        &p.acme.key,
        Some(json!({ "connection_ids": [other] })),
        200,
    )
    .await;
    assert_eq!(applied["results"][0]["outcome"], "failed");
    assert_eq!(applied["results"][0]["error"]["status"], 404);

    // Everything of Acme's is unchanged.
    let view = call(&app, Method::GET, &base, &p.acme.key, None, 200).await;
    assert_eq!(view["published"][0]["object"], "Account");
    call(&app, Method::GET, &path, &p.acme.key, None, 200).await;
    call(
        &app,
        Method::GET,
        "/v1/objects/Invoice__c",
        &p.acme.key,
        None,
        200,
    )
    .await;
    app.stop().await;
}
