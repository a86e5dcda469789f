//! Subscribing to a partner's publications and mapping them over HTTP: every mapping rule (a
//! standard object only to itself, custom to custom, one to one, compatible types, auto-map by
//! API name then label without overwriting a choice, picklist value maps, no auto-accept for a
//! child object), a mapping of a field the partner stopped publishing, and isolation.

use crate::sharing_support::{call, connected};
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

/// The mapping of `field` in a subscription view.
fn mapping<'a>(subscription: &'a Value, field: &str) -> &'a Value {
    subscription["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["field"] == field))
        .unwrap_or_else(|| panic!("{field} in {subscription}"))
}

/// The subscription to `object` in a list page.
fn subscription<'a>(page: &'a Value, object: &str) -> Option<&'a Value> {
    page["subscriptions"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["object"] == object))
}

async fn refused(app: &TestApp, path: &str, key: &str, body: Value, field: &str) -> String {
    let problem = call(app, Method::PUT, path, key, Some(body), 422).await;
    assert_eq!(problem["field"], field, "{path}: {problem}");
    problem["detail"].as_str().unwrap_or_default().to_string()
}

async fn post(app: &TestApp, path: &str, key: &str, body: Value) {
    call(app, Method::POST, path, key, Some(body), 201).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_subscriptions_follow_every_mapping_rule() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let (acme, globex) = (p.acme.key.as_str(), p.globex.key.as_str());

    // Acme's objects: a custom field on Account, a custom object Invoice__c.
    post(
        &app,
        "/v1/objects/Account/fields",
        acme,
        json!({ "api_name": "Region__c", "label": "Sales Region", "type": "text", "max_length": 40 }),
    )
    .await;
    post(
        &app,
        "/v1/objects",
        acme,
        json!({ "api_name": "Invoice__c", "label": "Invoice", "fields": [
            { "api_name": "Amount__c", "label": "Amount", "type": "currency", "precision": 12, "scale": 2 },
        ]}),
    )
    .await;
    // Globex's: the same label under another API name, and a custom object of its own.
    post(
        &app,
        "/v1/objects/Account/fields",
        globex,
        json!({ "api_name": "Territory__c", "label": "sales region", "type": "text", "max_length": 80 }),
    )
    .await;
    post(
        &app,
        "/v1/objects",
        globex,
        json!({ "api_name": "Bill__c", "label": "Bill", "fields": [
            { "api_name": "Note__c", "label": "Note", "type": "text", "max_length": 255 },
            { "api_name": "Total__c", "label": "Total", "type": "currency", "precision": 14, "scale": 2 },
        ]}),
    )
    .await;
    let publish = |object: &str, fields: Value| {
        let path = format!("/v1/connections/{id}/publications/{object}");
        let app = &app;
        async move {
            call(
                app,
                Method::PUT,
                &path,
                acme,
                Some(json!({ "fields": fields })),
                200,
            )
            .await
        }
    };
    publish(
        "Account",
        json!(["Name", "Phone", "Industry", "AccountNumber", "Region__c"]),
    )
    .await;
    publish("Contact", json!(["LastName"])).await;
    publish("OpportunityLineItem", json!(["Quantity"])).await;
    publish("Invoice__c", json!(["Name", "Amount__c"])).await;

    let subs = format!("/v1/connections/{id}/subscriptions");

    // What Globex could subscribe to, and to which of its objects and fields each maps.
    let available = call(
        &app,
        Method::GET,
        &format!("{subs}/available"),
        globex,
        None,
        200,
    )
    .await;
    let offered = |object: &str| -> Value {
        available["objects"]
            .as_array()
            .and_then(|os| os.iter().find(|o| o["object"] == object))
            .cloned()
            .unwrap_or_else(|| panic!("{object} in {available}"))
    };
    let account = offered("Account");
    assert_eq!(account["targets"][0]["object"], "Account");
    assert_eq!(account["targets"].as_array().map(Vec::len), Some(1));
    let phone_fits = &account["targets"][0]["fields"]["Phone"];
    assert!(
        phone_fits
            .as_array()
            .is_some_and(|f| f.contains(&json!("Phone")))
    );
    assert_eq!(offered("OpportunityLineItem")["auto_accept_allowed"], false);
    let invoice = offered("Invoice__c");
    let invoice_targets: Vec<&str> = invoice["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter_map(|t| t["object"].as_str())
        .collect();
    assert_eq!(
        invoice_targets,
        ["Bill__c"],
        "a custom object maps to custom objects only"
    );

    // Only objects the partner publishes; a standard object only to itself; no auto-accept for
    // a child object.
    call(
        &app,
        Method::PUT,
        &format!("{subs}/Lead"),
        globex,
        Some(json!({})),
        404,
    )
    .await;
    let why = refused(
        &app,
        &format!("{subs}/Contact"),
        globex,
        json!({ "target_object": "Account" }),
        "target_object",
    )
    .await;
    assert!(why.contains("can only be mapped to Contact"), "{why}");
    refused(
        &app,
        &format!("{subs}/Invoice__c"),
        globex,
        json!({ "target_object": "Account" }),
        "target_object",
    )
    .await;
    refused(
        &app,
        &format!("{subs}/OpportunityLineItem"),
        globex,
        json!({ "auto_accept": true }),
        "auto_accept",
    )
    .await;

    // Custom to custom, with an incompatible pair refused naming the field and both types.
    let why = refused(
        &app,
        &format!("{subs}/Invoice__c"),
        globex,
        json!({ "target_object": "Bill__c", "fields": { "Amount__c": "Note__c" } }),
        "fields.Amount__c",
    )
    .await;
    assert!(why.contains("currency") && why.contains("text"), "{why}");
    let bill = call(
        &app,
        Method::PUT,
        &format!("{subs}/Invoice__c"),
        globex,
        Some(json!({ "target_object": "Bill__c", "fields": { "Amount__c": "Total__c" }, "auto_map": true })),
        201,
    )
    .await;
    assert_eq!(bill["target_object"], "Bill__c");
    assert_eq!(mapping(&bill, "Amount__c")["target_field"], "Total__c");
    assert_eq!(mapping(&bill, "Name")["target_field"], "Name");

    // One to one: a target field takes one published field.
    let why = refused(
        &app,
        &format!("{subs}/Account"),
        globex,
        json!({ "fields": { "Name": "Name", "AccountNumber": "Name" } }),
        "fields.Name",
    )
    .await;
    assert!(why.contains("already the target"), "{why}");

    // A picklist value map refused for a value the partner's field does not have.
    refused(
        &app,
        &format!("{subs}/Account"),
        globex,
        json!({ "auto_map": true, "picklist_values": { "Industry": { "Nope": "Banking" } } }),
        "picklist_values.Industry.Nope",
    )
    .await;

    // Auto-map by API name, then by label; Phone left unmapped on purpose, a value map kept.
    let made = call(
        &app,
        Method::PUT,
        &format!("{subs}/Account"),
        globex,
        Some(json!({
            "auto_accept": true,
            "fields": { "Phone": null },
            "picklist_values": { "Industry": { "Technology": "Telecommunications" } },
            "auto_map": true,
        })),
        201,
    )
    .await;
    assert_eq!(made["auto_accept"], true);
    assert_eq!(mapping(&made, "Name")["target_field"], "Name");
    assert_eq!(
        mapping(&made, "AccountNumber")["target_field"],
        "AccountNumber"
    );
    assert_eq!(
        mapping(&made, "Region__c")["target_field"],
        "Territory__c",
        "by label"
    );
    assert_eq!(mapping(&made, "Phone")["target_field"], Value::Null);
    assert_eq!(mapping(&made, "Phone")["decided"], true);
    assert_eq!(
        mapping(&made, "Industry")["picklist_values"],
        json!({ "Technology": "Telecommunications" })
    );

    // Auto-map again never overwrites a choice: Phone stays unmapped, Name stays as chosen.
    let again = call(
        &app,
        Method::PUT,
        &format!("{subs}/Account"),
        globex,
        Some(json!({ "fields": { "Region__c": null }, "auto_map": true })),
        200,
    )
    .await;
    assert_eq!(mapping(&again, "Phone")["target_field"], Value::Null);
    assert_eq!(mapping(&again, "Region__c")["target_field"], Value::Null);
    assert_eq!(
        mapping(&again, "Industry")["picklist_values"],
        json!({ "Technology": "Telecommunications" }),
        "the value map stays while the target stays"
    );

    // The list shows it all.
    let page = call(&app, Method::GET, &subs, globex, None, 200).await;
    let shown = subscription(&page, "Account").expect("Account subscribed");
    assert_eq!(shown["target_object"], "Account");
    assert_eq!(mapping(shown, "Industry")["target_field"], "Industry");
    assert_eq!(mapping(shown, "Industry")["type"], "picklist");

    // Acme stops publishing AccountNumber: Globex sees why its mapping no longer works, and
    // mapping it again is refused with that reason.
    publish("Account", json!(["Name", "Phone", "Industry", "Region__c"])).await;
    let page = call(&app, Method::GET, &subs, globex, None, 200).await;
    let shown = subscription(&page, "Account").expect("Account subscribed");
    let problem = mapping(shown, "AccountNumber")["problem"]
        .as_str()
        .expect("a problem")
        .to_string();
    assert!(
        problem.contains("stopped publishing AccountNumber"),
        "{problem}"
    );
    let why = refused(
        &app,
        &format!("{subs}/Account"),
        globex,
        json!({ "fields": { "AccountNumber": "AccountNumber" } }),
        "fields.AccountNumber",
    )
    .await;
    assert_eq!(why, problem);

    // Unsubscribing forgets the mappings; a second time there is nothing to end.
    let account_sub = format!("{subs}/Account");
    call(&app, Method::DELETE, &account_sub, globex, None, 204).await;
    call(&app, Method::DELETE, &account_sub, globex, None, 404).await;
    let page = call(&app, Method::GET, &subs, globex, None, 200).await;
    assert!(subscription(&page, "Account").is_none());
    assert!(subscription(&page, "Invoice__c").is_some());

    // An org that is not a party sees nothing and changes nothing.
    let umbrella = app.create_org("Umbrella").await;
    let other = umbrella.key.as_str();
    call(&app, Method::GET, &subs, other, None, 404).await;
    call(
        &app,
        Method::GET,
        &format!("{subs}/available"),
        other,
        None,
        404,
    )
    .await;
    call(
        &app,
        Method::PUT,
        &format!("{subs}/Invoice__c"),
        other,
        Some(json!({ "target_object": "Bill__c" })),
        404,
    )
    .await;
    call(
        &app,
        Method::DELETE,
        &format!("{subs}/Invoice__c"),
        other,
        None,
        404,
    )
    .await;
    let page = call(&app, Method::GET, &subs, globex, None, 200).await;
    assert!(subscription(&page, "Invoice__c").is_some());
    app.stop().await;
}
