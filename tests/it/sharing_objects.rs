//! Object schemas over HTTP: standard objects with custom fields, custom objects, every
//! definition rule refused with the field named, and each change a new schema version with its
//! `ObjectSchemaChangedV1`.

use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

fn field_names(object: &Value) -> Vec<String> {
    object["fields"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f["api_name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn refused(app: &TestApp, method: Method, path: &str, key: &str, body: Value, field: &str) {
    let problem = call(app, method, path, key, Some(body), 422).await;
    assert_eq!(problem["field"], field, "{path}: {problem}");
}

async fn schema_version(app: &TestApp, org: shared::ids::OrgId) -> i64 {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT version AS n FROM sharing.schema_versions WHERE org_id = $1")
            .bind::<diesel::sql_types::Uuid, _>(org.as_uuid()),
        &mut conn,
    )
    .await
    .map(|r: shared::db::CountRow| r.n)
    .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_objects_are_defined_over_http_and_every_rule_is_enforced() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let key = acme.key.as_str();

    // The standard objects are there from the start.
    let all = call(&app, Method::GET, "/v1/objects", key, None, 200).await;
    let names: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["api_name"].as_str())
        .collect();
    for standard in ["Account", "Contact", "Lead", "Opportunity", "Case", "Task"] {
        assert!(names.contains(&standard), "{standard} in {names:?}");
    }

    // A custom object gets its Name field and the fields asked for.
    let invoice = call(
        &app,
        Method::POST,
        "/v1/objects",
        key,
        Some(json!({
            "api_name": "Invoice__c",
            "label": "Invoice",
            "fields": [
                { "api_name": "Status__c", "label": "Status", "type": "picklist",
                  "values": ["Open", "Paid"], "restricted": true },
                { "api_name": "Amount__c", "label": "Amount", "type": "currency",
                  "precision": 12, "scale": 2, "min": 0.0 },
                { "api_name": "Account__c", "label": "Account", "type": "lookup", "object": "Account" },
            ],
        })),
        201,
    )
    .await;
    assert_eq!(invoice["custom"], true);
    assert_eq!(
        field_names(&invoice),
        ["Name", "Status__c", "Amount__c", "Account__c"]
    );

    // A custom field on a standard object, then changed; the standard fields stay.
    let account = call(
        &app,
        Method::POST,
        "/v1/objects/Account/fields",
        key,
        Some(json!({ "api_name": "Tier__c", "label": "Tier", "type": "text", "max_length": 20 })),
        201,
    )
    .await;
    assert!(field_names(&account).contains(&"Name".to_string()));
    assert!(field_names(&account).contains(&"Tier__c".to_string()));
    let changed = call(
        &app,
        Method::PATCH,
        "/v1/objects/Account/fields/Tier__c",
        key,
        Some(json!({ "label": "Customer tier", "max_length": 40, "required": true })),
        200,
    )
    .await;
    let tier = changed["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["api_name"] == "Tier__c"))
        .expect("Tier__c");
    assert_eq!(tier["label"], "Customer tier");
    assert_eq!(tier["max_length"], 40);
    assert_eq!(tier["required"], true);
    let read = call(&app, Method::GET, "/v1/objects/Account", key, None, 200).await;
    assert_eq!(read, changed, "what was stored is what is read");

    // Refusals, each naming the field.
    let bad_objects = [
        (json!({ "api_name": "Invoice", "label": "X" }), "api_name"),
        (
            json!({ "api_name": "Invoice__c", "label": "Again" }),
            "api_name",
        ),
        (json!({ "api_name": "Account__c", "label": "" }), "label"),
        (
            json!({ "api_name": "Bad__c", "label": "Bad", "fields": [
                { "api_name": "Code__c", "label": "Code", "type": "text", "max_length": 0 }] }),
            "fields[0].max_length",
        ),
    ];
    for (body, field) in bad_objects {
        refused(&app, Method::POST, "/v1/objects", key, body, field).await;
    }
    let bad_fields = [
        (
            json!({ "api_name": "Tier", "label": "T", "type": "text", "max_length": 5 }),
            "api_name",
        ),
        (
            json!({ "api_name": "Tier__c", "label": "T", "type": "text", "max_length": 5 }),
            "api_name",
        ),
        (
            json!({ "api_name": "Big__c", "label": "B", "type": "text", "max_length": 256 }),
            "max_length",
        ),
        (
            json!({ "api_name": "N__c", "label": "N", "type": "number", "precision": 19, "scale": 0 }),
            "precision",
        ),
        (
            json!({ "api_name": "N__c", "label": "N", "type": "number", "precision": 4, "scale": 5 }),
            "scale",
        ),
        (
            json!({ "api_name": "N__c", "label": "N", "type": "number", "precision": 4, "scale": 0, "min": 5.0, "max": 1.0 }),
            "min",
        ),
        (
            json!({ "api_name": "D__c", "label": "D", "type": "date", "min": 1.0 }),
            "min",
        ),
        (
            json!({ "api_name": "P__c", "label": "P", "type": "picklist", "values": ["A", "A"], "restricted": false }),
            "values[1]",
        ),
        (
            json!({ "api_name": "P__c", "label": "P", "type": "picklist", "values": [], "restricted": true }),
            "values",
        ),
        (
            json!({ "api_name": "L__c", "label": "L", "type": "lookup", "object": "Nothing__c" }),
            "object",
        ),
    ];
    for (body, field) in bad_fields {
        refused(
            &app,
            Method::POST,
            "/v1/objects/Account/fields",
            key,
            body,
            field,
        )
        .await;
    }
    // An unknown type or a stray property is refused before any rule.
    let unknown_type = call(
        &app,
        Method::POST,
        "/v1/objects/Account/fields",
        key,
        Some(json!({ "api_name": "X__c", "label": "X", "type": "blob" })),
        422,
    )
    .await;
    assert!(unknown_type["detail"].as_str().is_some());
    refused(
        &app,
        Method::PATCH,
        "/v1/objects/Invoice__c/fields/Status__c",
        key,
        json!({ "max_length": 10 }),
        "max_length",
    )
    .await;

    // Standard objects and fields are not the org's to delete; unknown ones are not found.
    call(&app, Method::DELETE, "/v1/objects/Account", key, None, 409).await;
    call(
        &app,
        Method::DELETE,
        "/v1/objects/Account/fields/Name",
        key,
        None,
        409,
    )
    .await;
    call(
        &app,
        Method::PATCH,
        "/v1/objects/Account/fields/Name",
        key,
        Some(json!({ "label": "N" })),
        409,
    )
    .await;
    call(&app, Method::GET, "/v1/objects/Nothing__c", key, None, 404).await;
    call(
        &app,
        Method::POST,
        "/v1/objects/Nothing__c/fields",
        key,
        Some(json!({ "api_name": "A__c", "label": "A", "type": "checkbox" })),
        404,
    )
    .await;

    // Deleting a custom field and a custom object.
    let without = call(
        &app,
        Method::DELETE,
        "/v1/objects/Invoice__c/fields/Amount__c",
        key,
        None,
        200,
    )
    .await;
    assert_eq!(field_names(&without), ["Name", "Status__c", "Account__c"]);
    call(
        &app,
        Method::DELETE,
        "/v1/objects/Invoice__c",
        key,
        None,
        204,
    )
    .await;
    call(&app, Method::GET, "/v1/objects/Invoice__c", key, None, 404).await;

    // Only admin keys change schemas; read keys read them.
    let created = call(
        &app,
        Method::POST,
        "/v1/api-keys",
        key,
        Some(json!({ "name": "reader", "scopes": ["read", "manage_connections"] })),
        201,
    )
    .await;
    let reader = created["key"].as_str().expect("a key");
    call(&app, Method::GET, "/v1/objects/Account", reader, None, 200).await;
    call(
        &app,
        Method::POST,
        "/v1/objects",
        reader,
        Some(json!({ "api_name": "Nope__c", "label": "Nope" })),
        403,
    )
    .await;

    // Every change raised the version: create, add, change, delete field, delete object.
    assert_eq!(schema_version(&app, acme.id).await, 5);
    app.stop().await;
}

/// `sharing.object_schema_changed.v1` read loosely, as JSON: what a consumer in another
/// service (sync) receives on the wire.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct SchemaChanged {
    object: Value,
    #[serde(default)]
    deleted: bool,
    schema_version: i64,
}

impl shared::message::Message for SchemaChanged {
    const KIND: &'static str =
        <shared::message::events::sharing::ObjectSchemaChangedV1 as shared::message::Message>::KIND;
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "test view";
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_objects_each_schema_change_is_announced_with_the_whole_object() {
    let app = TestApp::spawn().await;
    let (recorded, _recorder) = crate::sharing_support::record::<SchemaChanged>(&app).await;
    let acme = app.create_org("Acme Corp").await;
    let key = acme.key.as_str();
    call(
        &app,
        Method::POST,
        "/v1/objects/Contact/fields",
        key,
        Some(json!({ "api_name": "Score__c", "label": "Score", "type": "number", "precision": 3, "scale": 0 })),
        201,
    )
    .await;
    call(
        &app,
        Method::POST,
        "/v1/objects",
        key,
        Some(json!({ "api_name": "Visit__c", "label": "Visit" })),
        201,
    )
    .await;
    call(&app, Method::DELETE, "/v1/objects/Visit__c", key, None, 204).await;
    app.wait_idle().await;

    let mut events = recorded.all();
    events.sort_by_key(|e| e.payload.schema_version);
    let versions: Vec<i64> = events.iter().map(|e| e.payload.schema_version).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert!(events.iter().all(|e| e.org_id == acme.id));
    let contact = &events[0].payload.object;
    assert_eq!(contact["api_name"], "Contact");
    let names = field_names(contact);
    assert!(
        names.contains(&"LastName".to_string()),
        "standard fields travel too"
    );
    assert!(names.contains(&"Score__c".to_string()));
    assert_eq!(events[1].payload.object["api_name"], "Visit__c");
    assert!(!events[1].payload.deleted);
    assert!(events[2].payload.deleted);
    app.stop().await;
}
