//! The receiver deleting or converting its copy, over HTTP against real servers: both links
//! become `Inactive (deleted)` / `Inactive (converted)` with an end date. Conversion is the
//! Lead Status field set to `Closed - Converted`.

use crate::links_support::{account, forward_one, get_record, link_with_status, net, record};
use serde_json::{Value, json};
use tests::TestApp;

/// Forwards Acme's record (auto-accepted) and answers Globex's copy id once both links are
/// active.
async fn shared_copy(
    app: &TestApp,
    n: &crate::links_support::Net,
    object: &str,
    id: &str,
) -> String {
    forward_one(app, n.acme(), &n.id, object, id).await;
    let sent = link_with_status(app, n.acme(), object, id, "Active (sent)").await;
    let copy = sent["partner_record_id"]
        .as_str()
        .expect("a copy")
        .to_string();
    link_with_status(app, n.globex(), object, &copy, "Active (received)").await;
    copy
}

fn ended_together(sent: &Value, received: &Value) {
    assert!(sent["end_date"].is_string(), "{sent}");
    assert_eq!(sent["end_date"], received["end_date"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn links_deleting_or_converting_the_copy_ends_both_links() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    record(
        &app,
        n.acme(),
        "Lead",
        "lead-1",
        json!({ "LastName": "Lo", "Company": "Vandelay" }),
    )
    .await;
    let account_copy = shared_copy(&app, &n, "Account", "acc-1").await;
    let lead = shared_copy(&app, &n, "Lead", "lead-1").await;

    // A third org deleting its own record of the same id ends nothing.
    let initech = app.create_org("Initech").await;
    account(&app, &initech.key, &account_copy, "Own").await;
    let theirs = app
        .http
        .delete(format!(
            "{}/v1/records/Account/{account_copy}",
            app.base_url
        ))
        .bearer_auth(&initech.key)
        .send()
        .await
        .expect("answered");
    assert!(theirs.status().is_success(), "{}", theirs.status());
    app.wait_idle().await;
    assert_eq!(
        crate::links_support::sharing(&app, n.acme(), "Account", "acc-1").await[0]["status"],
        "Active (sent)"
    );

    // Globex deletes its Account copy.
    let deleted = app
        .http
        .delete(format!(
            "{}/v1/records/Account/{account_copy}",
            app.base_url
        ))
        .bearer_auth(n.globex())
        .send()
        .await
        .expect("answered");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    let received = link_with_status(
        &app,
        n.globex(),
        "Account",
        &account_copy,
        "Inactive (deleted)",
    )
    .await;
    let sent = link_with_status(&app, n.acme(), "Account", "acc-1", "Inactive (deleted)").await;
    ended_together(&sent, &received);
    assert_eq!(get_record(&app, n.acme(), "Account", "acc-1").await.0, 200);

    // Globex converts its Lead copy; an ordinary change before that ends nothing.
    let patch = |fields: Value| {
        app.http
            .patch(format!("{}/v1/records/Lead/{lead}", app.base_url))
            .bearer_auth(n.globex())
            .json(&json!({ "fields": fields }))
            .send()
    };
    let working = patch(json!({ "Status": "Working - Contacted" }))
        .await
        .expect("answered");
    assert_eq!(working.status(), 200);
    let converted = patch(json!({ "Status": "Closed - Converted" }))
        .await
        .expect("answered");
    assert_eq!(converted.status(), 200);
    let received = link_with_status(&app, n.globex(), "Lead", &lead, "Inactive (converted)").await;
    let sent = link_with_status(&app, n.acme(), "Lead", "lead-1", "Inactive (converted)").await;
    ended_together(&sent, &received);
    let (_, copy) = get_record(&app, n.globex(), "Lead", &lead).await;
    assert_eq!(copy["fields"]["Status"], "Closed - Converted");
    app.stop().await;
}
