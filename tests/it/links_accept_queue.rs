//! Accepting into a queue of users, over HTTP against real servers: the copy's owner is the
//! queue (its id, as `OwnerId`), whose members may then forward it as their own; another org's
//! queue, an unknown one, or a queue with a user or a relate is refused naming the field and
//! nothing is accepted. Queues are the org's own: another org's user cannot be a member.

use crate::links_support::{
    accept, account, forward_one, get_record, inbox_entry, link_with_status, net,
};
use crate::roles_support::{forward_as, unknown_id, user};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::json;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn links_accept_into_a_queue_makes_the_queue_the_owner() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    let initech = app.create_org("Initech").await;
    let gus = n.p.globex_owner.to_string();
    let queue = call(
        &app,
        Method::POST,
        "/v1/queues",
        n.globex(),
        Some(json!({ "name": "Partner leads", "member_ids": [gus] })),
        201,
    )
    .await;
    let queue_id = queue["id"].as_str().expect("a queue id").to_string();
    assert_eq!(queue["member_ids"], json!([gus]));
    let theirs = call(
        &app,
        Method::POST,
        "/v1/queues",
        &initech.key,
        Some(json!({ "name": "Partner leads" })),
        201,
    )
    .await;
    // Queues are the org's own: a member of another org, a taken name, a key without admin.
    let foreign = json!({ "name": "Mixed", "member_ids": [n.p.acme_owner] });
    let bad = call(
        &app,
        Method::POST,
        "/v1/queues",
        n.globex(),
        Some(foreign),
        422,
    )
    .await;
    assert_eq!(bad["field"], "member_ids[0]");
    let taken = json!({ "name": "Partner leads" });
    let bad = call(
        &app,
        Method::POST,
        "/v1/queues",
        n.globex(),
        Some(taken),
        422,
    )
    .await;
    assert_eq!(bad["field"], "name");
    let listed = call(&app, Method::GET, "/v1/queues", &initech.key, None, 200).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["id"], theirs["id"]);

    account(&app, n.acme(), "acc-1", "Initrode").await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    // Another org's queue, an unknown one, a queue with a user: refused naming the field.
    for (item, field) in [
        (
            json!({ "id": entry["id"], "assign_to_queue": theirs["id"] }),
            "items[0].assign_to_queue",
        ),
        (
            json!({ "id": entry["id"], "assign_to_queue": unknown_id() }),
            "items[0].assign_to_queue",
        ),
        (
            json!({ "id": entry["id"], "assign_to_queue": "nope" }),
            "items[0].assign_to_queue",
        ),
        (
            json!({ "id": entry["id"], "assign_to_queue": queue_id, "assign_to": gus }),
            "items[0].assign_to_queue",
        ),
        (
            json!({ "id": entry["id"], "assign_to_queue": queue_id, "relate_to": "g-1" }),
            "items[0].assign_to_queue",
        ),
    ] {
        let body = json!({ "items": [item] });
        let refused = call(
            &app,
            Method::POST,
            "/v1/sharing/inbox/accept",
            n.globex(),
            Some(body),
            422,
        )
        .await;
        assert_eq!(refused["field"], field, "{refused}");
    }
    let still = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    assert_eq!(still["state"], entry["state"]);

    let answer = accept(
        &app,
        n.globex(),
        json!([{ "id": entry["id"], "assign_to_queue": queue_id }]),
    )
    .await;
    assert_eq!(answer["results"][0]["outcome"], "accepting");
    let sent = link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let copy_id = sent["partner_record_id"]
        .as_str()
        .expect("a copy")
        .to_string();
    let (status, copy) = get_record(&app, n.globex(), "Account", &copy_id).await;
    assert_eq!(status, 200);
    assert_eq!(copy["owner"], queue_id.as_str());
    assert_eq!(copy["fields"]["OwnerId"], queue_id.as_str());

    // A member forwards the queue's record as its own; a user outside the queue may not.
    let outsider = user(
        &app,
        n.globex(),
        "out@globex.example",
        &["forward", "read"],
        None,
    )
    .await;
    let refused = forward_as(&app, n.globex(), &outsider, &n.id, &[&copy_id], true).await;
    assert_eq!(refused[0]["refusal"]["code"], "not_owner", "{refused:?}");
    let member = forward_as(&app, n.globex(), &gus, &n.id, &[&copy_id], true).await;
    assert_ne!(member[0]["refusal"]["code"], "not_owner", "{member:?}");
}
