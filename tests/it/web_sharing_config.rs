//! The configuration pages of the sharing service over HTTP: a connection's publications
//! (publish with fields, change them, unpublish, the API's refusals in words), its
//! subscriptions (subscribe, Auto-map, save a mapping with Auto-Accept and picklist values,
//! a refused mapping shown at its field, unsubscribe) and connection templates (create, a
//! refused name, edit, apply to many connections with each one's result). Outcomes are checked
//! over the API.

use crate::sharing_support::{call, connected, fields};
use crate::web_support::{WebClient, sign_in};
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

/// Posts a form with the page's CSRF token.
async fn post(
    client: &WebClient,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> crate::web_support::WebPage {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    client.post(path, &all).await
}

/// A connection's publications over the API (`path` is the page's, `/connections/{id}/publications`).
async fn publications(app: &TestApp, key: &str, path: &str) -> Value {
    call(app, Method::GET, &format!("/v1{path}"), key, None, 200).await
}

#[tokio::test(flavor = "multi_thread")]
async fn web_publications_page_publishes_fields_and_unpublishes() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let olga = sign_in(&app, "olga@acme.example", 1).await;
    let detail = olga.get(&format!("/connections/{id}")).await;
    assert!(
        detail
            .body
            .contains(&format!("href=\"/connections/{id}/publications\""))
    );
    assert!(
        detail
            .body
            .contains(&format!("href=\"/connections/{id}/subscriptions\""))
    );

    let path = format!("/connections/{id}/publications");
    let page = olga.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"state-Account\">Not published"));
    let csrf = page.csrf();

    let published = post(
        &olga,
        &csrf,
        &path,
        &[
            ("action", "publish"),
            ("object", "Account"),
            ("field", "Name"),
            ("field", "Phone"),
        ],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);
    let shown = olga
        .get(published.location.as_deref().expect("a location"))
        .await;
    assert!(shown.body.contains("Account is published."));
    assert!(shown.body.contains("id=\"state-Account\">Published"));
    assert!(shown.body.contains("value=\"Phone\" checked"));
    let api = publications(&app, &p.acme.key, &path).await;
    assert_eq!(fields(&api["published"], "Account"), ["Name", "Phone"]);

    // A field the object lacks: the API's refusal, in words, at the object.
    let refused = post(
        &olga,
        &csrf,
        &path,
        &[
            ("action", "publish"),
            ("object", "Account"),
            ("field", "Nope"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("id=\"error-Account\""));
    assert!(refused.body.contains("Account has no field Nope"));
    let api = publications(&app, &p.acme.key, &path).await;
    assert_eq!(fields(&api["published"], "Account"), ["Name", "Phone"]);

    let unpublished = post(
        &olga,
        &csrf,
        &path,
        &[("action", "unpublish"), ("object", "Account")],
    )
    .await;
    assert_eq!(unpublished.status, 303, "{}", unpublished.body);
    let api = publications(&app, &p.acme.key, &path).await;
    assert_eq!(api["published"], json!([]));
    let again = post(
        &olga,
        &csrf,
        &path,
        &[("action", "unpublish"), ("object", "Account")],
    )
    .await;
    assert_eq!(again.status, 404);
    assert!(
        again.body.contains("publication of Account"),
        "{}",
        again.body
    );
}

/// The subscription to `object` over the API.
async fn subscription(app: &TestApp, key: &str, id: &str, object: &str) -> Option<Value> {
    let page = call(
        app,
        Method::GET,
        &format!("/v1/connections/{id}/subscriptions"),
        key,
        None,
        200,
    )
    .await;
    page["subscriptions"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["object"] == object).cloned())
}

fn target<'a>(subscription: &'a Value, field: &str) -> &'a Value {
    subscription["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["field"] == field))
        .map(|f| &f["target_field"])
        .unwrap_or_else(|| panic!("{field} in {subscription}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn web_subscriptions_page_subscribes_auto_maps_saves_and_shows_errors_at_fields() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    call(
        &app,
        Method::PUT,
        &format!("/v1/connections/{id}/publications/Account"),
        &p.acme.key,
        Some(json!({ "fields": ["Name", "Phone", "Industry"] })),
        200,
    )
    .await;
    let gus = sign_in(&app, "gus@globex.example", 1).await;
    let path = format!("/connections/{id}/subscriptions");
    let page = gus.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"subscribe-button-Account\""));
    let csrf = page.csrf();

    let subscribed = post(
        &gus,
        &csrf,
        &path,
        &[
            ("action", "subscribe"),
            ("object", "Account"),
            ("target_object", "Account"),
        ],
    )
    .await;
    assert_eq!(subscribed.status, 303, "{}", subscribed.body);
    assert!(
        subscription(&app, &p.globex.key, &id, "Account")
            .await
            .is_some()
    );

    let mapped = post(
        &gus,
        &csrf,
        &path,
        &[("action", "automap"), ("object", "Account")],
    )
    .await;
    assert_eq!(mapped.status, 303, "{}", mapped.body);
    let made = subscription(&app, &p.globex.key, &id, "Account")
        .await
        .expect("subscribed");
    for field in ["Name", "Phone", "Industry"] {
        assert_eq!(target(&made, field), field, "{made}");
    }
    let shown = gus
        .get(mapped.location.as_deref().expect("a location"))
        .await;
    assert!(shown.body.contains("undecided fields were auto-mapped"));
    assert!(shown.body.contains("<option value=\"Phone\" selected>"));
    assert!(shown.body.contains("id=\"pick-Account-Industry-0\""));

    let form = [
        ("action", "save"),
        ("object", "Account"),
        ("current_target", "Account"),
        ("target_object", "Account"),
        ("auto_accept_shown", "1"),
        ("auto_accept", "on"),
        ("decided.Name", "1"),
        ("map.Name", "Name"),
        ("decided.Phone", "1"),
        ("map.Phone", ""),
        ("decided.Industry", "1"),
        ("map.Industry", "Industry"),
        ("pick.Industry.Technology", "Telecommunications"),
    ];
    let saved = post(&gus, &csrf, &path, &form).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let made = subscription(&app, &p.globex.key, &id, "Account")
        .await
        .expect("subscribed");
    assert_eq!(made["auto_accept"], true);
    assert_eq!(target(&made, "Phone"), &Value::Null);
    let industry = made["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["field"] == "Industry"))
        .expect("Industry");
    assert_eq!(
        industry["picklist_values"],
        json!({ "Technology": "Telecommunications" })
    );

    // A field mapped to one the target lacks: refused, the words at that field's select.
    let refused = post(
        &gus,
        &csrf,
        &path,
        &[
            ("action", "save"),
            ("object", "Account"),
            ("map.Phone", "Nope__c"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"error-fields-Phone\""),
        "{}",
        refused.body
    );
    let after = subscription(&app, &p.globex.key, &id, "Account")
        .await
        .expect("subscribed");
    assert_eq!(target(&after, "Phone"), &Value::Null);

    let gone = post(
        &gus,
        &csrf,
        &path,
        &[("action", "unsubscribe"), ("object", "Account")],
    )
    .await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert!(
        subscription(&app, &p.globex.key, &id, "Account")
            .await
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn web_templates_pages_create_edit_and_apply_to_many_connections() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let olga = sign_in(&app, "olga@acme.example", 1).await;
    let list = olga.get("/connection-templates").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("id=\"nav-templates\""));
    assert!(list.body.contains("id=\"no-templates\""));
    let csrf = list.csrf();
    let new = olga.get("/connection-templates/new").await;
    assert_eq!(new.status, 200, "{}", new.body);
    assert!(new.body.contains("id=\"template-field-Account-Phone\""));

    let nameless = post(
        &olga,
        &csrf,
        "/connection-templates",
        &[("name", ""), ("object", "Account")],
    )
    .await;
    assert_eq!(nameless.status, 422, "{}", nameless.body);
    assert!(
        nameless.body.contains("id=\"error-name\""),
        "{}",
        nameless.body
    );

    let created = post(
        &olga,
        &csrf,
        "/connection-templates",
        &[
            ("name", "Resellers"),
            ("active", "on"),
            ("object", "Account"),
            ("field", "Account.Name"),
            ("field", "Account.Phone"),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.expect("a location");
    let template_path = location.split('?').next().expect("a path").to_string();
    let template_id = template_path.rsplit('/').next().expect("an id").to_string();
    let edit = olga.get(&location).await;
    assert!(edit.body.contains("The template is created."));
    assert!(edit.body.contains("value=\"Account.Phone\" checked"));
    assert!(
        olga.get("/connection-templates")
            .await
            .body
            .contains("Resellers")
    );

    let saved = post(
        &olga,
        &csrf,
        &template_path,
        &[
            ("name", "Resellers"),
            ("description", "For our resellers"),
            ("active", "on"),
            ("object", "Account"),
            ("field", "Account.Name"),
            ("field", "Account.Phone"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let api = call(
        &app,
        Method::GET,
        &format!("/v1/connection-templates/{template_id}"),
        &p.acme.key,
        None,
        200,
    )
    .await;
    assert_eq!(api["description"], "For our resellers");

    let apply = format!("{template_path}/apply");
    let none = post(&olga, &csrf, &apply, &[]).await;
    assert_eq!(none.status, 422);
    assert!(none.body.contains("tick at least one connection"));

    let stranger = uuid::Uuid::new_v4().to_string();
    let applied = post(
        &olga,
        &csrf,
        &apply,
        &[("connection", &id), ("connection", &stranger)],
    )
    .await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert!(
        applied.body.contains(&format!("{id}: applied")),
        "{}",
        applied.body
    );
    assert!(
        applied.body.contains(&format!("{stranger}: not applied")),
        "{}",
        applied.body
    );
    let api = call(
        &app,
        Method::GET,
        &format!("/v1/connections/{id}/publications"),
        &p.acme.key,
        None,
        200,
    )
    .await;
    assert_eq!(fields(&api["published"], "Account"), ["Name", "Phone"]);
}
