//! Child records over HTTP against real servers: an Account's Contacts and its open and/or
//! closed tasks travel with it (a result each, the same in the dry run), their links carry
//! `ParentRecordId`, they wait for their parent's acceptance whatever their own Auto-Accept
//! and whatever order the offers arrive in, are created under the parent's copy (lookup
//! translated), and children shared later under an accepted parent are added automatically.

use crate::links_support::{
    Net, accept, account, forward, get_record, inbox, inbox_entry, link_with_status, net, publish,
    record, sharing, subscribe,
};
use crate::sharing_support::call;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::links::{ParentRef, RecordForwardedV1};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// [`net`], with Acme publishing Contact (LastName) and Task (Subject, Status) and Globex
/// subscribing to both, Contact with Auto-Accept on (a child must ignore it and follow its
/// parent).
pub async fn children_net(app: &TestApp, parent_auto_accept: bool) -> Net {
    let n = net(app, parent_auto_accept).await;
    publish(app, n.acme(), &n.id, "Contact", json!(["LastName"])).await;
    publish(app, n.acme(), &n.id, "Task", json!(["Subject", "Status"])).await;
    // Task is a child object (Auto-Accept is refused for it); Contact is not.
    for (object, auto_accept) in [("Contact", true), ("Task", false)] {
        subscribe(
            app,
            n.globex(),
            &n.id,
            object,
            json!({ "auto_accept": auto_accept, "auto_map": true }),
        )
        .await;
    }
    n
}

pub async fn contact(app: &TestApp, key: &str, id: &str, account: &str) {
    let fields = json!({ "LastName": id, "AccountId": account });
    record(app, key, "Contact", id, fields).await;
}

pub async fn task(app: &TestApp, key: &str, id: &str, what: &str, status: &str) {
    let fields = json!({ "Subject": id, "Status": status, "WhatId": what });
    record(app, key, "Task", id, fields).await;
}

/// Forwards one Account with children; the results.
pub async fn forward_with(app: &TestApp, n: &Net, record: &str, extra: Value) -> Vec<Value> {
    let mut body = json!({
        "records": [{ "object": "Account", "record_id": record }],
        "connection_ids": [n.id],
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let answer = forward(app, n.acme(), body, 200).await;
    answer["results"].as_array().cloned().unwrap_or_default()
}

pub fn result_of<'a>(results: &'a [Value], record: &str) -> &'a Value {
    results
        .iter()
        .find(|r| r["record_id"] == record)
        .unwrap_or_else(|| panic!("no result for {record}: {results:?}"))
}

/// Waits for Globex's copy of Acme's record (through Acme's active sent link) and returns
/// its id.
pub async fn copy_of(app: &TestApp, n: &Net, object: &str, record: &str) -> String {
    let sent = link_with_status(app, n.acme(), object, record, "Active (sent)").await;
    sent["partner_record_id"]
        .as_str()
        .expect("the copy's id")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn links_children_travel_with_their_parent_and_follow_its_acceptance() {
    let app = TestApp::spawn().await;
    let n = children_net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    account(&app, n.acme(), "acc-2", "Hooli").await;
    contact(&app, n.acme(), "c-1", "acc-1").await;
    contact(&app, n.acme(), "c-2", "acc-1").await;
    contact(&app, n.acme(), "c-other", "acc-2").await;
    task(&app, n.acme(), "t-open", "acc-1", "Not Started").await;
    task(&app, n.acme(), "t-closed", "acc-1", "Completed").await;
    let with = json!({ "related_objects": ["Contact"], "send_open_tasks": true });

    // The dry run names each child with its parent, and sends nothing.
    let dry = forward_with(
        &app,
        &n,
        "acc-1",
        json!({ "dry_run": true, "related_objects": ["Contact"], "send_open_tasks": true }),
    )
    .await;
    let ids: Vec<&str> = dry.iter().filter_map(|r| r["record_id"].as_str()).collect();
    assert_eq!(ids, vec!["acc-1", "c-1", "c-2", "t-open"], "{dry:?}");
    for child in &dry[1..] {
        assert_eq!(child["outcome"], "would_forward");
        assert_eq!(
            child["parent"],
            json!({ "object": "Account", "record_id": "acc-1" })
        );
    }
    assert!(sharing(&app, n.acme(), "Contact", "c-1").await.is_empty());

    let real = forward_with(&app, &n, "acc-1", with.clone()).await;
    for (dry, real) in dry.iter().zip(&real) {
        assert_eq!(real["outcome"], "forwarded", "{real}");
        for member in ["object", "record_id", "parent", "mapped_fields"] {
            assert_eq!(dry[member], real[member], "{member}");
        }
    }
    assert_eq!(
        real.len(),
        4,
        "the closed task and acc-2's contact stay: {real:?}"
    );
    let parent_link = link_with_status(&app, n.acme(), "Account", "acc-1", "Pending (sent)").await;
    assert_eq!(parent_link["related_records"], json!(["Contact"]));
    assert_eq!(parent_link["send_open_tasks"], true);
    assert_eq!(parent_link["send_closed_tasks"], false);
    let child_link = link_with_status(&app, n.acme(), "Contact", "c-1", "Pending (sent)").await;
    assert_eq!(child_link["parent_record_id"], "acc-1");

    // Globex's inbox holds the children under their parent, not accepted although Contact
    // and Task are Auto-Accept: they follow the parent.
    let child = inbox_entry(&app, n.globex(), "c-1", |_| true).await;
    assert_eq!(child["parent_object"], "Account");
    assert_eq!(child["parent_record_id"], "acc-1");
    let parent = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    inbox_entry(&app, n.globex(), "t-open", |_| true).await;
    app.wait_idle().await;
    let waiting = inbox(&app, n.globex()).await;
    assert_eq!(waiting.len(), 4, "{waiting:?}");
    assert!(
        waiting.iter().all(|e| e["state"] == "waiting"),
        "{waiting:?}"
    );

    // A child accepted by hand before its parent is refused: it would have no parent.
    let refused = accept(&app, n.globex(), json!([{ "id": child["id"] }])).await;
    assert_eq!(refused["results"][0]["outcome"], "refused", "{refused}");

    // Accepting the parent creates the children under its copy.
    accept(&app, n.globex(), json!([{ "id": parent["id"] }])).await;
    let account_copy = copy_of(&app, &n, "Account", "acc-1").await;
    for c in ["c-1", "c-2"] {
        let copy = copy_of(&app, &n, "Contact", c).await;
        let (status, body) = get_record(&app, n.globex(), "Contact", &copy).await;
        assert_eq!(status, 200);
        assert_eq!(body["fields"]["LastName"], c);
        assert_eq!(body["fields"]["AccountId"], account_copy.as_str());
        let received =
            link_with_status(&app, n.globex(), "Contact", &copy, "Active (received)").await;
        assert_eq!(received["parent_record_id"], account_copy.as_str());
    }
    let task_copy = copy_of(&app, &n, "Task", "t-open").await;
    let (_, body) = get_record(&app, n.globex(), "Task", &task_copy).await;
    assert_eq!(body["fields"]["WhatId"], account_copy.as_str());
    assert_eq!(body["fields"]["Status"], "Not Started");
    eventually(
        "Globex's inbox to empty",
        Duration::from_secs(20),
        || async { inbox(&app, n.globex()).await.is_empty().then_some(()) },
    )
    .await;

    // A contact added later and forwarded under the accepted parent is added automatically
    // (the parent, already shared, is not sent again).
    contact(&app, n.acme(), "c-3", "acc-1").await;
    let later = forward_with(&app, &n, "acc-1", json!({ "related_objects": ["Contact"] })).await;
    assert_eq!(result_of(&later, "acc-1")["outcome"], "already_shared");
    assert_eq!(result_of(&later, "c-1")["outcome"], "already_shared");
    assert_eq!(result_of(&later, "c-3")["outcome"], "forwarded");
    let copy = copy_of(&app, &n, "Contact", "c-3").await;
    let (_, body) = get_record(&app, n.globex(), "Contact", &copy).await;
    assert_eq!(body["fields"]["AccountId"], account_copy.as_str());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_children_of_a_rejected_parent_are_rejected_with_it() {
    let app = TestApp::spawn().await;
    let n = children_net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    contact(&app, n.acme(), "c-1", "acc-1").await;
    forward_with(&app, &n, "acc-1", json!({ "related_objects": ["Contact"] })).await;
    inbox_entry(&app, n.globex(), "c-1", |_| true).await;
    let parent = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let path = "/v1/sharing/inbox/reject";
    let body = json!({ "ids": [parent["id"]] });
    call(&app, Method::POST, path, n.globex(), Some(body), 200).await;
    assert!(inbox(&app, n.globex()).await.is_empty());
    link_with_status(&app, n.acme(), "Contact", "c-1", "Inactive").await;
    link_with_status(&app, n.acme(), "Account", "acc-1", "Inactive").await;
    app.stop().await;
}

/// The offers of a parent and its child travel as separate messages: the child's may arrive
/// first. Here both are delivered again by hand, the child's first, and the child waits for
/// the parent's copy (made by Auto-Accept on the parent's arrival), then is created under it.
#[tokio::test(flavor = "multi_thread")]
async fn links_a_child_arriving_before_its_parent_waits_for_the_parents_copy() {
    let app = TestApp::spawn().await;
    let n = children_net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    contact(&app, n.acme(), "c-1", "acc-1").await;
    let sent = forward_with(&app, &n, "acc-1", json!({ "related_objects": ["Contact"] })).await;
    let link_id = |record: &str| -> uuid::Uuid {
        result_of(&sent, record)["link_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a sender's link id")
    };
    // Both offers arrived in order; they are taken out of the inbox, to arrive again reversed.
    inbox_entry(&app, n.globex(), "c-1", |_| true).await;
    inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query(format!(
        "DELETE FROM sharing.inbox WHERE org_id = '{}'",
        n.p.globex.id
    ))
    .execute(&mut conn)
    .await
    .expect("the inbox emptied");
    subscribe(
        &app,
        n.globex(),
        &n.id,
        "Account",
        json!({ "auto_accept": true, "fields": { "Name": "Name" } }),
    )
    .await;

    let connection_id: uuid::Uuid = n.id.parse().expect("a connection id");
    let offer =
        |record: &str, name: &str, parent: Option<ParentRef>, fields: Value| RecordForwardedV1 {
            connection_id: ConnectionId(connection_id),
            sender_org_id: n.p.acme.id,
            sender_org_name: "Acme Corp".into(),
            sender_link_id: link_id(record),
            object: if parent.is_some() {
                "Contact"
            } else {
                "Account"
            }
            .into(),
            record_id: record.into(),
            name: name.into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            send_open_tasks: false,
            send_closed_tasks: false,
            send_emails: false,
            parent,
            currency: None,
        };
    let child = offer(
        "c-1",
        "c-1",
        Some(ParentRef {
            object: "Account".into(),
            record_id: "acc-1".into(),
            lookup: "AccountId".into(),
        }),
        json!({ "LastName": "c-1" }),
    );
    app.publisher
        .publish(app.topology(), &Envelope::new(n.p.globex.id, child))
        .await
        .expect("the child's offer is published");
    let held = inbox_entry(&app, n.globex(), "c-1", |_| true).await;
    app.wait_idle().await;
    assert_eq!(
        inbox(&app, n.globex()).await[0]["state"],
        "waiting",
        "{held}"
    );

    let parent = offer("acc-1", "Initrode", None, json!({ "Name": "Initrode" }));
    app.publisher
        .publish(app.topology(), &Envelope::new(n.p.globex.id, parent))
        .await
        .expect("the parent's offer is published");
    let account_copy = copy_of(&app, &n, "Account", "acc-1").await;
    let contact_copy = copy_of(&app, &n, "Contact", "c-1").await;
    let (_, body) = get_record(&app, n.globex(), "Contact", &contact_copy).await;
    assert_eq!(body["fields"]["AccountId"], account_copy.as_str());
    app.stop().await;
}

/// At most 100 tasks of a record travel (open and closed together): at 100 all go; at 101
/// the last by record id is refused with `task_limit`, in the dry run and the forward alike.
#[tokio::test(flavor = "multi_thread")]
async fn links_at_most_a_hundred_tasks_of_a_record_travel() {
    let app = TestApp::spawn().await;
    let n = children_net(&app, true).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let status = if i % 2 == 0 {
            "Completed"
        } else {
            "Not Started"
        };
        tasks.push(json!({
            "record_id": format!("t-{i:03}"),
            "fields": { "Subject": format!("t-{i:03}"), "Status": status, "WhatId": "acc-1" },
        }));
    }
    bulk(&app, n.acme(), "Task", tasks).await;
    let all_tasks = json!({ "send_open_tasks": true, "send_closed_tasks": true });
    let mut dry_body = all_tasks.clone();
    dry_body["dry_run"] = json!(true);

    // 100: every task would go.
    let dry = forward_with(&app, &n, "acc-1", dry_body.clone()).await;
    assert_eq!(dry.len(), 101);
    assert!(dry.iter().all(|r| r["outcome"] == "would_forward"));

    // 101: the last by record id is over the limit, open or closed.
    task(&app, n.acme(), "t-100", "acc-1", "Not Started").await;
    let dry = forward_with(&app, &n, "acc-1", dry_body).await;
    assert_eq!(dry.len(), 102);
    let over = result_of(&dry, "t-100");
    assert_eq!(over["outcome"], "refused");
    assert_eq!(over["refusal"]["code"], "task_limit");
    assert_eq!(
        dry.iter()
            .filter(|r| r["outcome"] == "would_forward")
            .count(),
        101
    );

    let real = forward_with(&app, &n, "acc-1", all_tasks).await;
    assert_eq!(result_of(&real, "t-100")["refusal"]["code"], "task_limit");
    assert_eq!(
        real.iter().filter(|r| r["outcome"] == "forwarded").count(),
        101
    );
    copy_of(&app, &n, "Task", "t-099").await;
    copy_of(&app, &n, "Task", "t-000").await;
    assert!(sharing(&app, n.acme(), "Task", "t-100").await.is_empty());
    app.stop().await;
}

/// Creates records through the bulk route (NDJSON), expecting every line written.
pub async fn bulk(app: &TestApp, key: &str, object: &str, records: Vec<Value>) {
    let body: Vec<String> = records.iter().map(Value::to_string).collect();
    let response = app
        .http
        .post(format!("{}/v1/records/{object}/bulk", app.base_url))
        .bearer_auth(key)
        .header("content-type", "application/x-ndjson")
        .body(body.join("\n"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 200);
    let summary: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(summary["failed"], 0, "{summary}");
}
