//! Deactivating a connection over HTTP against real servers: every link on it ends on both
//! sides, the offers neither org had accepted leave both inboxes, and accepted copies stay
//! editable.

use crate::links_support::{
    accept, account, forward_one, get_record, inbox, inbox_entry, link_with_status, net, publish,
    subscribe,
};
use serde_json::json;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn links_deactivating_a_connection_ends_its_links_and_empties_both_inboxes() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    // Globex shares Accounts the other way too, so both inboxes hold an offer.
    publish(&app, n.globex(), &n.id, "Account", json!(["Name"])).await;
    subscribe(
        &app,
        n.acme(),
        &n.id,
        "Account",
        json!({ "auto_accept": false, "auto_map": true }),
    )
    .await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    account(&app, n.acme(), "acc-2", "Vandelay").await;
    account(&app, n.globex(), "g-1", "Kramerica").await;

    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-2").await;
    forward_one(&app, n.globex(), &n.id, "Account", "g-1").await;
    let offer = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    inbox_entry(&app, n.globex(), "acc-2", |_| true).await;
    inbox_entry(&app, n.acme(), "g-1", |_| true).await;
    accept(
        &app,
        n.globex(),
        json!([{ "id": offer["id"], "assign_to": n.p.globex_owner }]),
    )
    .await;
    let sent = link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let copy = sent["partner_record_id"]
        .as_str()
        .expect("a copy")
        .to_string();

    let deactivated = app
        .post(
            &format!("/v1/connections/{}/deactivate", n.id),
            Some(n.globex()),
            &json!({}),
        )
        .await;
    assert_eq!(deactivated.status(), 200);

    // Every link ends, with an end date, on both sides.
    let ended = link_with_status(&app, n.acme(), "Account", "acc-1", "Inactive").await;
    assert!(ended["end_date"].is_string());
    link_with_status(&app, n.acme(), "Account", "acc-2", "Inactive").await;
    link_with_status(&app, n.globex(), "Account", "g-1", "Inactive").await;
    let theirs = link_with_status(&app, n.globex(), "Account", &copy, "Inactive").await;
    assert_eq!(theirs["direction"], "received");
    assert!(theirs["end_date"].is_string());
    // Neither org keeps the other's unaccepted offers.
    eventually("both inboxes to empty", Duration::from_secs(20), || async {
        (inbox(&app, n.acme()).await.is_empty() && inbox(&app, n.globex()).await.is_empty())
            .then_some(())
    })
    .await;

    // The accepted copy stays, editable by Globex; nothing can be forwarded any more.
    let response = app
        .http
        .patch(format!("{}/v1/records/Account/{copy}", app.base_url))
        .bearer_auth(n.globex())
        .json(&json!({ "fields": { "Name": "Initrode (kept)" } }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let (_, kept) = get_record(&app, n.globex(), "Account", &copy).await;
    assert_eq!(kept["fields"]["Name"], "Initrode (kept)");
    let again = forward_one(&app, n.acme(), &n.id, "Account", "acc-2").await;
    assert_eq!(again["refusal"]["code"], "connection_not_accepted");
    app.stop().await;
}
