//! A configuration built in org A by direct SQL (the publish and subscribe routes live on other
//! branches): custom objects and fields, a template, publications to partner P and
//! subscriptions to P's publications with mappings; and a fresh org B with its own accepted
//! connection to P.

use diesel::prelude::*;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};
use shared::crm::{FieldDef, FieldType, ObjectDef, standard};
use sharing::schema::{
    connection_templates, field_mappings, object_definitions, published_objects, subscriptions,
    template_objects,
};
use tests::{TestApp, TestOrg};
use uuid::Uuid;

pub const PARTNER: &str = "Partner Co";
/// Who hears of publication changes on P's side.
pub const PARTNER_EMAIL: &str = "pat@partner.example";

pub struct Scenario {
    pub a: TestOrg,
    pub b: TestOrg,
    pub p: TestOrg,
    pub a_p: Uuid,
    pub p_b: Uuid,
}

pub fn field(api_name: &str, label: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        api_name: api_name.into(),
        label: label.into(),
        field_type,
        required: false,
        min: None,
        max: None,
        custom: api_name.ends_with("__c"),
    }
}

fn picklist(values: &[&str]) -> FieldType {
    FieldType::Picklist {
        values: values.iter().map(|v| v.to_string()).collect(),
        restricted: true,
    }
}

fn money() -> FieldType {
    FieldType::Currency {
        precision: 16,
        scale: 2,
    }
}

fn custom(api_name: &str, label: &str, fields: Vec<FieldDef>) -> ObjectDef {
    let mut all = vec![field("Name", "Name", FieldType::Text { max_length: 80 })];
    all.extend(fields);
    ObjectDef {
        api_name: api_name.into(),
        label: label.into(),
        custom: true,
        parent: None,
        fields: all,
    }
}

fn account_with(fields: Vec<FieldDef>) -> ObjectDef {
    let mut account = standard::object("Account").expect("Account is standard");
    account.fields.extend(fields);
    account
}

pub async fn scenario(app: &TestApp) -> Scenario {
    let a = app.create_org("Alpha Inc").await;
    let b = app.create_org("Beta Ltd").await;
    let p = app.create_org(PARTNER).await;
    let a_p = link(app, (&a, "Alpha Inc"), (&p, PARTNER), PARTNER_EMAIL).await;
    // B was invited by P: B is the invitee side here.
    let p_b = link(app, (&p, PARTNER), (&b, "Beta Ltd"), "bea@beta.example").await;
    // P publishes a Deal__c and its Account to both.
    let deal = custom(
        "Deal__c",
        "Deal",
        vec![
            field("Amount__c", "Amount", money()),
            field("Stage__c", "Stage", picklist(&["Open", "Won", "Lost"])),
        ],
    );
    define(app, p.id.as_uuid(), &deal).await;
    for connection in [a_p, p_b] {
        publish(
            app,
            connection,
            p.id.as_uuid(),
            "Deal__c",
            &["Amount__c", "Name", "Stage__c"],
        )
        .await;
        publish(app, connection, p.id.as_uuid(), "Account", &["Name"]).await;
    }
    // A's own objects.
    let org = a.id.as_uuid();
    define(
        app,
        org,
        &account_with(vec![field(
            "Tier__c",
            "Tier",
            picklist(&["Gold", "Silver"]),
        )]),
    )
    .await;
    define(
        app,
        org,
        &custom(
            "Invoice__c",
            "Invoice",
            vec![
                field("Amount__c", "Amount", money()),
                field("Status__c", "Status", picklist(&["Draft", "Sent", "Paid"])),
            ],
        ),
    )
    .await;
    define(
        app,
        org,
        &custom(
            "Bill__c",
            "Bill",
            vec![
                field("Total__c", "Total", money()),
                field("Phase__c", "Phase", picklist(&["Open", "Closed"])),
            ],
        ),
    )
    .await;
    template(
        app,
        org,
        "Standard",
        true,
        &[
            ("Account", &["Name", "Tier__c"]),
            ("Invoice__c", &["Amount__c", "Name"]),
        ],
    )
    .await;
    template(app, org, "Minimal", false, &[("Account", &["Name"])]).await;
    publish(
        app,
        a_p,
        org,
        "Invoice__c",
        &["Amount__c", "Name", "Status__c"],
    )
    .await;
    publish(app, a_p, org, "Account", &["Name", "Tier__c"]).await;
    subscribe(
        app,
        a_p,
        org,
        ("Deal__c", "Bill__c", false),
        &[
            ("Amount__c", Some("Total__c"), json!({})),
            ("Name", Some("Name"), json!({})),
            (
                "Stage__c",
                Some("Phase__c"),
                json!({"Lost": "Closed", "Won": "Closed"}),
            ),
        ],
    )
    .await;
    subscribe(
        app,
        a_p,
        org,
        ("Account", "Account", true),
        &[("Name", Some("Name"), json!({}))],
    )
    .await;
    // P subscribes to A's Invoice__c (unpublishing it must unsubscribe P).
    subscribe(
        app,
        a_p,
        p.id.as_uuid(),
        ("Invoice__c", "Deal__c", false),
        &[("Amount__c", Some("Amount__c"), json!({}))],
    )
    .await;
    Scenario { a, b, p, a_p, p_b }
}

/// An accepted connection in sharing's read model, with whom each side's changes are told to
/// (the columns the publish branch adds; added here if this database does not have them yet).
async fn link(
    app: &TestApp,
    inviter: (&TestOrg, &str),
    invitee: (&TestOrg, &str),
    partner_email: &str,
) -> Uuid {
    let mut conn = app.pool().get().await.expect("a connection");
    conn.batch_execute(
        "ALTER TABLE sharing.connections \
           ADD COLUMN IF NOT EXISTS inviter_recipient_name TEXT, \
           ADD COLUMN IF NOT EXISTS inviter_recipient_email TEXT, \
           ADD COLUMN IF NOT EXISTS invitee_recipient_name TEXT, \
           ADD COLUMN IF NOT EXISTS invitee_recipient_email TEXT",
    )
    .await
    .expect("recipient columns");
    let id = Uuid::now_v7();
    // The partner of the inviter is the invitee, and the other way round.
    let (inviter_email, invitee_email) = if inviter.1 == PARTNER {
        (PARTNER_EMAIL, partner_email)
    } else {
        ("owner@alpha.example", partner_email)
    };
    diesel::sql_query(
        "INSERT INTO sharing.connections (id, inviter_org_id, inviter_org_name, invitee_org_id, \
           invitee_org_name, status, inviter_recipient_name, inviter_recipient_email, \
           invitee_recipient_name, invitee_recipient_email) \
         VALUES ($1, $2, $3, $4, $5, 'accepted', 'Inviter Owner', $6, 'Invitee Contact', $7)",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Uuid, _>(inviter.0.id.as_uuid())
    .bind::<diesel::sql_types::Text, _>(inviter.1)
    .bind::<diesel::sql_types::Uuid, _>(invitee.0.id.as_uuid())
    .bind::<diesel::sql_types::Text, _>(invitee.1)
    .bind::<diesel::sql_types::Text, _>(inviter_email)
    .bind::<diesel::sql_types::Text, _>(invitee_email)
    .execute(&mut conn)
    .await
    .expect("connection inserted");
    id
}

async fn define(app: &TestApp, org: Uuid, object: &ObjectDef) {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::insert_into(object_definitions::table)
        .values((
            object_definitions::org_id.eq(org),
            object_definitions::api_name.eq(&object.api_name),
            object_definitions::custom.eq(object.custom),
            object_definitions::definition.eq(serde_json::to_value(object).expect("JSON")),
        ))
        .execute(&mut conn)
        .await
        .expect("object defined");
}

async fn publish(app: &TestApp, connection: Uuid, org: Uuid, object: &str, fields: &[&str]) {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::insert_into(published_objects::table)
        .values((
            published_objects::connection_id.eq(connection),
            published_objects::org_id.eq(org),
            published_objects::object.eq(object),
            published_objects::fields.eq(fields.iter().map(|f| f.to_string()).collect::<Vec<_>>()),
        ))
        .execute(&mut conn)
        .await
        .expect("published");
}

async fn template(app: &TestApp, org: Uuid, name: &str, active: bool, objects: &[(&str, &[&str])]) {
    let mut conn = app.pool().get().await.expect("a connection");
    let id = Uuid::now_v7();
    diesel::insert_into(connection_templates::table)
        .values((
            connection_templates::id.eq(id),
            connection_templates::org_id.eq(org),
            connection_templates::name.eq(name),
            connection_templates::description.eq(format!("The {name} set")),
            connection_templates::active.eq(active),
        ))
        .execute(&mut conn)
        .await
        .expect("template");
    for (object, fields) in objects {
        diesel::insert_into(template_objects::table)
            .values((
                template_objects::template_id.eq(id),
                template_objects::object.eq(*object),
                template_objects::fields
                    .eq(fields.iter().map(|f| f.to_string()).collect::<Vec<_>>()),
            ))
            .execute(&mut conn)
            .await
            .expect("template object");
    }
}

async fn subscribe(
    app: &TestApp,
    connection: Uuid,
    org: Uuid,
    (object, target, auto_accept): (&str, &str, bool),
    mappings: &[(&str, Option<&str>, Value)],
) {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::connection_id.eq(connection),
            subscriptions::org_id.eq(org),
            subscriptions::object.eq(object),
            subscriptions::target_object.eq(target),
            subscriptions::auto_accept.eq(auto_accept),
        ))
        .execute(&mut conn)
        .await
        .expect("subscribed");
    for (field, target_field, values) in mappings {
        diesel::insert_into(field_mappings::table)
            .values((
                field_mappings::connection_id.eq(connection),
                field_mappings::org_id.eq(org),
                field_mappings::object.eq(object),
                field_mappings::field.eq(*field),
                field_mappings::target_field.eq(*target_field),
                field_mappings::picklist_values.eq(values),
            ))
            .execute(&mut conn)
            .await
            .expect("mapped");
    }
}

/// Every row of the sharing tables and the outbox, to show that nothing changed.
pub async fn snapshot(app: &TestApp) -> Value {
    #[derive(QueryableByName)]
    struct Dump {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        dump: Value,
    }
    let mut conn = app.pool().get().await.expect("a connection");
    let tables = [
        "sharing.object_definitions",
        "sharing.schema_versions",
        "sharing.published_objects",
        "sharing.subscriptions",
        "sharing.field_mappings",
        "sharing.connection_templates",
        "sharing.template_objects",
        "messaging.outbox",
    ];
    let mut all = serde_json::Map::new();
    for table in tables {
        let row: Dump = diesel::sql_query(format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') AS dump FROM {table} t"
        ))
        .get_result(&mut conn)
        .await
        .expect("dump");
        all.insert(table.to_string(), row.dump);
    }
    Value::Object(all)
}

/// Sends a document to `/v1/config/import` as `content_type`.
pub async fn import(
    app: &TestApp,
    key: &str,
    body: String,
    content_type: &str,
    dry_run: bool,
) -> reqwest::Response {
    app.http
        .post(format!(
            "{}/v1/config/import?dry_run={dry_run}",
            app.base_url
        ))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("answered")
}

/// The org's configuration as YAML.
pub async fn export_yaml(app: &TestApp, key: &str) -> String {
    let response = app.get("/v1/config", Some(key)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or_default(),
        "application/yaml"
    );
    response.text().await.expect("a body")
}
