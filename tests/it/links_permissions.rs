//! Who may forward a record and stop sharing it, over HTTP against real servers: the owner, a
//! user above the owner in the role hierarchy (two levels up) and an admin may; a peer or a
//! user below may not (refused with the reason, in the dry run alike, nothing sent, no copy at
//! the partner); a user forwarding several records at once needs `manage_connections`; a key
//! acts as an admin (`admin`) or an integration (`manage_connections`), else may not; a stop
//! by a non-owner is refused, by the owner's manager done. Roles are the org's own.

use crate::links_stop::stop;
use crate::links_support::{inbox, link_with_status, net, record, sharing};
use crate::roles_support::{as_user, forward_as, role, unknown_id, user};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::json;
use tests::TestApp;

const ALL_BUT_ADMIN: [&str; 5] = [
    "manage_connections",
    "forward",
    "accept",
    "read",
    "write_records",
];

#[tokio::test(flavor = "multi_thread")]
async fn links_permissions_owner_above_or_admin_forward_and_stop() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    let key = n.acme();
    // CEO > VP > Rep > Intern; Pat is Rep's peer.
    let ceo_role = role(&app, key, "CEO", None).await;
    let vp_role = role(&app, key, "VP Sales", Some(&ceo_role)).await;
    let rep_role = role(&app, key, "Rep", Some(&vp_role)).await;
    let intern_role = role(&app, key, "Intern", Some(&rep_role)).await;
    let ceo = user(
        &app,
        key,
        "ceo@acme.example",
        &ALL_BUT_ADMIN,
        Some(&ceo_role),
    )
    .await;
    let vp = user(&app, key, "vp@acme.example", &ALL_BUT_ADMIN, Some(&vp_role)).await;
    let rep = user(
        &app,
        key,
        "rep@acme.example",
        &ALL_BUT_ADMIN,
        Some(&rep_role),
    )
    .await;
    let pat = user(
        &app,
        key,
        "pat@acme.example",
        &ALL_BUT_ADMIN,
        Some(&rep_role),
    )
    .await;
    let intern = user(
        &app,
        key,
        "intern@acme.example",
        &ALL_BUT_ADMIN,
        Some(&intern_role),
    )
    .await;
    let admin = user(
        &app,
        key,
        "admin@acme.example",
        &["forward", "read", "admin"],
        None,
    )
    .await;
    for id in ["acc-1", "acc-2", "acc-3", "acc-4"] {
        record(
            &app,
            key,
            "Account",
            id,
            json!({ "Name": id, "OwnerId": rep }),
        )
        .await;
    }

    // A peer and a user below: refused with the reason, the dry run answering the same.
    for who in [&pat, &intern] {
        for dry_run in [true, false] {
            let results = forward_as(&app, key, who, &n.id, &["acc-3"], dry_run).await;
            assert_eq!(results[0]["outcome"], "refused", "{results:?}");
            assert_eq!(results[0]["refusal"]["code"], "not_owner");
            assert!(
                results[0]["refusal"]["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("neither own this record")),
                "{results:?}"
            );
        }
    }
    assert!(sharing(&app, key, "Account", "acc-3").await.is_empty());

    // The owner, a user two levels above, an admin: forwarded.
    for (who, id) in [(&rep, "acc-1"), (&ceo, "acc-2"), (&admin, "acc-4")] {
        let dry = forward_as(&app, key, who, &n.id, &[id], true).await;
        assert_eq!(dry[0]["outcome"], "would_forward", "{dry:?}");
        let sent = forward_as(&app, key, who, &n.id, &[id], false).await;
        assert_eq!(sent[0]["outcome"], "forwarded", "{sent:?}");
    }
    for id in ["acc-1", "acc-2", "acc-4"] {
        link_with_status(&app, key, "Account", id, "Active (sent)").await;
    }
    // Nothing of the refused record reached the partner: no offer, no copy.
    app.wait_idle().await;
    assert!(
        inbox(&app, n.globex())
            .await
            .iter()
            .all(|e| e["partner_record_id"] != "acc-3")
    );
    assert!(sharing(&app, key, "Account", "acc-3").await.is_empty());

    // Many at once: a user without manage_connections is refused for each record.
    let solo = user(
        &app,
        key,
        "solo@acme.example",
        &["forward", "read"],
        Some(&rep_role),
    )
    .await;
    record(
        &app,
        key,
        "Account",
        "acc-5",
        json!({ "Name": "five", "OwnerId": solo }),
    )
    .await;
    record(
        &app,
        key,
        "Account",
        "acc-6",
        json!({ "Name": "six", "OwnerId": solo }),
    )
    .await;
    for dry_run in [true, false] {
        let many = forward_as(&app, key, &solo, &n.id, &["acc-5", "acc-6"], dry_run).await;
        assert_eq!(many.len(), 2);
        for result in &many {
            assert_eq!(
                result["refusal"]["code"], "many_need_manage_connections",
                "{many:?}"
            );
        }
    }
    assert!(sharing(&app, key, "Account", "acc-5").await.is_empty());
    let one = forward_as(&app, key, &solo, &n.id, &["acc-5"], true).await;
    assert_eq!(one[0]["outcome"], "would_forward", "{one:?}");

    // Keys: only `forward` may not; `manage_connections` acts as an integration.
    let forward_only = make_key(&app, key, &["forward", "read"]).await;
    let integration = make_key(&app, key, &["forward", "manage_connections"]).await;
    let body = json!({ "records": [{ "object": "Account", "record_id": "acc-3" }], "connection_ids": [n.id], "dry_run": true });
    let refused = call(
        &app,
        Method::POST,
        "/v1/sharing/forward",
        &forward_only,
        Some(body.clone()),
        200,
    )
    .await;
    assert_eq!(refused["results"][0]["refusal"]["code"], "not_owner");
    let allowed = call(
        &app,
        Method::POST,
        "/v1/sharing/forward",
        &integration,
        Some(body),
        200,
    )
    .await;
    assert_eq!(allowed["results"][0]["outcome"], "would_forward");
    // A key acting as a user holds only the scopes both hold: the admin's key as Rep is no admin.
    let as_rep = forward_as(&app, key, &rep, &n.id, &["acc-5"], true).await;
    assert_eq!(as_rep[0]["refusal"]["code"], "not_owner");

    // Stop: a peer is refused with the reason and nothing ends; the owner's manager stops it.
    let stop_path = "/v1/sharing/records/Account/acc-1/stop";
    let stop_body = json!({ "connection_id": n.id });
    let denied = as_user(
        &app,
        key,
        &pat,
        Method::POST,
        stop_path,
        stop_body.clone(),
        403,
    )
    .await;
    assert!(
        denied["detail"]
            .as_str()
            .is_some_and(|d| d.contains("neither own this record")),
        "{denied}"
    );
    assert_eq!(
        sharing(&app, key, "Account", "acc-1").await[0]["status"],
        "Active (sent)"
    );
    stop(&app, &forward_only, "Account", "acc-1", &n.id, 403).await;
    let stopped = as_user(&app, key, &vp, Method::POST, stop_path, stop_body, 200).await;
    assert_eq!(stopped["ended"][0]["status"], "Inactive");
}

#[tokio::test(flavor = "multi_thread")]
async fn links_permissions_roles_are_the_orgs_own() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    let key = n.acme();
    let boss = role(&app, key, "Boss", None).await;
    let rep = user(&app, key, "rep@acme.example", &["read"], None).await;
    let initech = app.create_org("Initech").await;
    let theirs = role(&app, &initech.key, "Boss", None).await;

    // Bad input names the field; another org's role or user is unknown here.
    let taken = call(
        &app,
        Method::POST,
        "/v1/roles",
        key,
        Some(json!({ "name": "Boss" })),
        422,
    )
    .await;
    assert_eq!(taken["field"], "name");
    let foreign = json!({ "name": "Under", "parent_id": theirs });
    let refused = call(&app, Method::POST, "/v1/roles", key, Some(foreign), 422).await;
    assert_eq!(refused["field"], "parent_id");
    let path = format!("/v1/users/{rep}/role");
    let wrong = call(
        &app,
        Method::PUT,
        &path,
        key,
        Some(json!({ "role_id": theirs })),
        422,
    )
    .await;
    assert_eq!(wrong["field"], "role_id");
    call(
        &app,
        Method::PUT,
        &path,
        &initech.key,
        Some(json!({ "role_id": theirs })),
        404,
    )
    .await;
    call(
        &app,
        Method::PUT,
        &format!("/v1/users/{}/role", unknown_id()),
        key,
        Some(json!({ "role_id": boss })),
        404,
    )
    .await;
    // Only admin changes roles.
    let reader = make_key(&app, key, &["read"]).await;
    call(
        &app,
        Method::POST,
        "/v1/roles",
        &reader,
        Some(json!({ "name": "X" })),
        403,
    )
    .await;
    call(
        &app,
        Method::PUT,
        &path,
        &reader,
        Some(json!({ "role_id": boss })),
        403,
    )
    .await;
    // Each org lists its own roles only; the user has no role yet.
    let mine = call(&app, Method::GET, "/v1/roles", key, None, 200).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    assert_eq!(mine[0]["id"], boss.as_str());
    let users = call(&app, Method::GET, "/v1/users", key, None, 200).await;
    let row = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["id"] == rep.as_str()).cloned());
    assert_eq!(
        row.map(|r| r["role_id"].clone()),
        Some(serde_json::Value::Null)
    );

    // A key cannot act as another org's user, nor as an unknown one.
    let body =
        json!({ "records": [{ "object": "Account", "record_id": "x" }], "connection_ids": [n.id] });
    let initech_user = user(&app, &initech.key, "ian@initech.example", &["read"], None).await;
    for who in [initech_user, unknown_id(), "not-a-uuid".to_string()] {
        let bad = as_user(
            &app,
            key,
            &who,
            Method::POST,
            "/v1/sharing/forward",
            body.clone(),
            422,
        )
        .await;
        assert_eq!(bad["field"], "x-act-as-user");
    }
}

/// A key of the org with `scopes`.
async fn make_key(app: &TestApp, key: &str, scopes: &[&str]) -> String {
    let made = call(
        app,
        Method::POST,
        "/v1/api-keys",
        key,
        Some(json!({ "name": scopes.join("+"), "scopes": scopes })),
        201,
    )
    .await;
    made["key"].as_str().expect("a key").to_string()
}
