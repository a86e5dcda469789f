//! Sync's read model of org schemas: a custom object sharing defines (its
//! `ObjectSchemaChangedV1`) takes records by its own rules; an older schema version is ignored.

use serde_json::json;
use tests::TestApp;
use tests::records::{define_object, get_record, invoice};

#[tokio::test(flavor = "multi_thread")]
async fn a_custom_object_takes_records_by_its_own_rules_and_an_older_definition_is_ignored() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    define_object(&app, &acme, invoice(), 2).await;

    let response = app
        .post("/v1/records/Invoice__c", Some(&acme.key), &json!({"record_id": "I-1", "fields": {"Name": "INV-1", "Status__c": "Sent", "Amount__c": 10}}))
        .await;
    assert_eq!(response.status(), 201);
    let response = app
        .post(
            "/v1/records/Invoice__c",
            Some(&acme.key),
            &json!({"record_id": "I-2", "fields": {"Name": "INV-2", "Status__c": "Lost"}}),
        )
        .await;
    assert_eq!(
        response.status(),
        422,
        "restricted picklist of the org's own object"
    );

    // An older definition (without Status__c) arrives late: it changes nothing.
    let mut old = invoice();
    old.fields.retain(|f| f.api_name != "Status__c");
    let late = shared::message::Envelope::new(
        acme.id,
        shared::message::events::sharing::ObjectSchemaChangedV1 {
            object: old,
            deleted: false,
            schema_version: 1,
        },
    );
    app.publisher
        .publish(app.topology(), &late)
        .await
        .expect("published");
    app.wait_idle().await;
    let response = app
        .patch(
            "/v1/records/Invoice__c/I-1",
            &acme.key,
            &json!({"fields": {"Status__c": "Paid"}}),
        )
        .await;
    assert_eq!(response.status(), 200, "Status__c is still a field");
    assert_eq!(
        get_record(&app, &acme, "Invoice__c", "I-1").await.1["fields"]["Status__c"],
        "Paid"
    );
    app.stop().await;
}
