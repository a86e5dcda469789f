//! Issue 9, config as code: export an org's configuration as YAML or JSON and import it into a
//! fresh org or the same one; dry runs and invalid documents change nothing.
//! Org A's configuration is built by direct SQL (see config_support).

use crate::config_support::{PARTNER, PARTNER_EMAIL, export_yaml, import, scenario, snapshot};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::identity::Scope;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

fn paths(outcome: &Value, op: &str) -> Vec<String> {
    outcome["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["op"] == op)
        .filter_map(|c| c["path"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_imported_into_a_fresh_org_gives_the_same_configuration_and_again_changes_nothing()
 {
    let app = TestApp::spawn().await;
    let s = scenario(&app).await;
    let yaml = export_yaml(&app, &s.a.key).await;
    assert!(yaml.starts_with("version: 1\n"), "{yaml}");
    assert!(yaml.contains("partner_name: Partner Co"), "{yaml}");
    // Standard fields are not exported, the org's custom fields of a standard object are.
    assert!(
        yaml.contains("Tier__c") && !yaml.contains("AccountNumber"),
        "{yaml}"
    );

    // The same document as JSON, by Accept and by ?format=json.
    let by_accept = app
        .http
        .get(format!("{}/v1/config", app.base_url))
        .bearer_auth(&s.a.key)
        .header("accept", "application/json")
        .send()
        .await
        .expect("answered");
    assert_eq!(by_accept.headers()["content-type"], "application/json");
    let json_text = by_accept.text().await.expect("body");
    let by_query = app.get("/v1/config?format=json", Some(&s.a.key)).await;
    assert_eq!(by_query.text().await.expect("body"), json_text);
    let from_yaml: Value = serde_yaml::from_str(&yaml).expect("YAML");
    let from_json: Value = serde_json::from_str(&json_text).expect("JSON");
    assert_eq!(from_yaml, from_json);

    // Into B, which has its own accepted connection to P.
    let response = import(&app, &s.b.key, yaml.clone(), "application/yaml", false).await;
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.expect("JSON");
    assert_eq!(outcome["applied"], true);
    let added = paths(&outcome, "add");
    for expected in [
        "objects.Invoice__c",
        "objects.Account",
        "templates.Standard",
        "publications.Partner Co.Invoice__c",
        "subscriptions.Partner Co.Deal__c",
    ] {
        assert!(
            added.contains(&expected.to_string()),
            "{expected} in {added:?}"
        );
    }
    assert_eq!(export_yaml(&app, &s.b.key).await, yaml);

    // P hears of B's new publications ("Update Connection" email).
    eventually("the partner's email", Duration::from_secs(30), || async {
        (!app.smtp.received_by(PARTNER_EMAIL).is_empty()).then_some(())
    })
    .await;

    // Importing A's own export (as JSON this time) into A plans nothing and changes nothing.
    app.wait_idle().await;
    let before = snapshot(&app).await;
    let response = import(&app, &s.a.key, json_text, "application/json", false).await;
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.expect("JSON");
    assert_eq!(outcome["changes"], json!([]));
    assert_eq!(outcome["applied"], false);
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_returns_the_plan_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let s = scenario(&app).await;
    let mut yaml = export_yaml(&app, &s.a.key).await;
    import(&app, &s.b.key, yaml.clone(), "application/yaml", false).await;
    app.wait_idle().await;
    // A changed document: a template turned off, a field removed from a publication.
    yaml = yaml.replace("active: true", "active: false");
    let before = snapshot(&app).await;
    let emails = app.smtp.received_by(PARTNER_EMAIL).len();
    let response = import(&app, &s.b.key, yaml, "application/yaml", true).await;
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.expect("JSON");
    assert_eq!(outcome["dry_run"], true);
    assert_eq!(outcome["applied"], false);
    let changes = outcome["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["path"] == "templates.Standard.active"
                && c["from"] == "true"
                && c["to"] == "false"),
        "{changes:?}"
    );
    app.wait_idle().await;
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(app.smtp.received_by(PARTNER_EMAIL).len(), emails);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_document_gets_422_listing_every_problem_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let s = scenario(&app).await;
    let export = app.get("/v1/config?format=json", Some(&s.a.key)).await;
    let mut doc: Value = export.json().await.expect("JSON");
    let objects = doc["objects"].as_array_mut().expect("objects");
    let invoice = objects
        .iter_mut()
        .find(|o| o["api_name"] == "Invoice__c")
        .expect("Invoice__c");
    let fields = invoice["fields"].as_array_mut().expect("fields");
    // A bad type (too long for text), and a rich text field that is then published.
    fields.push(json!({"api_name": "Notes__c", "label": "Notes", "type": "text", "max_length": 100000, "custom": true}));
    fields.push(json!({"api_name": "Body__c", "label": "Body", "type": "rich_text", "max_length": 5000, "custom": true}));
    let bill = objects
        .iter_mut()
        .find(|o| o["api_name"] == "Bill__c")
        .expect("Bill__c");
    bill["fields"]
        .as_array_mut()
        .expect("fields")
        .push(json!({"api_name": "Paid__c", "label": "Paid", "type": "checkbox", "custom": true}));
    let publications = doc["publications"].as_array_mut().expect("publications");
    publications[0]["objects"]
        .as_array_mut()
        .expect("objects")
        .iter_mut()
        .find(|o| o["object"] == "Invoice__c")
        .expect("Invoice__c published")["fields"]
        .as_array_mut()
        .expect("fields")
        .push(json!("Body__c"));
    // A partner the org has no connection with.
    publications.push(json!({"partner_org_id": uuid::Uuid::now_v7(), "partner_name": "Nobody Inc", "objects": []}));
    // An incompatible mapping: currency to checkbox.
    for mapping in doc["subscriptions"][0]["objects"]
        .as_array_mut()
        .expect("subscribed")
        .iter_mut()
        .filter(|o| o["object"] == "Deal__c")
    {
        for field in mapping["fields"].as_array_mut().expect("fields") {
            if field["field"] == "Amount__c" {
                field["target_field"] = json!("Paid__c");
            }
        }
    }

    let before = snapshot(&app).await;
    let response = import(&app, &s.a.key, doc.to_string(), "application/json", false).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("a problem");
    let listed: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    for expected in [
        "objects[Invoice__c].fields[Notes__c].max_length",
        "publications[Partner Co].objects[Invoice__c].fields[Body__c]",
        "publications[Nobody Inc].partner_org_id",
        "subscriptions[Partner Co].objects[Deal__c].fields[Amount__c]",
    ] {
        assert!(listed.contains(&expected), "{expected} in {problem}");
    }
    assert_eq!(snapshot(&app).await, before);

    // A document that does not parse names the element by its key.
    let bad = "version: 1\nobjects:\n  - api_name: X__c\n    label: X\n    fields:\n      - api_name: Y__c\n        label: Y\n        type: money\n";
    let response = import(&app, &s.a.key, bad.into(), "application/yaml", false).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("a problem");
    assert!(
        problem["field"]
            .as_str()
            .unwrap_or_default()
            .starts_with("objects[X__c].fields[Y__c]"),
        "{problem}"
    );
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn unpublishing_by_import_unsubscribes_the_partner_and_removes_a_deleted_object() {
    let app = TestApp::spawn().await;
    let s = scenario(&app).await;
    let yaml = export_yaml(&app, &s.a.key).await;
    let mut doc: Value = serde_yaml::from_str(&yaml).expect("YAML");
    // Invoice__c goes: from the objects, the template and the publications.
    doc["objects"]
        .as_array_mut()
        .expect("objects")
        .retain(|o| o["api_name"] != "Invoice__c");
    for template in doc["templates"].as_array_mut().expect("templates") {
        template["objects"]
            .as_array_mut()
            .expect("objects")
            .retain(|o| o["object"] != "Invoice__c");
    }
    doc["publications"][0]["objects"]
        .as_array_mut()
        .expect("objects")
        .retain(|o| o["object"] != "Invoice__c");
    let response = import(&app, &s.a.key, doc.to_string(), "application/json", false).await;
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.expect("JSON");
    let removed = paths(&outcome, "remove");
    assert!(
        removed.contains(&"objects.Invoice__c".to_string()),
        "{removed:?}"
    );
    assert!(
        removed.contains(&format!("publications.{PARTNER}.Invoice__c")),
        "{removed:?}"
    );

    use sharing::schema::{object_definitions, subscriptions};
    let mut conn = app.pool().get().await.expect("a connection");
    let partner_subscriptions: Vec<String> = subscriptions::table
        .filter(subscriptions::connection_id.eq(s.a_p))
        .filter(subscriptions::org_id.eq(s.p.id.as_uuid()))
        .select(subscriptions::object)
        .load(&mut conn)
        .await
        .expect("subscriptions");
    assert!(
        partner_subscriptions.is_empty(),
        "{partner_subscriptions:?}"
    );
    let left: i64 = object_definitions::table
        .filter(object_definitions::org_id.eq(s.a.id.as_uuid()))
        .filter(object_definitions::api_name.eq("Invoice__c"))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(left, 0);
    assert!(!export_yaml(&app, &s.a.key).await.contains("Invoice__c"));
    let _ = s.p_b;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_key_exports_or_imports() {
    let app = TestApp::spawn().await;
    let org = app.create_org("Acme Corp").await;
    let mut conn = app.pool().get().await.expect("a connection");
    let key = shared::identity::create_key(
        &mut conn,
        org.id,
        "no admin",
        &[Scope::ManageConnections, Scope::Read],
    )
    .await
    .expect("a key");
    assert_eq!(app.get("/v1/config", Some(&key)).await.status(), 403);
    let response = import(&app, &key, "version: 1\n".into(), "application/yaml", false).await;
    assert_eq!(response.status(), 403);
    // The admin key reads an empty configuration, and an empty document is no change.
    assert_eq!(
        export_yaml(&app, &org.key).await,
        "version: 1\nobjects: []\ntemplates: []\npublications: []\nsubscriptions: []\n"
    );
    let response = import(&app, &org.key, "version: 1\n".into(), "text/plain", false).await;
    assert_eq!(response.status(), 415);
}
