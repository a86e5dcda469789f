//! Every subscription change reaches the sync service's read model of mappings (through
//! `SubscriptionChangedV1`): subscribing with auto-map, remapping and Auto-Accept, a field the
//! partner stops publishing, and the end of the subscription when the partner unpublishes.

use crate::sharing_support::{call, connected};
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// Sync's row for Globex's subscription to Acme's `object`: (active, auto_accept, version,
/// field -> target field), once its version is at least `version`.
async fn read_model(
    app: &TestApp,
    connection: &str,
    object: &str,
    version: i64,
) -> (bool, bool, i64, Vec<(String, String)>) {
    let connection = uuid::Uuid::parse_str(connection).expect("a connection id");
    eventually(
        "sync's read model of the subscription",
        Duration::from_secs(20),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            use diesel::sql_types;
            use diesel_async::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Row {
                #[diesel(sql_type = sql_types::Bool)]
                active: bool,
                #[diesel(sql_type = sql_types::Bool)]
                auto_accept: bool,
                #[diesel(sql_type = sql_types::BigInt)]
                version: i64,
                #[diesel(sql_type = sql_types::Jsonb)]
                fields: Value,
            }
            let row: Row = diesel::sql_query(
                "SELECT active, auto_accept, version, fields FROM sync.subscription_mappings \
             WHERE connection_id = $1 AND object = $2",
            )
            .bind::<sql_types::Uuid, _>(connection)
            .bind::<sql_types::Text, _>(object)
            .get_result(&mut conn)
            .await
            .ok()?;
            (row.version >= version).then(|| {
                let mut fields: Vec<(String, String)> = row
                    .fields
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                        (text("field"), text("target_field"))
                    })
                    .collect();
                fields.sort();
                (row.active, row.auto_accept, row.version, fields)
            })
        },
    )
    .await
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_subscription_changes_reach_the_sync_read_model_in_order() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;
    let (acme, globex) = (p.acme.key.as_str(), p.globex.key.as_str());
    let publication = format!("/v1/connections/{id}/publications/Account");
    let subscription = format!("/v1/connections/{id}/subscriptions/Account");
    let publish = |fields: Value| {
        call(
            &app,
            Method::PUT,
            &publication,
            acme,
            Some(json!({ "fields": fields })),
            200,
        )
    };
    publish(json!(["Name", "Phone", "Industry"])).await;

    // Subscribed with auto-map: every published field lands in Globex's field of that name.
    call(
        &app,
        Method::PUT,
        &subscription,
        globex,
        Some(json!({ "auto_map": true })),
        201,
    )
    .await;
    let (active, auto_accept, v1, fields) = read_model(&app, &id, "Account", 1).await;
    assert!(active && !auto_accept);
    assert_eq!(
        fields,
        pairs(&[
            ("Industry", "Industry"),
            ("Name", "Name"),
            ("Phone", "Phone")
        ])
    );

    // Phone left unmapped, Auto-Accept on: the next version says so.
    call(
        &app,
        Method::PUT,
        &subscription,
        globex,
        Some(json!({ "fields": { "Phone": null }, "auto_accept": true })),
        200,
    )
    .await;
    let (active, auto_accept, v2, fields) = read_model(&app, &id, "Account", v1 + 1).await;
    assert!(active && auto_accept);
    assert_eq!(fields, pairs(&[("Industry", "Industry"), ("Name", "Name")]));

    // Acme stops publishing Industry: it no longer flows to Globex.
    publish(json!(["Name", "Phone"])).await;
    let (active, _, v3, fields) = read_model(&app, &id, "Account", v2 + 1).await;
    assert!(active);
    assert_eq!(fields, pairs(&[("Name", "Name")]));

    // Acme unpublishes Account: Globex's subscription ends, and the read model says so.
    call(&app, Method::DELETE, &publication, acme, None, 200).await;
    let (active, _, _, fields) = read_model(&app, &id, "Account", v3 + 1).await;
    assert!(!active);
    assert!(fields.is_empty());
    app.stop().await;
}
