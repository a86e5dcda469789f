//! Forwarding records over HTTP against real servers: a dry run answering exactly what the
//! forward then sends (and the receiver's inbox shows), many records in one request with a
//! result per record and connection, a live link not sent twice, and every refusal reason of
//! this slice.

use crate::links_support::{
    Net, account, forward, forward_one, inbox, inbox_entry, link_with_status, net, publish, record,
    sharing, subscribe,
};
use crate::sharing_support::call;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn links_dry_run_matches_the_forward_and_the_inbox() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    record(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode", "Rating": "Hot", "Phone": "555-0100" }),
    )
    .await;
    account(&app, n.acme(), "acc-2", "Hooli").await;
    let body = |dry_run: bool| {
        json!({
            "records": [
                { "object": "Account", "record_id": "acc-1" },
                { "object": "Account", "record_id": "acc-2" },
            ],
            "connection_ids": [n.id],
            "dry_run": dry_run,
        })
    };

    let dry = forward(&app, n.acme(), body(true), 200).await;
    assert_eq!(dry["dry_run"], true);
    let dry_results = dry["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(dry_results.len(), 2, "{dry}");
    let first = &dry_results[0];
    assert_eq!(first["outcome"], "would_forward");
    assert_eq!(
        first["published_fields"],
        json!({ "Name": "Initrode", "Rating": "Hot", "Phone": "555-0100" })
    );
    assert_eq!(first["target_object"], "Account");
    // Phone is unmapped by Globex; Hot arrives as Warm.
    assert_eq!(
        first["mapped_fields"],
        json!({ "Name": "Initrode", "Rating": "Warm" })
    );
    // A dry run changes nothing.
    assert!(sharing(&app, n.acme(), "Account", "acc-1").await.is_empty());

    let real = forward(&app, n.acme(), body(false), 200).await;
    let real_results = real["results"].as_array().cloned().unwrap_or_default();
    for (dry, real) in dry_results.iter().zip(&real_results) {
        assert_eq!(real["outcome"], "forwarded", "{real}");
        for member in [
            "object",
            "record_id",
            "connection_id",
            "published_fields",
            "target_object",
            "mapped_fields",
        ] {
            assert_eq!(dry[member], real[member], "{member}");
        }
    }
    let pending = link_with_status(&app, n.acme(), "Account", "acc-1", "Pending (sent)").await;
    assert_eq!(pending["direction"], "sent");
    assert_eq!(pending["connection_id"], n.id.as_str());
    assert_eq!(pending["partner_org_name"], "Globex");
    assert!(pending["start_date"].is_null());

    // The receiver's inbox shows what the dry run said would be created.
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    assert_eq!(entry["fields"], first["mapped_fields"]);
    assert_eq!(entry["object"], "Account");
    assert_eq!(entry["partner_object"], "Account");
    assert_eq!(entry["name"], "Initrode");
    assert_eq!(entry["state"], "waiting");
    inbox_entry(&app, n.globex(), "acc-2", |_| true).await;

    // Forwarded again while pending: nothing is sent twice.
    let again = forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    assert_eq!(again["outcome"], "already_shared");
    app.wait_idle().await;
    assert_eq!(inbox(&app, n.globex()).await.len(), 2);
    app.stop().await;
}

/// The refusal code of forwarding one record to one connection.
async fn refusal(app: &TestApp, key: &str, id: &str, object: &str, record_id: &str) -> String {
    let result = forward_one(app, key, id, object, record_id).await;
    assert_eq!(result["outcome"], "refused", "{result}");
    result["refusal"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn links_forward_refusals_name_each_reason() {
    let app = TestApp::spawn().await;
    let n: Net = net(&app, true).await;
    let (acme, globex) = (n.acme(), n.globex());

    assert_eq!(
        refusal(&app, acme, &n.id, "Account", "nobody").await,
        "record_not_found"
    );

    record(&app, acme, "Contact", "con-1", json!({ "LastName": "Lee" })).await;
    assert_eq!(
        refusal(&app, acme, &n.id, "Contact", "con-1").await,
        "not_published"
    );
    publish(&app, acme, &n.id, "Contact", json!(["LastName"])).await;
    assert_eq!(
        refusal(&app, acme, &n.id, "Contact", "con-1").await,
        "not_subscribed"
    );

    record(&app, acme, "Account", "secret", json!({ "Name": "Hidden" })).await;
    call(
        &app,
        Method::PATCH,
        "/v1/records/Account/secret",
        acme,
        Some(json!({ "fields": {}, "private": true })),
        200,
    )
    .await;
    assert_eq!(
        refusal(&app, acme, &n.id, "Account", "secret").await,
        "private"
    );

    // The record store refuses a lead without Company today; a row stored before that rule
    // (a cut-over import) still exists, and the forward refuses it.
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query(format!(
        "INSERT INTO sync.records (org_id, object, record_id, fields, version, last_modified_by, last_modified_at) \
         VALUES ('{}', 'Lead', 'lead-1', '{{\"LastName\": \"Lee\"}}', 1, '{{\"kind\": \"org\", \"source\": \"bulk\"}}', now())",
        n.p.acme.id
    ))
    .execute(&mut conn)
    .await
    .expect("a legacy lead");
    assert_eq!(
        refusal(&app, acme, &n.id, "Lead", "lead-1").await,
        "lead_without_company"
    );
    record(
        &app,
        acme,
        "Lead",
        "lead-2",
        json!({ "LastName": "Kim", "Company": "Kim & Co" }),
    )
    .await;
    assert_eq!(
        forward_one(&app, acme, &n.id, "Lead", "lead-2").await["outcome"],
        "forwarded"
    );

    // Back to where it came from: Globex's copy of Acme's account (Auto-Accept on), which
    // Globex publishes and Acme subscribes to, is not forwarded back over this connection.
    account(&app, acme, "acc-1", "Initrode").await;
    assert_eq!(
        forward_one(&app, acme, &n.id, "Account", "acc-1").await["outcome"],
        "forwarded"
    );
    let sent = link_with_status(&app, acme, "Account", "acc-1", "Active (sent)").await;
    let copy = sent["partner_record_id"]
        .as_str()
        .expect("the copy's id")
        .to_string();
    publish(&app, globex, &n.id, "Account", json!(["Name"])).await;
    subscribe(&app, acme, &n.id, "Account", json!({ "auto_map": true })).await;
    assert_eq!(
        refusal(&app, globex, &n.id, "Account", &copy).await,
        "back_to_sender"
    );

    // A connection not accepted yet: Acme's second invitation, still unanswered.
    let second = call(
        &app,
        Method::POST,
        "/v1/connections",
        acme,
        Some(json!({ "contact": { "name": "Ivy", "email": "ivy@initech.example" }, "owner_user_id": n.p.acme_owner })),
        201,
    )
    .await;
    let second_id = second["id"].as_str().expect("an id").to_string();
    crate::sharing_support::visible(&app, acme, &second_id).await;
    let both = forward(
        &app,
        acme,
        json!({ "records": [{ "object": "Account", "record_id": "acc-1" }], "connection_ids": [second_id, n.id] }),
        200,
    )
    .await;
    let results: Vec<Value> = both["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["refusal"]["code"], "connection_not_accepted");
    assert_eq!(results[1]["outcome"], "already_shared");

    // Input errors name the member.
    let bad = forward(
        &app,
        acme,
        json!({ "records": [], "connection_ids": [n.id] }),
        422,
    )
    .await;
    assert_eq!(bad["field"], "records");
    let bad = forward(&app, acme, json!({ "records": [{ "object": "Account", "record_id": "x" }], "connection_ids": ["nope"] }), 422).await;
    assert_eq!(bad["field"], "connection_ids[0]");
    app.stop().await;
}
