//! Changing roles and queues after they are made, over HTTP against real servers: a role is
//! renamed and moved (never under itself or a role below it) and deleted once no user holds it
//! and no role reports to it; a queue is renamed and its members replaced, its records staying
//! its own and shared by the new members only, and deleted once it owns no record. Another
//! org's key finds none of them and changes nothing.

use crate::links_support::{get_record, link_with_status, net, record};
use crate::roles_support::{as_user, forward_as, role, unknown_id, user};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn roles_edit_rename_move_and_delete_a_role() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme").await;
    let key = acme.key.as_str();
    // CEO > VP > Rep.
    let ceo = role(&app, key, "CEO", None).await;
    let vp = role(&app, key, "VP", Some(&ceo)).await;
    let rep = role(&app, key, "Rep", Some(&vp)).await;

    // Rep moves up under the CEO and is renamed.
    let moved = put_role(
        &app,
        key,
        &rep,
        json!({ "name": "Lead", "parent_id": ceo }),
        200,
    )
    .await;
    assert_eq!(moved["name"], "Lead");
    assert_eq!(moved["parent_id"], ceo.as_str());

    // Under itself or a role below it: a cycle, refused naming parent_id; nothing changes.
    let vp_under_vp = json!({ "name": "VP", "parent_id": vp });
    let ceo_under_lead = json!({ "name": "CEO", "parent_id": rep });
    for (id, body) in [(&vp, vp_under_vp), (&ceo, ceo_under_lead)] {
        let refused = put_role(&app, key, id, body, 422).await;
        assert_eq!(refused["field"], "parent_id", "{refused}");
        assert!(
            refused["detail"]
                .as_str()
                .is_some_and(|d| d.contains("would make a cycle")),
            "{refused}"
        );
    }
    // A name in use, a parent of no role, a body leaving parent_id out: refused naming the field.
    let taken = put_role(
        &app,
        key,
        &vp,
        json!({ "name": "CEO", "parent_id": ceo }),
        422,
    )
    .await;
    assert_eq!(taken["field"], "name");
    let unknown = json!({ "name": "VP", "parent_id": unknown_id() });
    let refused = put_role(&app, key, &vp, unknown, 422).await;
    assert_eq!(refused["field"], "parent_id");
    let missing = put_role(&app, key, &vp, json!({ "name": "VP" }), 422).await;
    assert_eq!(missing["field"], "parent_id");
    put_role(
        &app,
        key,
        &unknown_id(),
        json!({ "name": "X", "parent_id": null }),
        404,
    )
    .await;
    assert_eq!(
        parents(&app, key).await,
        vec![
            ("CEO".to_string(), Value::Null),
            ("VP".to_string(), json!(ceo)),
            ("Lead".to_string(), json!(ceo)),
        ]
    );

    // The VP becomes a top role; the CEO, no longer above it, may then go under it.
    put_role(
        &app,
        key,
        &vp,
        json!({ "name": "VP", "parent_id": null }),
        200,
    )
    .await;
    put_role(
        &app,
        key,
        &ceo,
        json!({ "name": "CEO", "parent_id": vp }),
        200,
    )
    .await;
    assert_eq!(
        parents(&app, key).await,
        vec![
            ("CEO".to_string(), json!(vp)),
            ("VP".to_string(), Value::Null),
            ("Lead".to_string(), json!(ceo)),
        ]
    );

    // Delete: refused while a user holds the role or a role reports to it, with the reason.
    let lea = user(&app, key, "lea@acme.example", &["read"], Some(&rep)).await;
    let held = delete(&app, key, &format!("/v1/roles/{rep}"), 409).await;
    assert_eq!(held["current_status"], "held_by_users", "{held}");
    let parent = delete(&app, key, &format!("/v1/roles/{ceo}"), 409).await;
    assert_eq!(parent["current_status"], "parent_of_roles", "{parent}");
    assert_eq!(parents(&app, key).await.len(), 3);
    let path = format!("/v1/users/{lea}/role");
    let body = Some(json!({ "role_id": null }));
    call(&app, Method::PUT, &path, key, body, 200).await;
    delete(&app, key, &format!("/v1/roles/{rep}"), 204).await;
    delete(&app, key, &format!("/v1/roles/{rep}"), 404).await;
    delete(&app, key, &format!("/v1/roles/{ceo}"), 204).await;
    assert_eq!(
        parents(&app, key).await,
        vec![("VP".to_string(), Value::Null)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_edit_a_queue_changed_keeps_its_records_for_its_new_members() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    let key = n.acme();
    let old = user(&app, key, "old@acme.example", &["forward", "read"], None).await;
    let new = user(&app, key, "new@acme.example", &["forward", "read"], None).await;
    let queue = call(
        &app,
        Method::POST,
        "/v1/queues",
        key,
        Some(json!({ "name": "Partner leads", "member_ids": [old] })),
        201,
    )
    .await;
    let queue_id = queue["id"].as_str().expect("a queue id").to_string();
    for id in ["acc-1", "acc-2"] {
        record(
            &app,
            key,
            "Account",
            id,
            json!({ "Name": id, "OwnerId": queue_id }),
        )
        .await;
    }
    let sent = forward_as(&app, key, &old, &n.id, &["acc-1"], false).await;
    assert_eq!(sent[0]["outcome"], "forwarded", "{sent:?}");
    link_with_status(&app, key, "Account", "acc-1", "Active (sent)").await;

    // The same rules as a new queue: members of the org, a name not taken.
    call(
        &app,
        Method::POST,
        "/v1/queues",
        key,
        Some(json!({ "name": "Other" })),
        201,
    )
    .await;
    let queue_path = format!("/v1/queues/{queue_id}");
    let foreign = json!({ "name": "Partner leads", "member_ids": [new, n.p.globex_owner] });
    let refused = put(&app, key, &queue_path, foreign, 422).await;
    assert_eq!(refused["field"], "member_ids[1]");
    let taken = json!({ "name": "Other", "member_ids": [new] });
    let refused = put(&app, key, &queue_path, taken, 422).await;
    assert_eq!(refused["field"], "name");
    assert_eq!(
        queue_listed(&app, key, &queue_id).await["member_ids"],
        json!([old])
    );

    // Renamed, its members replaced: the records stay the queue's.
    let change = json!({ "name": "Leads", "member_ids": [new] });
    let changed = put(&app, key, &queue_path, change, 200).await;
    assert_eq!(changed["name"], "Leads");
    assert_eq!(changed["member_ids"], json!([new]));
    let listed = queue_listed(&app, key, &queue_id).await;
    assert_eq!(listed["name"], "Leads");
    assert_eq!(listed["member_ids"], json!([new]));
    let (_, copy) = get_record(&app, key, "Account", "acc-1").await;
    assert_eq!(copy["owner"], queue_id.as_str());

    // The removed member may no longer forward or stop them; the new one may.
    let refused = forward_as(&app, key, &old, &n.id, &["acc-2"], true).await;
    assert_eq!(refused[0]["refusal"]["code"], "not_owner", "{refused:?}");
    let stop_path = "/v1/sharing/records/Account/acc-1/stop";
    let stop_body = json!({ "connection_id": n.id });
    as_user(
        &app,
        key,
        &old,
        Method::POST,
        stop_path,
        stop_body.clone(),
        403,
    )
    .await;
    let allowed = forward_as(&app, key, &new, &n.id, &["acc-2"], true).await;
    assert_eq!(allowed[0]["outcome"], "would_forward", "{allowed:?}");
    let stopped = as_user(&app, key, &new, Method::POST, stop_path, stop_body, 200).await;
    assert_eq!(stopped["ended"][0]["status"], "Inactive");

    // Deleting it: refused while it owns records, done once they have another owner.
    let owns = delete(&app, key, &queue_path, 409).await;
    assert_eq!(owns["current_status"], "owns_records", "{owns}");
    for id in ["acc-1", "acc-2"] {
        let path = format!("/v1/records/Account/{id}");
        let body = Some(json!({ "fields": { "OwnerId": new } }));
        call(&app, Method::PATCH, &path, key, body, 200).await;
    }
    delete(&app, key, &queue_path, 204).await;
    let left = call(&app, Method::GET, "/v1/queues", key, None, 200).await;
    assert!(
        left.as_array()
            .is_some_and(|q| q.iter().all(|q| q["id"] != queue_id.as_str())),
        "{left}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_edit_another_orgs_roles_and_queues_are_not_found() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    let key = n.acme();
    let initech = app.create_org("Initech").await;
    let theirs = initech.key.as_str();
    let boss = role(&app, key, "Boss", None).await;
    let rep = role(&app, key, "Rep", Some(&boss)).await;
    let member = n.p.acme_owner.to_string();
    let queue = call(
        &app,
        Method::POST,
        "/v1/queues",
        key,
        Some(json!({ "name": "Leads", "member_ids": [member] })),
        201,
    )
    .await;
    let queue_id = queue["id"].as_str().expect("a queue id").to_string();
    record(
        &app,
        key,
        "Account",
        "acc-1",
        json!({ "Name": "one", "OwnerId": queue_id }),
    )
    .await;
    let roles_before = call(&app, Method::GET, "/v1/roles", key, None, 200).await;
    let queues_before = call(&app, Method::GET, "/v1/queues", key, None, 200).await;

    // Neither the partner (Globex) nor a third org (Initech) finds them: 404, nothing changed.
    let initech_role = role(&app, theirs, "Boss", None).await;
    for other in [n.globex(), theirs] {
        let path = format!("/v1/roles/{rep}");
        put(
            &app,
            other,
            &path,
            json!({ "name": "Mine", "parent_id": null }),
            404,
        )
        .await;
        delete(&app, other, &path, 404).await;
        let path = format!("/v1/roles/{boss}");
        delete(&app, other, &path, 404).await;
        let path = format!("/v1/queues/{queue_id}");
        put(
            &app,
            other,
            &path,
            json!({ "name": "Mine", "member_ids": [] }),
            404,
        )
        .await;
        delete(&app, other, &path, 404).await;
    }
    // Their own role cannot go under ours, nor ours under theirs.
    let path = format!("/v1/roles/{initech_role}");
    let refused = put(
        &app,
        theirs,
        &path,
        json!({ "name": "Boss", "parent_id": rep }),
        422,
    )
    .await;
    assert_eq!(refused["field"], "parent_id");
    let path = format!("/v1/roles/{rep}");
    let refused = put(
        &app,
        key,
        &path,
        json!({ "name": "Rep", "parent_id": initech_role }),
        422,
    )
    .await;
    assert_eq!(refused["field"], "parent_id");
    assert_eq!(
        call(&app, Method::GET, "/v1/roles", key, None, 200).await,
        roles_before
    );
    assert_eq!(
        call(&app, Method::GET, "/v1/queues", key, None, 200).await,
        queues_before
    );
    let (_, kept) = get_record(&app, key, "Account", "acc-1").await;
    assert_eq!(kept["owner"], queue_id.as_str());
}

/// `PUT /v1/roles/{id}` with `body`, expecting `status`.
async fn put_role(app: &TestApp, key: &str, id: &str, body: Value, status: u16) -> Value {
    put(app, key, &format!("/v1/roles/{id}"), body, status).await
}

async fn put(app: &TestApp, key: &str, path: &str, body: Value, status: u16) -> Value {
    call(app, Method::PUT, path, key, Some(body), status).await
}

async fn delete(app: &TestApp, key: &str, path: &str, status: u16) -> Value {
    call(app, Method::DELETE, path, key, None, status).await
}

/// The org's roles, oldest first, as (name, parent id).
async fn parents(app: &TestApp, key: &str) -> Vec<(String, Value)> {
    let listed = call(app, Method::GET, "/v1/roles", key, None, 200).await;
    listed
        .as_array()
        .map(|roles| {
            roles
                .iter()
                .map(|r| {
                    (
                        r["name"].as_str().unwrap_or_default().to_string(),
                        r["parent_id"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The queue `id` as `GET /v1/queues` lists it.
async fn queue_listed(app: &TestApp, key: &str, id: &str) -> Value {
    let listed = call(app, Method::GET, "/v1/queues", key, None, 200).await;
    listed
        .as_array()
        .and_then(|q| q.iter().find(|q| q["id"] == id).cloned())
        .unwrap_or(Value::Null)
}
