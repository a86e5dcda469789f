//! "A change of the last-modified date alone also syncs", against real servers: a save without
//! a change of value (`POST /v1/records/{object}/{id}/touch`) makes a new version, and the
//! partner's copy then shows it last modified by the Connection User at the new time, its
//! values untouched; the ledger says Applied, and the touch does not come back. A PATCH with
//! the values a record holds stays no change.

use crate::field_sync_support::{entries, linked, patch, record_where, settled_kind};
use crate::links_support::get_record;
use crate::sharing_support::call;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

fn modified_at(record: &Value) -> DateTime<Utc> {
    record["last_modified_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("last_modified_at")
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_touch_moves_the_copys_last_modified_without_changing_values() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let n = &l.n;
    app.wait_idle().await;
    let (_, before) = get_record(&app, n.globex(), "Account", &l.copy).await;
    let version = before["version"].as_i64().expect("a version");

    // The same values again are no change: no version, nothing sent.
    let (_, original) = get_record(&app, n.acme(), "Account", "acc-1").await;
    let same = patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode" }),
    )
    .await;
    assert_eq!(same["version"], original["version"]);

    let touched = call(
        &app,
        Method::POST,
        "/v1/records/Account/acc-1/touch",
        n.acme(),
        None,
        200,
    )
    .await;
    assert_eq!(
        touched["version"].as_i64(),
        original["version"].as_i64().map(|v| v + 1)
    );
    assert_eq!(touched["fields"], original["fields"]);
    assert_eq!(
        touched["last_modified_by"],
        json!({ "kind": "org", "source": "http" })
    );

    let copy = record_where(
        &app,
        n.globex(),
        "Account",
        &l.copy,
        "the touch applied",
        |r| r["version"].as_i64() == Some(version + 1),
    )
    .await;
    assert_eq!(copy["fields"], before["fields"], "values untouched");
    assert_eq!(
        copy["last_modified_by"],
        json!({ "kind": "connection_user", "connection_id": n.id, "partner_org_id": n.p.acme.id })
    );
    assert!(modified_at(&copy) > modified_at(&before), "{copy}");

    let query = format!("record_id={}", l.copy);
    let rows = settled_kind(&app, n.globex(), &query, "touch", 1).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["state"], "Applied");
    assert_eq!(rows[0]["sender_org_id"], n.p.acme.id.to_string());
    // Globex's touch of its copy is not sent back over the connection it came over.
    app.wait_idle().await;
    let touches: Vec<Value> = entries(&app, n.acme(), &format!("connection_id={}", n.id))
        .await
        .into_iter()
        .filter(|e| e["kind"] == "touch")
        .collect();
    assert_eq!(touches.len(), 1, "{touches:?}");
    let (_, original_now) = get_record(&app, n.acme(), "Account", "acc-1").await;
    assert_eq!(original_now["version"], touched["version"]);

    // Touching a record that does not exist is 404.
    call(
        &app,
        Method::POST,
        "/v1/records/Account/nope/touch",
        n.acme(),
        None,
        404,
    )
    .await;
    app.stop().await;
}
