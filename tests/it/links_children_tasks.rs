//! The tasks of child records over HTTP against real servers: an Account forwarded with its
//! Contacts and its tasks sends each contact's own tasks too, each under its contact (at most
//! 100 per contact, open and closed as asked), the dry run alike; on Globex a contact's task is
//! created under the contact's copy once the account is accepted.

use crate::links_children::{bulk, children_net, contact, copy_of, forward_with, result_of};
use crate::links_support::{accept, account, get_record, inbox_entry, record};
use serde_json::{Value, json};
use tests::TestApp;

async fn task_of(app: &TestApp, key: &str, id: &str, who: &str, what: Option<&str>, status: &str) {
    let mut fields = json!({ "Subject": id, "Status": status, "WhoId": who });
    if let Some(what) = what {
        fields["WhatId"] = json!(what);
    }
    record(app, key, "Task", id, fields).await;
}

fn ids(results: &[Value]) -> Vec<&str> {
    results
        .iter()
        .filter_map(|r| r["record_id"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn links_children_tasks_of_a_child_travel_with_it() {
    let app = TestApp::spawn().await;
    let n = children_net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    contact(&app, n.acme(), "c-1", "acc-1").await;
    task_of(&app, n.acme(), "t-c1-open", "c-1", None, "Not Started").await;
    task_of(&app, n.acme(), "t-c1-closed", "c-1", None, "Completed").await;
    // A task of both the account and its contact goes once, with the account.
    task_of(
        &app,
        n.acme(),
        "t-both",
        "c-1",
        Some("acc-1"),
        "Not Started",
    )
    .await;
    let with = json!({ "related_objects": ["Contact"], "send_open_tasks": true });

    let mut dry_body = with.clone();
    dry_body["dry_run"] = json!(true);
    let dry = forward_with(&app, &n, "acc-1", dry_body).await;
    assert_eq!(
        ids(&dry),
        vec!["acc-1", "c-1", "t-c1-open", "t-both"],
        "{dry:?}"
    );
    assert_eq!(
        result_of(&dry, "t-c1-open")["parent"],
        json!({ "object": "Contact", "record_id": "c-1" })
    );
    assert_eq!(result_of(&dry, "t-both")["parent"]["record_id"], "acc-1");
    assert!(dry.iter().all(|r| r["outcome"] == "would_forward"));

    // Without tasks asked for, the contact's tasks stay.
    let bare = forward_with(
        &app,
        &n,
        "acc-1",
        json!({ "related_objects": ["Contact"], "dry_run": true }),
    )
    .await;
    assert_eq!(ids(&bare), vec!["acc-1", "c-1"]);

    let real = forward_with(&app, &n, "acc-1", with).await;
    assert_eq!(ids(&real), ids(&dry));
    assert!(real.iter().all(|r| r["outcome"] == "forwarded"), "{real:?}");
    let parent = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let held = inbox_entry(&app, n.globex(), "t-c1-open", |_| true).await;
    assert_eq!(held["parent_object"], "Contact");
    assert_eq!(held["parent_record_id"], "c-1");
    accept(&app, n.globex(), json!([{ "id": parent["id"] }])).await;
    let contact_copy = copy_of(&app, &n, "Contact", "c-1").await;
    let task_copy = copy_of(&app, &n, "Task", "t-c1-open").await;
    let (_, body) = get_record(&app, n.globex(), "Task", &task_copy).await;
    assert_eq!(body["fields"]["WhoId"], contact_copy.as_str(), "{body}");
    assert_eq!(body["fields"]["Subject"], "t-c1-open");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_children_tasks_at_most_a_hundred_per_child() {
    let app = TestApp::spawn().await;
    let n = children_net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    contact(&app, n.acme(), "c-1", "acc-1").await;
    let tasks: Vec<Value> = (0..101)
        .map(|i| {
            let status = if i % 2 == 0 {
                "Completed"
            } else {
                "Not Started"
            };
            json!({
                "record_id": format!("t-{i:03}"),
                "fields": { "Subject": format!("t-{i:03}"), "Status": status, "WhoId": "c-1" },
            })
        })
        .collect();
    bulk(&app, n.acme(), "Task", tasks).await;
    let body = json!({
        "related_objects": ["Contact"], "send_open_tasks": true, "send_closed_tasks": true,
        "dry_run": true,
    });
    let dry = forward_with(&app, &n, "acc-1", body).await;
    assert_eq!(dry.len(), 103, "the account, the contact, 101 tasks");
    let over = result_of(&dry, "t-100");
    assert_eq!(over["refusal"]["code"], "task_limit", "{over}");
    let going = dry
        .iter()
        .filter(|r| r["outcome"] == "would_forward")
        .count();
    assert_eq!(going, 102);
    // Only the closed ones: 51, all within the limit.
    let closed = json!({
        "related_objects": ["Contact"], "send_closed_tasks": true, "dry_run": true,
    });
    let dry = forward_with(&app, &n, "acc-1", closed).await;
    assert_eq!(dry.len(), 2 + 51);
    assert!(dry.iter().all(|r| r["outcome"] == "would_forward"));
    app.stop().await;
}
