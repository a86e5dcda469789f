//! The receiver's side over HTTP against real servers: accepting by hand (assigned to a user,
//! or related to an existing record), rejecting, Auto-Accept, and a copy that breaks the
//! receiver's validation rules (its reason shown to the sender), with the statuses of both
//! sides, the External Sharing list and the translation of partner ids.

use crate::links_support::{
    accept, account, forward_one, get_record, history, inbox, inbox_entry, link_with_status, net,
    record, sharing,
};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn links_accept_by_hand_assigns_the_copy_and_activates_both_links() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    record(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode", "Rating": "Hot" }),
    )
    .await;
    assert_eq!(
        forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await["outcome"],
        "forwarded"
    );
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;

    // An assignee who is not one of Globex's users is refused, naming the member.
    let stranger = call(
        &app,
        Method::POST,
        "/v1/sharing/inbox/accept",
        n.globex(),
        Some(json!({ "items": [{ "id": entry["id"], "assign_to": n.p.acme_owner }] })),
        422,
    )
    .await;
    assert_eq!(stranger["field"], "items[0].assign_to");

    let answer = accept(
        &app,
        n.globex(),
        json!([{ "id": entry["id"], "assign_to": n.p.globex_owner }]),
    )
    .await;
    assert_eq!(answer["results"][0]["outcome"], "accepting");

    // The sender's link turns active once the copy exists.
    let sent = link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let copy_id = entry["id"].as_str().expect("an id");
    assert_eq!(sent["partner_record_id"], copy_id);
    assert_eq!(sent["partner_object"], "Account");
    assert!(sent["start_date"].is_string());
    let received =
        link_with_status(&app, n.globex(), "Account", copy_id, "Active (received)").await;
    assert_eq!(received["direction"], "received");
    assert_eq!(received["partner_org_name"], "Acme Corp");
    assert_eq!(received["partner_record_id"], "acc-1");
    assert!(received["start_date"].is_string());
    let (status, copy) = get_record(&app, n.globex(), "Account", copy_id).await;
    assert_eq!(status, 200);
    // The assignee owns the copy: its `OwnerId`, kept through later updates.
    assert_eq!(
        copy["fields"],
        json!({ "Name": "Initrode", "Rating": "Warm", "OwnerId": n.p.globex_owner })
    );
    assert_eq!(copy["owner"], n.p.globex_owner.to_string());
    assert_eq!(
        copy["last_modified_by"],
        json!({ "kind": "connection_user", "connection_id": n.id })
    );

    assert!(inbox(&app, n.globex()).await.is_empty());

    // Partner ids translate into local ones, both ways.
    let path = |id: &str| {
        format!(
            "/v1/sharing/connections/{}/partner-records/Account/{id}",
            n.id
        )
    };
    let mine = call(&app, Method::GET, &path("acc-1"), n.globex(), None, 200).await;
    assert_eq!(mine["local_record_id"], copy_id);
    assert_eq!(mine["status"], "Active (received)");
    let theirs = call(&app, Method::GET, &path(copy_id), n.acme(), None, 200).await;
    assert_eq!(theirs["local_record_id"], "acc-1");
    assert_eq!(theirs["direction"], "sent");
    call(&app, Method::GET, &path("unknown"), n.acme(), None, 404).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_accept_relates_to_an_existing_record_instead_of_a_copy() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    account(&app, n.globex(), "g-1", "Initrode Inc.").await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;

    // A record that does not exist: the accept fails and the entry stays, with the error.
    accept(
        &app,
        n.globex(),
        json!([{ "id": entry["id"], "relate_to": "g-404" }]),
    )
    .await;
    let failed = inbox_entry(&app, n.globex(), "acc-1", |e| {
        e["error"].is_string() && e["state"] == "waiting"
    })
    .await;
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .contains("g-404"),
        "{failed}"
    );
    assert_eq!(failed["mode"], "by_hand");

    accept(
        &app,
        n.globex(),
        json!([{ "id": entry["id"], "relate_to": "g-1" }]),
    )
    .await;
    let received = link_with_status(&app, n.globex(), "Account", "g-1", "Active (received)").await;
    assert_eq!(received["partner_record_id"], "acc-1");
    let sent = link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    assert_eq!(sent["partner_record_id"], "g-1");
    // Nothing was created or changed.
    let (_, existing) = get_record(&app, n.globex(), "Account", "g-1").await;
    assert_eq!(existing["version"], 1);
    assert_eq!(existing["fields"]["Name"], "Initrode Inc.");
    let (missing, _) = get_record(
        &app,
        n.globex(),
        "Account",
        entry["id"].as_str().unwrap_or_default(),
    )
    .await;
    assert_eq!(missing, 404);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_reject_makes_the_sender_link_inactive() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    account(&app, n.acme(), "acc-2", "Hooli").await;
    let both = json!({
        "records": [{ "object": "Account", "record_id": "acc-1" }, { "object": "Account", "record_id": "acc-2" }],
        "connection_ids": [n.id],
    });
    crate::links_support::forward(&app, n.acme(), both, 200).await;
    let one = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let two = inbox_entry(&app, n.globex(), "acc-2", |_| true).await;

    let rejected = call(
        &app,
        Method::POST,
        "/v1/sharing/inbox/reject",
        n.globex(),
        Some(json!({ "ids": [one["id"], two["id"]] })),
        200,
    )
    .await;
    let outcomes: Vec<&Value> = rejected["results"]
        .as_array()
        .map(|r| r.iter().map(|x| &x["outcome"]).collect())
        .unwrap_or_default();
    assert_eq!(outcomes, [&json!("rejected"), &json!("rejected")]);
    assert!(inbox(&app, n.globex()).await.is_empty());
    let inactive = link_with_status(&app, n.acme(), "Account", "acc-1", "Inactive").await;
    assert!(inactive["end_date"].is_string());
    link_with_status(&app, n.acme(), "Account", "acc-2", "Inactive").await;

    // Rejected records may be forwarded again.
    assert_eq!(
        forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await["outcome"],
        "forwarded"
    );
    link_with_status(&app, n.acme(), "Account", "acc-1", "Pending (sent)").await;
    inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_auto_accept_creates_the_copy_on_arrival() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    record(
        &app,
        n.acme(),
        "Lead",
        "lead-1",
        json!({ "LastName": "Kim", "Company": "Kim & Co" }),
    )
    .await;
    forward_one(&app, n.acme(), &n.id, "Lead", "lead-1").await;
    let sent = link_with_status(&app, n.acme(), "Lead", "lead-1", "Active (sent)").await;
    let copy_id = sent["partner_record_id"]
        .as_str()
        .expect("the copy")
        .to_string();
    let (status, copy) = get_record(&app, n.globex(), "Lead", &copy_id).await;
    assert_eq!(status, 200);
    assert_eq!(
        copy["fields"],
        json!({ "LastName": "Kim", "Company": "Kim & Co" })
    );
    assert_eq!(copy["last_modified_by"]["kind"], "connection_user");
    let received = link_with_status(&app, n.globex(), "Lead", &copy_id, "Active (received)").await;
    assert_eq!(received["partner_record_id"], "lead-1");
    assert!(inbox(&app, n.globex()).await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_validation_failure_on_accept_reaches_the_history_with_its_kind() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    // Globex requires a field Acme does not send.
    call(
        &app,
        Method::POST,
        "/v1/objects/Account/fields",
        n.globex(),
        Some(json!({ "api_name": "Tier__c", "label": "Tier", "type": "text", "max_length": 20, "required": true })),
        201,
    )
    .await;
    // Wait until the sync service applies the rule to Globex's records.
    eventually("sync to know Tier__c", Duration::from_secs(20), || async {
        let response = app
            .post(
                "/v1/records/Account",
                Some(n.globex()),
                &json!({ "fields": { "Name": "probe" } }),
            )
            .await;
        (response.status() == 422).then_some(())
    })
    .await;

    account(&app, n.acme(), "acc-1", "Initrode").await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    let failed = inbox_entry(&app, n.globex(), "acc-1", |e| {
        e["error"].is_string() && e["state"] == "waiting"
    })
    .await;
    assert_eq!(failed["mode"], "automatically");
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .contains("Tier__c"),
        "{failed}"
    );
    let auto = eventually(
        "the automatic failure in the history",
        Duration::from_secs(20),
        || async {
            history(&app, n.globex(), &n.id)
                .await
                .into_iter()
                .find(|(kind, _)| kind == "RecordAutoAcceptFailed")
        },
    )
    .await;
    assert!(auto.1.contains("automatically"), "{}", auto.1);
    // The sender sees the receiver's reason on its pending link (told back to its org), on
    // the External Sharing list and on the record's page.
    let pending = eventually(
        "the receiver's reason at the sender",
        Duration::from_secs(20),
        || async {
            sharing(&app, n.acme(), "Account", "acc-1")
                .await
                .into_iter()
                .find(|l| l["status"] == "Pending (sent)" && l["receiver_error"].is_string())
        },
    )
    .await;
    assert_eq!(pending["receiver_error"], failed["error"]);
    let olga = crate::web_support::sign_in(&app, "olga@acme.example", 1).await;
    let page = olga.get("/records/Account/acc-1").await;
    assert!(
        page.body.contains("the partner could not create its copy")
            && page.body.contains("Tier__c"),
        "{}",
        page.body
    );

    // Accepted by hand, it fails again: the other kind.
    accept(&app, n.globex(), json!([{ "id": failed["id"] }])).await;
    eventually(
        "the failure by hand in the history",
        Duration::from_secs(20),
        || async {
            history(&app, n.globex(), &n.id)
                .await
                .into_iter()
                .find(|(kind, _)| kind == "RecordAcceptFailed")
        },
    )
    .await;
    let again = inbox_entry(&app, n.globex(), "acc-1", |e| {
        e["mode"] == "by_hand" && e["state"] == "waiting"
    })
    .await;
    assert!(again["error"].is_string());
    // No copy, and the sender's link stays pending.
    app.wait_idle().await;
    let links = sharing(&app, n.acme(), "Account", "acc-1").await;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["status"], "Pending (sent)");
    app.stop().await;
}
