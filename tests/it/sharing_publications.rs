//! Publishing over HTTP: each side publishes objects and fields to an accepted connection, the
//! partner is emailed and the history records it, unpublishing ends the partner's subscription,
//! a field no longer published marks the partner's mapping with the reason, and what cannot be
//! published is refused naming the field.

use crate::connections_support::history_kinds;
use crate::sharing_support::{GLOBEX_CONTACT, call, connected, fields, objects};
use reqwest::Method;
use serde_json::json;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::email::{Email, decode};

async fn emails_to(app: &TestApp, address: &str, count: usize) -> Vec<Email> {
    eventually(
        &format!("{count} email(s) to {address}"),
        Duration::from_secs(20),
        || async {
            let all = app.smtp.received_by(address);
            (all.len() >= count).then(|| all.iter().map(decode).collect())
        },
    )
    .await
}

/// A subscription of Globex to Acme's `object`, mapping `fields` (the subscription routes are
/// another part's; the row is what they write).
async fn subscribe(
    app: &TestApp,
    connection: &str,
    org: uuid::Uuid,
    object: &str,
    mapped: &[&str],
) {
    let mut conn = app.pool().get().await.expect("a connection");
    let id = uuid::Uuid::parse_str(connection).expect("a uuid");
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO sharing.subscriptions (connection_id, org_id, object, target_object) \
             VALUES ($1, $2, $3, $3)",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Uuid, _>(org)
        .bind::<diesel::sql_types::Text, _>(object),
        &mut conn,
    )
    .await
    .expect("subscribed");
    for field in mapped {
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query(
                "INSERT INTO sharing.field_mappings (connection_id, org_id, object, field, target_field) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind::<diesel::sql_types::Uuid, _>(id)
            .bind::<diesel::sql_types::Uuid, _>(org)
            .bind::<diesel::sql_types::Text, _>(object)
            .bind::<diesel::sql_types::Text, _>(*field),
            &mut conn,
        )
        .await
        .expect("mapped");
    }
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Mapping {
    #[diesel(sql_type = diesel::sql_types::Text)]
    field: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    problem: Option<String>,
}

async fn mappings(app: &TestApp, org: uuid::Uuid, object: &str) -> Vec<Mapping> {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT field, problem FROM sharing.field_mappings WHERE org_id = $1 AND object = $2 ORDER BY field",
        )
        .bind::<diesel::sql_types::Uuid, _>(org)
        .bind::<diesel::sql_types::Text, _>(object),
        &mut conn,
    )
    .await
    .expect("mappings")
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_publications_publish_and_unpublish_tell_the_partner_and_end_its_subscription() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let base = format!("/v1/connections/{id}/publications");

    // Acme publishes Account with its default fields: Globex sees it, with field types.
    let put = call(
        &app,
        Method::PUT,
        &format!("{base}/Account"),
        &p.acme.key,
        Some(json!({})),
        200,
    )
    .await;
    assert_eq!(put["change"]["objects_published"], json!(["Account"]));
    assert_eq!(fields(&put["published"], "Account"), ["Name"]);
    let seen = call(&app, Method::GET, &base, &p.globex.key, None, 200).await;
    assert_eq!(objects(&seen["partner_published"]), ["Account"]);
    assert_eq!(seen["partner_published"][0]["fields"][0]["type"], "text");
    assert_eq!(objects(&seen["published"]), Vec::<String>::new());

    // The invited contact hears of it, and the history has it.
    let first = emails_to(&app, GLOBEX_CONTACT, 2).await;
    let update = first
        .iter()
        .find(|e| e.subject == "Acme Corp changed what it shares with you")
        .expect("the update email");
    assert!(
        update.text.contains("Now published: Account"),
        "{}",
        update.text
    );

    // Globex subscribes and maps Name and Phone; Acme adds Phone, then stops publishing it.
    subscribe(
        &app,
        &id,
        p.globex.id.as_uuid(),
        "Account",
        &["Name", "Phone"],
    )
    .await;
    call(
        &app,
        Method::PUT,
        &format!("{base}/Account"),
        &p.acme.key,
        Some(json!({ "fields": ["Name", "Phone"] })),
        200,
    )
    .await;
    let dropped = call(
        &app,
        Method::PUT,
        &format!("{base}/Account"),
        &p.acme.key,
        Some(json!({ "fields": ["Name"] })),
        200,
    )
    .await;
    assert_eq!(
        dropped["change"]["changes"][0]["fields_removed"],
        json!(["Phone"])
    );
    let marked = mappings(&app, p.globex.id.as_uuid(), "Account").await;
    assert_eq!(
        marked,
        [
            Mapping {
                field: "Name".into(),
                problem: None
            },
            Mapping {
                field: "Phone".into(),
                problem: Some("Acme Corp stopped publishing Phone".into())
            },
        ]
    );
    // Publishing it again clears the reason.
    call(
        &app,
        Method::PUT,
        &format!("{base}/Account"),
        &p.acme.key,
        Some(json!({ "fields": ["Name", "Phone"] })),
        200,
    )
    .await;
    assert!(
        mappings(&app, p.globex.id.as_uuid(), "Account")
            .await
            .iter()
            .all(|m| m.problem.is_none())
    );

    // Unpublishing ends Globex's subscription (and its mappings), and Globex is told.
    let gone = call(
        &app,
        Method::DELETE,
        &format!("{base}/Account"),
        &p.acme.key,
        None,
        200,
    )
    .await;
    assert_eq!(gone["change"]["objects_unpublished"], json!(["Account"]));
    assert!(
        mappings(&app, p.globex.id.as_uuid(), "Account")
            .await
            .is_empty()
    );
    let all = emails_to(&app, GLOBEX_CONTACT, 6).await;
    assert!(
        all.iter().any(|e| e
            .text
            .contains("No longer published (your subscriptions to them were removed): Account")),
        "the unpublish email"
    );
    call(
        &app,
        Method::DELETE,
        &format!("{base}/Account"),
        &p.acme.key,
        None,
        404,
    )
    .await;

    // The invitee publishes too; the inviter's owner hears of it.
    call(
        &app,
        Method::PUT,
        &format!("{base}/Contact"),
        &p.globex.key,
        Some(json!({})),
        200,
    )
    .await;
    let to_owner = emails_to(&app, "olga@acme.example", 2).await;
    assert!(
        to_owner
            .iter()
            .any(|e| e.subject == "Globex changed what it shares with you"),
        "the inviter's owner is told"
    );
    let acme_view = call(&app, Method::GET, &base, &p.acme.key, None, 200).await;
    assert_eq!(objects(&acme_view["partner_published"]), ["Contact"]);

    // Each change is in the connection's history.
    app.wait_idle().await;
    let history = history_kinds(&app, &p.acme.key, &id).await;
    let changes: Vec<&String> = history
        .iter()
        .filter(|(kind, _)| kind == "PublishedFieldsChanged")
        .map(|(_, summary)| summary)
        .collect();
    assert_eq!(changes.len(), 6, "{history:?}");
    assert!(
        changes
            .iter()
            .any(|s| s.contains("Acme Corp changed what it publishes: stopped publishing Account"))
    );
    assert!(
        changes
            .iter()
            .any(|s| s.contains("Globex changed what it publishes: published Contact"))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_publications_refuse_what_cannot_be_published_naming_the_field() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let base = format!("/v1/connections/{id}/publications");
    let key = p.acme.key.as_str();
    for field in [
        json!({ "api_name": "Notes__c", "label": "Notes", "type": "rich_text", "max_length": 1000 }),
        json!({ "api_name": "Where__c", "label": "Where", "type": "geolocation" }),
        json!({ "api_name": "Secret__c", "label": "Secret", "type": "encrypted", "max_length": 100 }),
    ] {
        call(
            &app,
            Method::POST,
            "/v1/objects/Account/fields",
            key,
            Some(field),
            201,
        )
        .await;
    }
    for name in ["Notes__c", "Where__c", "Secret__c"] {
        let problem = call(
            &app,
            Method::PUT,
            &format!("{base}/Account"),
            key,
            Some(json!({ "fields": ["Name", name] })),
            422,
        )
        .await;
        assert_eq!(problem["field"], "fields[1]", "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(name),
            "{problem}"
        );
    }
    let refusals = [
        (
            format!("{base}/Account"),
            json!({ "fields": ["Nope"] }),
            "fields[0]",
        ),
        (format!("{base}/Account"), json!({ "fields": [] }), "fields"),
        (
            format!("{base}/Account"),
            json!({ "fields": ["Name", "Name"] }),
            "fields[1]",
        ),
        (format!("{base}/Invoice__c"), json!({}), "object"),
        (format!("{base}/Pricebook2"), json!({}), "object"),
    ];
    for (path, body, field) in refusals {
        let problem = call(&app, Method::PUT, &path, key, Some(body), 422).await;
        assert_eq!(problem["field"], field, "{path}: {problem}");
    }
    // The whole set: the entry at fault is named.
    let problem = call(
        &app,
        Method::PUT,
        &base,
        key,
        Some(json!({ "objects": [
        { "object": "Account" }, { "object": "Contact", "fields": ["Nope"] }] })),
        422,
    )
    .await;
    assert_eq!(problem["field"], "objects[1].fields[0]");
    // Another org's custom object is not one of Acme's.
    call(
        &app,
        Method::POST,
        "/v1/objects",
        &p.globex.key,
        Some(json!({ "api_name": "Invoice__c", "label": "Invoice" })),
        201,
    )
    .await;
    let problem = call(
        &app,
        Method::PUT,
        &format!("{base}/Invoice__c"),
        key,
        Some(json!({})),
        422,
    )
    .await;
    assert_eq!(problem["field"], "object");
    // Nothing was published by any refusal.
    let view = call(&app, Method::GET, &base, key, None, 200).await;
    assert_eq!(objects(&view["published"]), Vec::<String>::new());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_publications_deleting_a_custom_object_unpublishes_it_everywhere() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let base = format!("/v1/connections/{id}/publications");
    call(&app, Method::POST, "/v1/objects", &p.acme.key,
        Some(json!({ "api_name": "Invoice__c", "label": "Invoice", "fields": [
            { "api_name": "Total__c", "label": "Total", "type": "number", "precision": 10, "scale": 2 }] })),
        201).await;
    let put = call(
        &app,
        Method::PUT,
        &base,
        &p.acme.key,
        Some(json!({ "objects": [
        { "object": "Invoice__c", "fields": ["Name", "Total__c"] }, { "object": "Account" }] })),
        200,
    )
    .await;
    assert_eq!(
        put["change"]["objects_published"],
        json!(["Account", "Invoice__c"])
    );
    subscribe(
        &app,
        &id,
        p.globex.id.as_uuid(),
        "Invoice__c",
        &["Name", "Total__c"],
    )
    .await;

    // Deleting a published field marks the partner's mapping; deleting the object unsubscribes.
    call(
        &app,
        Method::DELETE,
        "/v1/objects/Invoice__c/fields/Total__c",
        &p.acme.key,
        None,
        200,
    )
    .await;
    let marked = mappings(&app, p.globex.id.as_uuid(), "Invoice__c").await;
    assert_eq!(
        marked[1].problem.as_deref(),
        Some("Acme Corp stopped publishing Total__c")
    );
    call(
        &app,
        Method::DELETE,
        "/v1/objects/Invoice__c",
        &p.acme.key,
        None,
        204,
    )
    .await;
    let view = call(&app, Method::GET, &base, &p.globex.key, None, 200).await;
    assert_eq!(objects(&view["partner_published"]), ["Account"]);
    assert!(
        mappings(&app, p.globex.id.as_uuid(), "Invoice__c")
            .await
            .is_empty()
    );
    let emails = emails_to(&app, GLOBEX_CONTACT, 4).await;
    assert!(
        emails
            .iter()
            .any(|e| e.text.contains("No longer published")),
        "the partner is told"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_publications_follow_the_connection_status() {
    let app = TestApp::spawn().await;
    let p = crate::connections_support::pair(&app).await;
    let (id, token) = crate::connections_support::invite(&app, &p, "nina@globex.example").await;
    let base = format!("/v1/connections/{id}/publications");

    // Invited: the inviter may publish already; the invited org is not a party yet.
    crate::sharing_support::visible(&app, &p.acme.key, &id).await;
    call(
        &app,
        Method::PUT,
        &format!("{base}/Account"),
        &p.acme.key,
        Some(json!({})),
        200,
    )
    .await;
    let emails = emails_to(&app, "nina@globex.example", 2).await;
    assert!(
        emails
            .iter()
            .any(|e| e.text.contains("Now published: Account"))
    );

    // The inviter changes the contact and resends: the new contact hears of what follows.
    let _ = token;
    call(
        &app,
        Method::PATCH,
        &format!("/v1/connections/{id}"),
        &p.acme.key,
        Some(json!({ "contact": { "name": "Nora", "email": "nora@globex.example" } })),
        200,
    )
    .await;
    call(
        &app,
        Method::POST,
        &format!("/v1/connections/{id}/resend"),
        &p.acme.key,
        Some(json!({})),
        200,
    )
    .await;
    let token = crate::connections_support::token_for(&app, "nora@globex.example", 1).await;
    app.wait_idle().await;
    call(
        &app,
        Method::PUT,
        &format!("{base}/Lead"),
        &p.acme.key,
        Some(json!({})),
        200,
    )
    .await;
    let emails = emails_to(&app, "nora@globex.example", 2).await;
    assert!(
        emails
            .iter()
            .any(|e| e.text.contains("Now published: Lead"))
    );

    let claim = app
        .post(
            "/v1/invitations/claim",
            Some(&p.globex.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(claim.status(), 200);
    call(&app, Method::GET, &base, &p.globex.key, None, 404).await;
    call(
        &app,
        Method::PUT,
        &format!("{base}/Contact"),
        &p.globex.key,
        Some(json!({})),
        404,
    )
    .await;

    // Accepted: the invitee sees what was published before.
    let accept = app
        .post(
            &format!("/v1/connections/{id}/accept"),
            Some(&p.globex.key),
            &json!({ "owner_user_id": p.globex_owner }),
        )
        .await;
    assert_eq!(accept.status(), 200);
    crate::sharing_support::visible(&app, &p.globex.key, &id).await;
    let view = call(&app, Method::GET, &base, &p.globex.key, None, 200).await;
    assert_eq!(objects(&view["partner_published"]), ["Account", "Lead"]);

    // Deactivated: nothing changes any more.
    let deactivate = app
        .post(
            &format!("/v1/connections/{id}/deactivate"),
            Some(&p.acme.key),
            &json!({}),
        )
        .await;
    assert_eq!(deactivate.status(), 200);
    let problem = eventually(
        "sharing to see the deactivation",
        Duration::from_secs(20),
        || async {
            let response = app
                .http
                .put(format!("{}{base}/Contact", app.base_url))
                .bearer_auth(&p.acme.key)
                .json(&json!({}))
                .send()
                .await
                .ok()?;
            (response.status() == 409).then_some(response)
        },
    )
    .await;
    let problem: serde_json::Value = problem.json().await.expect("JSON");
    assert_eq!(problem["current_status"], "inactive");
    app.stop().await;
}
