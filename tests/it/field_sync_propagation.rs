//! Field sync over HTTP and AMQP against real servers: a change of a linked record reaches the
//! partner's copy in both directions, mapped (field names, picklist values), written by the
//! Connection User; only subscribed fields travel; a changed mapping counts from the next
//! update; nothing goes over an inactive link.

use crate::field_sync_support::{entries, linked, patch, record_where, second_worker, settled};
use crate::links_support::{get_record, subscribe};
use serde_json::json;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_updates_flow_both_ways_mapped_and_by_the_connection_user() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let l = linked(&app).await;
    let n = &l.n;

    // Acme -> Globex: Rating `Hot` arrives as `Warm`; Phone is not subscribed.
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Rating": "Hot", "Phone": "555-0100" }),
    )
    .await;
    let copy = record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "Warm on the copy",
        |r| r["fields"]["Rating"] == "Warm",
    )
    .await;
    assert_eq!(copy["fields"]["Name"], "Initrode");
    assert!(copy["fields"].get("Phone").is_none(), "{copy}");
    assert_eq!(
        copy["last_modified_by"],
        json!({ "kind": "connection_user", "connection_id": n.id, "partner_org_id": n.p.acme.id })
    );

    // Globex -> Acme, through Acme's own subscription to Globex's Account.
    patch(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        json!({ "Name": "Initrode Intl" }),
    )
    .await;
    let original = record_where(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        "the name back at Acme",
        |r| r["fields"]["Name"] == "Initrode Intl",
    )
    .await;
    assert_eq!(
        original["last_modified_by"],
        json!({ "kind": "connection_user", "connection_id": n.id, "partner_org_id": n.p.globex.id })
    );
    assert_eq!(original["fields"]["Rating"], "Hot");
    assert_eq!(original["fields"]["Phone"], "555-0100");

    // Applied updates are never echoed: one entry per change and direction, all Applied.
    let query = format!("connection_id={}", n.id);
    let acme_view = settled(&app, n.acme(), &query, 2).await;
    assert_eq!(acme_view.len(), 2, "{acme_view:?}");
    assert!(
        acme_view.iter().all(|e| e["state"] == "Applied"),
        "{acme_view:?}"
    );
    let to_globex = acme_view
        .iter()
        .find(|e| e["sender_org_id"] == n.p.acme.id.to_string())
        .expect("Acme's update");
    assert_eq!(to_globex["fields"]["Rating"]["value"], "Warm");
    assert_eq!(to_globex["overwritten"], json!({ "Rating": "Cold" }));
    assert_eq!(to_globex["attempts"], 1);
    // Globex sees the same two entries.
    assert_eq!(entries(&app, n.globex(), &query).await.len(), 2);
    app.wait_idle().await;
    assert_eq!(entries(&app, n.acme(), &query).await.len(), 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_reads_the_mapping_in_force_at_the_next_update() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    // Globex now also takes Phone, into its own Fax field.
    subscribe(
        &app,
        n.globex(),
        &n.id,
        "Account",
        json!({
            "auto_accept": true,
            "fields": { "Name": "Name", "Rating": "Rating", "Phone": "Fax" },
        }),
    )
    .await;
    // Wait until sync's read model holds the new mapping, then one change travels with it.
    shared::testing::eventually(
        "sync to know the new mapping",
        std::time::Duration::from_secs(20),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            let n: i64 = diesel_async::RunQueryDsl::get_result(
                diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                    "(SELECT count(*) FROM sync.subscription_mappings \
                  WHERE connection_id = '{}' AND fields::text LIKE '%Fax%')",
                    n.id
                ))),
                &mut conn,
            )
            .await
            .ok()?;
            (n == 1).then_some(())
        },
    )
    .await;
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Phone": "555-0199" }),
    )
    .await;
    let copy = record_where(&app, n.globex(), "Account", &l.copy, "Phone as Fax", |r| {
        r["fields"]["Fax"] == "555-0199"
    })
    .await;
    assert!(copy["fields"].get("Phone").is_none(), "{copy}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_sends_nothing_over_an_inactive_link() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let l = linked(&app).await;
    let n = &l.n;
    // Stopping a link is another slice's route: the link row is made inactive directly.
    let mut conn = app.pool().get().await.expect("a connection");
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE sharing.record_links SET status = 'Inactive', end_date = now() \
             WHERE org_id = $1 AND local_record_id = 'acc-1'",
        )
        .bind::<diesel::sql_types::Uuid, _>(n.p.acme.id.as_uuid()),
        &mut conn,
    )
    .await
    .expect("link stopped");
    drop(conn);
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Not sent" }),
    )
    .await;
    app.wait_idle().await;
    let (_, copy) = get_record(&app, n.globex(), "Account", &l.copy).await;
    assert_eq!(copy["fields"]["Name"], "Initrode");
    assert!(
        entries(&app, n.acme(), &format!("connection_id={}", n.id))
            .await
            .is_empty()
    );
    // The receiver's side of the link is still active: its changes still go to Acme.
    patch(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        json!({ "Name": "Still received" }),
    )
    .await;
    record_where(&app, n.acme(), "Account", "acc-1", "Globex's change", |r| {
        r["fields"]["Name"] == "Still received"
    })
    .await;
    app.stop().await;
}
