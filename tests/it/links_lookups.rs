//! Lookups translated through the links, over HTTP against real servers: a contact's
//! `AccountId` naming an account shared over the same connection arrives on Globex's copy as
//! Globex's copy of that account, and one naming an unshared account arrives empty (never
//! Acme's id); on the forward and its dry run, on accept, and on a later field sync.

use crate::links_children::copy_of;
use crate::links_support::{account, forward, get_record, net, publish, record, subscribe};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

async fn forward_contact(
    app: &TestApp,
    key: &str,
    id: &str,
    contact: &str,
    dry_run: bool,
) -> Value {
    let body = json!({
        "records": [{ "object": "Contact", "record_id": contact }],
        "connection_ids": [id],
        "dry_run": dry_run,
    });
    forward(app, key, body, 200).await["results"][0].clone()
}

async fn account_of(app: &TestApp, key: &str, contact_copy: &str) -> Value {
    let (_, body) = get_record(app, key, "Contact", contact_copy).await;
    body["fields"]["AccountId"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn links_lookups_name_the_partners_copy_or_stay_empty() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    publish(
        &app,
        n.acme(),
        &n.id,
        "Contact",
        json!(["LastName", "AccountId"]),
    )
    .await;
    let body = json!({ "auto_accept": true, "auto_map": true });
    subscribe(&app, n.globex(), &n.id, "Contact", body).await;
    account(&app, n.acme(), "acc-shared", "Initrode").await;
    account(&app, n.acme(), "acc-unshared", "Hooli").await;
    let body = json!({
        "records": [{ "object": "Account", "record_id": "acc-shared" }], "connection_ids": [n.id],
    });
    forward(&app, n.acme(), body, 200).await;
    let account_copy = copy_of(&app, &n, "Account", "acc-shared").await;
    let contact = |last: &str, account: &str| json!({ "LastName": last, "AccountId": account });
    record(
        &app,
        n.acme(),
        "Contact",
        "c-1",
        contact("c-1", "acc-shared"),
    )
    .await;
    record(
        &app,
        n.acme(),
        "Contact",
        "c-2",
        contact("c-2", "acc-unshared"),
    )
    .await;

    // The forward (and its dry run) sends the shared account's copy, and nothing for the other.
    let dry = forward_contact(&app, n.acme(), &n.id, "c-1", true).await;
    assert_eq!(
        dry["published_fields"]["AccountId"],
        account_copy.as_str(),
        "{dry}"
    );
    assert_eq!(dry["mapped_fields"]["AccountId"], account_copy.as_str());
    let dry = forward_contact(&app, n.acme(), &n.id, "c-2", true).await;
    assert!(dry["published_fields"].get("AccountId").is_none(), "{dry}");
    for c in ["c-1", "c-2"] {
        let sent = forward_contact(&app, n.acme(), &n.id, c, false).await;
        assert_eq!(sent["outcome"], "forwarded", "{sent}");
    }
    let c1 = copy_of(&app, &n, "Contact", "c-1").await;
    let c2 = copy_of(&app, &n, "Contact", "c-2").await;
    assert_eq!(
        account_of(&app, n.globex(), &c1).await,
        account_copy.as_str()
    );
    assert!(account_of(&app, n.globex(), &c2).await.is_null());

    // A later field sync translates the same way: c-2 moved to the shared account, c-1 to the
    // unshared one (its copy's lookup emptied, not set to Acme's id).
    let path = |c: &str| format!("/v1/records/Contact/{c}");
    let to = |account: &str| json!({ "fields": { "AccountId": account } });
    call(
        &app,
        Method::PATCH,
        &path("c-2"),
        n.acme(),
        Some(to("acc-shared")),
        200,
    )
    .await;
    call(
        &app,
        Method::PATCH,
        &path("c-1"),
        n.acme(),
        Some(to("acc-unshared")),
        200,
    )
    .await;
    eventually("the lookups synced", Duration::from_secs(20), || async {
        let c2_account = account_of(&app, n.globex(), &c2).await;
        let c1_account = account_of(&app, n.globex(), &c1).await;
        (c2_account == account_copy.as_str() && c1_account.is_null()).then_some(())
    })
    .await;
    app.stop().await;
}
