//! A child edited away from its shared parent stops being shared (S2S: "a related record edited
//! from an unshared record stops being shared"), against real servers: a contact shared under
//! its account and moved to an account that is not shared ends its links on both sides as
//! `Inactive`, and the partner's copy stays; its sibling, edited without leaving the account,
//! and the account itself stay active.

use crate::links_children::{children_net, contact, copy_of, forward_with};
use crate::links_support::{account, get_record, link_with_status};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::json;
use tests::TestApp;

async fn change_contact(app: &TestApp, key: &str, id: &str, fields: serde_json::Value) {
    let path = format!("/v1/records/Contact/{id}");
    call(
        app,
        Method::PATCH,
        &path,
        key,
        Some(json!({ "fields": fields })),
        200,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_a_child_moved_to_an_unshared_parent_stops_being_shared() {
    let app = TestApp::spawn().await;
    let n = children_net(&app, true).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    account(&app, n.acme(), "acc-2", "Hooli").await;
    contact(&app, n.acme(), "c-1", "acc-1").await;
    contact(&app, n.acme(), "c-2", "acc-1").await;
    forward_with(&app, &n, "acc-1", json!({ "related_objects": ["Contact"] })).await;
    let moved_copy = copy_of(&app, &n, "Contact", "c-1").await;
    let sibling_copy = copy_of(&app, &n, "Contact", "c-2").await;

    // c-2 changes, still under acc-1; c-1 moves to acc-2, which is not shared.
    change_contact(&app, n.acme(), "c-2", json!({ "LastName": "Still here" })).await;
    change_contact(&app, n.acme(), "c-1", json!({ "AccountId": "acc-2" })).await;

    let ended = link_with_status(&app, n.acme(), "Contact", "c-1", "Inactive").await;
    assert!(ended["end_date"].is_string(), "{ended}");
    link_with_status(&app, n.globex(), "Contact", &moved_copy, "Inactive").await;
    let (status, copy) = get_record(&app, n.globex(), "Contact", &moved_copy).await;
    assert_eq!(status, 200, "the partner's copy stays: {copy}");

    app.wait_idle().await;
    link_with_status(&app, n.acme(), "Contact", "c-2", "Active (sent)").await;
    link_with_status(
        &app,
        n.globex(),
        "Contact",
        &sibling_copy,
        "Active (received)",
    )
    .await;
    link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let (_, sibling) = get_record(&app, n.globex(), "Contact", &sibling_copy).await;
    assert_eq!(sibling["fields"]["LastName"], "Still here", "{sibling}");
    app.stop().await;
}
