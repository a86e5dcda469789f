//! Connection templates: defined over HTTP with the publication rules, applied to many
//! connections at once (a result per connection) and when chosen for a connection
//! (`ConnectionTemplateChosenV1`); applying makes the published set exactly the template's;
//! an inactive template is refused.

use crate::sharing_support::{call, connected, fields, objects};
use reqwest::Method;
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::connection::ConnectionTemplateChosenV1;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

async fn template(app: &TestApp, key: &str, body: Value) -> String {
    let created = call(
        app,
        Method::POST,
        "/v1/connection-templates",
        key,
        Some(body),
        201,
    )
    .await;
    created["id"].as_str().expect("an id").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_templates_are_defined_and_applied_to_many_connections_exactly() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let key = p.acme.key.as_str();
    let base = format!("/v1/connections/{id}/publications");

    // Definition, with the publication rules and a name unique in the org.
    let standard = template(&app, key, json!({
        "name": "Standard", "description": "What resellers get",
        "objects": [{ "object": "Account" }, { "object": "Contact", "fields": ["LastName", "Email"] }],
    }))
    .await;
    let shown = call(
        &app,
        Method::GET,
        &format!("/v1/connection-templates/{standard}"),
        key,
        None,
        200,
    )
    .await;
    assert_eq!(shown["active"], true);
    assert_eq!(
        shown["objects"],
        json!([
            { "object": "Account", "fields": ["Name"] },
            { "object": "Contact", "fields": ["LastName", "Email"] },
        ])
    );
    for (body, field) in [
        (json!({ "name": "Standard", "objects": [] }), "name"),
        (json!({ "name": " ", "objects": [] }), "name"),
        (
            json!({ "name": "X", "objects": [{ "object": "Nothing__c" }] }),
            "objects[0].object",
        ),
        (
            json!({ "name": "X", "objects": [{ "object": "Account", "fields": ["Nope"] }] }),
            "objects[0].fields[0]",
        ),
    ] {
        let problem = call(
            &app,
            Method::POST,
            "/v1/connection-templates",
            key,
            Some(body),
            422,
        )
        .await;
        assert_eq!(problem["field"], field, "{problem}");
    }
    let list = call(
        &app,
        Method::GET,
        "/v1/connection-templates",
        key,
        None,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // The connection publishes Case and Account with Phone; apply makes it exactly the template.
    call(
        &app,
        Method::PUT,
        &base,
        key,
        Some(json!({ "objects": [
        { "object": "Case" }, { "object": "Account", "fields": ["Name", "Phone"] }] })),
        200,
    )
    .await;
    let unknown = uuid::Uuid::now_v7();
    let applied = call(
        &app,
        Method::POST,
        &format!("/v1/connection-templates/{standard}/apply"),
        key,
        Some(json!({ "connection_ids": [id, unknown] })),
        200,
    )
    .await;
    let results = applied["results"].as_array().expect("results");
    assert_eq!(results[0]["outcome"], "applied");
    assert_eq!(
        results[0]["change"]["objects_published"],
        json!(["Contact"])
    );
    assert_eq!(results[0]["change"]["objects_unpublished"], json!(["Case"]));
    assert_eq!(results[1]["outcome"], "failed");
    assert_eq!(results[1]["error"]["status"], 404);
    let view = call(&app, Method::GET, &base, key, None, 200).await;
    assert_eq!(objects(&view["published"]), ["Account", "Contact"]);
    assert_eq!(fields(&view["published"], "Account"), ["Name"]);
    assert_eq!(view["template"]["outcome"], "applied");
    // Applying again changes nothing.
    let again = call(
        &app,
        Method::POST,
        &format!("/v1/connection-templates/{standard}/apply"),
        key,
        Some(json!({ "connection_ids": [id] })),
        200,
    )
    .await;
    assert_eq!(again["results"][0]["change"]["changes"], json!([]));

    // An inactive template is refused.
    let mut body = shown.clone();
    for k in ["id", "created_at", "updated_at"] {
        body.as_object_mut().map(|o| o.remove(k));
    }
    body["active"] = json!(false);
    call(
        &app,
        Method::PUT,
        &format!("/v1/connection-templates/{standard}"),
        key,
        Some(body),
        200,
    )
    .await;
    let problem = call(
        &app,
        Method::POST,
        &format!("/v1/connection-templates/{standard}/apply"),
        key,
        Some(json!({ "connection_ids": [id] })),
        422,
    )
    .await;
    assert_eq!(problem["field"], "template_id");

    // Deleting it leaves the connection's publications as they are.
    call(
        &app,
        Method::DELETE,
        &format!("/v1/connection-templates/{standard}"),
        key,
        None,
        204,
    )
    .await;
    call(
        &app,
        Method::GET,
        &format!("/v1/connection-templates/{standard}"),
        key,
        None,
        404,
    )
    .await;
    let view = call(&app, Method::GET, &base, key, None, 200).await;
    assert_eq!(objects(&view["published"]), ["Account", "Contact"]);
    app.stop().await;
}

async fn choose(app: &TestApp, org: shared::ids::OrgId, connection: &str, template: &str) {
    let event = ConnectionTemplateChosenV1 {
        connection_id: ConnectionId(uuid::Uuid::parse_str(connection).expect("uuid")),
        template_id: uuid::Uuid::parse_str(template).expect("uuid"),
    };
    app.publisher
        .publish(app.topology(), &Envelope::new(org, event))
        .await
        .expect("published");
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_templates_chosen_for_a_connection_are_applied_by_the_consumer() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let key = p.acme.key.as_str();
    let base = format!("/v1/connections/{id}/publications");
    let leads = template(
        &app,
        key,
        json!({
            "name": "Leads only", "objects": [{ "object": "Lead" }],
        }),
    )
    .await;
    call(
        &app,
        Method::PUT,
        &format!("{base}/Case"),
        key,
        Some(json!({})),
        200,
    )
    .await;

    // As the invitation service would, at invite time or on edit.
    choose(&app, p.acme.id, &id, &leads).await;
    let view = eventually("the template applied", Duration::from_secs(20), || async {
        let view = call(&app, Method::GET, &base, key, None, 200).await;
        (objects(&view["published"]) == ["Lead"]).then_some(view)
    })
    .await;
    assert_eq!(fields(&view["published"], "Lead"), ["LastName", "Company"]);
    assert_eq!(view["template"]["template_id"], json!(leads));
    assert_eq!(view["template"]["outcome"], "applied");

    // An inactive one is not applied; the failure is kept where Acme sees it.
    let inactive = template(
        &app,
        key,
        json!({
            "name": "Old", "active": false, "objects": [{ "object": "Account" }],
        }),
    )
    .await;
    choose(&app, p.acme.id, &id, &inactive).await;
    let view = eventually("the failure recorded", Duration::from_secs(20), || async {
        let view = call(&app, Method::GET, &base, key, None, 200).await;
        (view["template"]["outcome"] == "failed").then_some(view)
    })
    .await;
    assert!(
        view["template"]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("inactive")
    );
    assert_eq!(objects(&view["published"]), ["Lead"], "nothing changed");

    // Another org's template chosen by Globex is "no such template" for Globex.
    choose(&app, p.globex.id, &id, &leads).await;
    let view = eventually(
        "Globex's failure recorded",
        Duration::from_secs(20),
        || async {
            let view = call(&app, Method::GET, &base, &p.globex.key, None, 200).await;
            (view["template"]["outcome"] == "failed").then_some(view)
        },
    )
    .await;
    assert_eq!(objects(&view["published"]), Vec::<String>::new());
    app.stop().await;
}
