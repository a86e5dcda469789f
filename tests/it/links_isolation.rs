//! A third org's key on every record-link route: 404 (or, for its own inbox, nothing), and
//! nothing changes for the two orgs sharing.

use crate::links_support::{
    account, forward, forward_one, inbox, inbox_entry, link_with_status, net,
};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::json;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn links_routes_hide_everything_from_a_third_org() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let initech = app.create_org("Initech").await;
    let key = initech.key.as_str();
    account(&app, key, "acc-1", "Initech's own").await;

    let problem = forward(
        &app,
        key,
        json!({ "records": [{ "object": "Account", "record_id": "acc-1" }], "connection_ids": [n.id] }),
        404,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("connection_ids[0]")
    );
    let dry = json!({ "records": [{ "object": "Account", "record_id": "acc-1" }], "connection_ids": [n.id], "dry_run": true });
    forward(&app, key, dry, 404).await;
    call(
        &app,
        Method::POST,
        "/v1/sharing/inbox/accept",
        key,
        Some(json!({ "items": [{ "id": entry["id"] }] })),
        404,
    )
    .await;
    call(
        &app,
        Method::POST,
        "/v1/sharing/inbox/reject",
        key,
        Some(json!({ "ids": [entry["id"]] })),
        404,
    )
    .await;
    let translate = format!(
        "/v1/sharing/connections/{}/partner-records/Account/acc-1",
        n.id
    );
    call(&app, Method::GET, &translate, key, None, 404).await;
    // Its own record of the same id has no links; a record it does not have is 404.
    let own = call(
        &app,
        Method::GET,
        "/v1/sharing/records/Account/acc-1",
        key,
        None,
        200,
    )
    .await;
    assert_eq!(own["links"], json!([]));
    call(
        &app,
        Method::GET,
        "/v1/sharing/records/Account/nope",
        key,
        None,
        404,
    )
    .await;
    assert!(inbox(&app, key).await.is_empty());

    // A key of Globex's without the `accept` scope, and one of Acme's without `forward`.
    let mut conn = app.pool().get().await.expect("a connection");
    let reader = shared::identity::create_key(
        &mut conn,
        n.p.globex.id,
        "reader",
        &[shared::identity::Scope::Read],
    )
    .await
    .expect("a read key");
    let acme_reader = shared::identity::create_key(
        &mut conn,
        n.p.acme.id,
        "reader",
        &[shared::identity::Scope::Read],
    )
    .await
    .expect("a read key");
    drop(conn);
    call(
        &app,
        Method::POST,
        "/v1/sharing/inbox/accept",
        &reader,
        Some(json!({ "items": [{ "id": entry["id"] }] })),
        403,
    )
    .await;
    call(
        &app,
        Method::POST,
        "/v1/sharing/inbox/reject",
        &reader,
        Some(json!({ "ids": [entry["id"]] })),
        403,
    )
    .await;
    let body = json!({ "records": [{ "object": "Account", "record_id": "acc-1" }], "connection_ids": [n.id] });
    forward(&app, &acme_reader, body, 403).await;
    assert_eq!(inbox(&app, &reader).await.len(), 1);

    // Nothing changed for Acme and Globex.
    app.wait_idle().await;
    let still = inbox(&app, n.globex()).await;
    assert_eq!(still.len(), 1);
    assert_eq!(still[0]["state"], "waiting");
    link_with_status(&app, n.acme(), "Account", "acc-1", "Pending (sent)").await;
    app.stop().await;
}
