//! The record pages over HTTP against real servers: a record's page (External Sharing), the
//! forward form's dry run then confirm, stopping the sharing, and the inbox (accept assigned or
//! related, reject), each with its errors shown in words.

use crate::links_support::{
    account, forward_one, inbox, inbox_entry, link_with_status, net, record, sharing,
};
use crate::web_support::sign_in;
use serde_json::json;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_records_forward_shows_the_dry_run_then_forwards_and_stops() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    record(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode", "Rating": "Hot", "OwnerId": n.p.acme_owner }),
    )
    .await;
    record(
        &app,
        n.acme(),
        "Contact",
        "con-1",
        json!({ "LastName": "Lee", "OwnerId": n.p.acme_owner }),
    )
    .await;
    // Olga (no admin, no role) does not own this one.
    account(&app, n.acme(), "acc-2", "Someone else's").await;
    let olga = sign_in(&app, "olga@acme.example", 1).await;
    let page = olga.get("/records/Account/acc-1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Not shared with any connection."));
    assert!(page.body.contains(&format!("id=\"forward-to-{}\"", n.id)));
    assert!(
        page.body
            .contains("href=\"/records/inbox\" id=\"nav-inbox\"")
    );
    let csrf = page.csrf();

    // No connection chosen: the API's error in words, naming the field.
    let none = olga
        .post(
            "/records/Account/acc-1/forward",
            &[("csrf", &csrf), ("step", "dry_run")],
        )
        .await;
    assert_eq!(none.status, 422, "{}", none.body);
    assert!(
        none.body
            .contains("the connection ids must hold 1 to 20 connections")
    );

    // The dry run: what would be sent, as what, and a confirm button; nothing is sent.
    let dry = olga
        .post(
            "/records/Account/acc-1/forward",
            &[
                ("csrf", &csrf),
                ("step", "dry_run"),
                ("connection_id", &n.id),
            ],
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert!(dry.body.contains("A dry run: nothing has been sent yet."));
    assert!(
        dry.body
            .contains("would be sent, arriving as their Account")
    );
    assert!(
        dry.body.contains("<dt>Rating</dt><dd>Warm</dd>"),
        "{}",
        dry.body
    );
    assert!(dry.body.contains("id=\"confirm-forward\""));
    assert!(sharing(&app, n.acme(), "Account", "acc-1").await.is_empty());
    assert!(inbox(&app, n.globex()).await.is_empty());

    // What blocks a record is said, and there is nothing to confirm.
    let blocked = olga
        .post(
            "/records/Contact/con-1/forward",
            &[
                ("csrf", &csrf),
                ("step", "dry_run"),
                ("connection_id", &n.id),
            ],
        )
        .await;
    assert_eq!(blocked.status, 200, "{}", blocked.body);
    assert!(blocked.body.contains("blocked: "), "{}", blocked.body);
    assert!(blocked.body.contains("id=\"nothing-to-send\""));
    assert!(!blocked.body.contains("id=\"confirm-forward\""));

    // Confirmed: forwarded, Pending (sent) on the record's page.
    let sent = olga
        .post(
            "/records/Account/acc-1/forward",
            &[
                ("csrf", &csrf),
                ("step", "confirm"),
                ("connection_id", &n.id),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Forwarded: 1 record(s) sent."));
    inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let page = olga.get("/records/Account/acc-1").await;
    assert!(page.body.contains("Pending (sent)"), "{}", page.body);
    assert!(page.body.contains("Globex"));

    // Stop sharing: a confirmation first, then the link ends and the offer is withdrawn.
    let stop_path = format!("/records/Account/acc-1/stop?connection_id={}", n.id);
    let ask = olga.get(&stop_path).await;
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(ask.body.contains("Stop sharing Account acc-1 with Globex?"));
    let stopped = olga
        .post(
            "/records/Account/acc-1/stop",
            &[("csrf", &csrf), ("connection_id", &n.id)],
        )
        .await;
    assert_eq!(stopped.status, 303, "{}", stopped.body);
    assert_eq!(
        stopped.location.as_deref(),
        Some("/records/Account/acc-1?done=stopped")
    );
    let page = olga.get("/records/Account/acc-1?done=stopped").await;
    assert!(page.body.contains("Sharing stopped"));
    assert!(page.body.contains(">Inactive<"), "{}", page.body);
    // Stopping again: the API's conflict in words; the ended link offers no stop.
    let again = olga
        .post(
            "/records/Account/acc-1/stop",
            &[("csrf", &csrf), ("connection_id", &n.id)],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("no longer shared on that connection"));
    assert_eq!(olga.get(&stop_path).await.status, 404);

    // A record she neither owns nor is above the owner of: the refusal in words, on the dry
    // run and on a stop (the org's admin key forwarded it).
    let not_hers = olga
        .post(
            "/records/Account/acc-2/forward",
            &[
                ("csrf", &csrf),
                ("step", "dry_run"),
                ("connection_id", &n.id),
            ],
        )
        .await;
    assert_eq!(not_hers.status, 200, "{}", not_hers.body);
    assert!(
        not_hers.body.contains("neither own this record"),
        "{}",
        not_hers.body
    );
    assert!(!not_hers.body.contains("id=\"confirm-forward\""));
    forward_one(&app, n.acme(), &n.id, "Account", "acc-2").await;
    let refused = olga
        .post(
            "/records/Account/acc-2/stop",
            &[("csrf", &csrf), ("connection_id", &n.id)],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("neither own this record"),
        "{}",
        refused.body
    );
    assert_eq!(
        sharing(&app, n.acme(), "Account", "acc-2").await[0]["status"],
        "Pending (sent)"
    );

    // A record the org does not have: a "not found" page.
    assert_eq!(olga.get("/records/Account/nope").await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn web_records_inbox_accepts_assigned_or_related_and_rejects() {
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
    account(&app, n.acme(), "acc-2", "Umbrella").await;
    account(&app, n.acme(), "acc-3", "Hooli").await;
    account(&app, n.acme(), "acc-4", "Stark").await;
    account(&app, n.globex(), "g-2", "Umbrella (ours)").await;
    let desk = crate::sharing_support::call(
        &app,
        reqwest::Method::POST,
        "/v1/queues",
        n.globex(),
        Some(json!({ "name": "Partner desk", "member_ids": [n.p.globex_owner] })),
        201,
    )
    .await;
    let desk = desk["id"].as_str().expect("a queue id").to_string();
    for id in ["acc-1", "acc-2", "acc-3", "acc-4"] {
        assert_eq!(
            forward_one(&app, n.acme(), &n.id, "Account", id).await["outcome"],
            "forwarded"
        );
    }
    let e1 = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let e2 = inbox_entry(&app, n.globex(), "acc-2", |_| true).await;
    let e3 = inbox_entry(&app, n.globex(), "acc-3", |_| true).await;
    let e4 = inbox_entry(&app, n.globex(), "acc-4", |_| true).await;
    let (id1, id2, id3, id4) = (
        e1["id"].as_str().expect("an id").to_string(),
        e2["id"].as_str().expect("an id").to_string(),
        e3["id"].as_str().expect("an id").to_string(),
        e4["id"].as_str().expect("an id").to_string(),
    );

    let gus = sign_in(&app, "gus@globex.example", 1).await;
    let page = gus.get("/records/inbox").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for name in ["Initrode", "Umbrella", "Hooli", "Acme Corp"] {
        assert!(page.body.contains(name), "{name}");
    }
    // What would be created: the mapped fields (Hot arrives as Warm).
    assert!(page.body.contains("<dt>Rating</dt><dd>Warm</dd>"));
    // The org's queues can be chosen as the assignee too.
    let desk_option = format!("queue:{desk}");
    assert!(
        page.body.contains(&format!(
            "<option value=\"{desk_option}\">Queue: Partner desk</option>"
        )),
        "{}",
        page.body
    );
    let csrf = page.csrf();

    let nothing = gus
        .post("/records/inbox", &[("csrf", &csrf), ("action", "accept")])
        .await;
    assert_eq!(nothing.status, 422);
    assert!(nothing.body.contains("Choose at least one record"));

    // An assignee who is not Globex's: refused for the whole request, naming the record.
    let acme_owner = n.p.acme_owner.to_string();
    let wrong = gus
        .post(
            "/records/inbox",
            &[
                ("csrf", &csrf),
                ("action", "accept"),
                ("id", &id1),
                (&format!("assign_to_{id1}"), &acme_owner),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        wrong
            .body
            .contains("Initrode: A field is invalid: the items[0] assign to is not an active user"),
        "{}",
        wrong.body
    );
    assert_eq!(inbox(&app, n.globex()).await.len(), 4);

    // Accept one assigned to Gus and one related to Globex's own record; reject the third.
    let globex_owner = n.p.globex_owner.to_string();
    let accepted = gus
        .post(
            "/records/inbox",
            &[
                ("csrf", &csrf),
                ("action", "accept"),
                ("id", &id1),
                (&format!("assign_to_{id1}"), &globex_owner),
                ("id", &id2),
                (&format!("relate_to_{id2}"), "g-2"),
                ("id", &id4),
                (&format!("assign_to_{id4}"), &desk_option),
            ],
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(
        accepted
            .body
            .contains("Initrode: accepted: the copy is being made")
    );
    assert!(accepted.body.contains("Umbrella: accepted"));
    let rejected = gus
        .post(
            "/records/inbox",
            &[("csrf", &csrf), ("action", "reject"), ("id", &id3)],
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert!(
        rejected
            .body
            .contains("Hooli: rejected: the partner is told")
    );

    // The outcomes on both sides.
    let sent = link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    assert_eq!(sent["partner_record_id"], id1.as_str());
    let related = link_with_status(&app, n.acme(), "Account", "acc-2", "Active (sent)").await;
    assert_eq!(related["partner_record_id"], "g-2");
    link_with_status(&app, n.acme(), "Account", "acc-3", "Inactive").await;
    link_with_status(&app, n.acme(), "Account", "acc-4", "Active (sent)").await;
    let (_, queued) = crate::links_support::get_record(&app, n.globex(), "Account", &id4).await;
    assert_eq!(queued["owner"], desk.as_str());
    let copy = gus.get(&format!("/records/Account/{id1}")).await;
    assert_eq!(copy.status, 200, "{}", copy.body);
    assert!(copy.body.contains("Active (received)"));
    assert!(copy.body.contains("Acme Corp"));
    let (status, body) = crate::links_support::get_record(&app, n.globex(), "Account", &id1).await;
    assert_eq!(status, 200);
    assert_eq!(body["owner"], globex_owner.as_str());
}
