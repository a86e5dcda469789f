//! The connection lifecycle over HTTP: claim, answer, resend, cancel, deactivate, with the
//! events they publish, concurrency, bulk invites and isolation between orgs.

use crate::connections_support::{history_kinds, invite, outbox_rows, pair, status_of};
use serde_json::{Value, json};
use shared::testing::eventually;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::events;

#[tokio::test(flavor = "multi_thread")]
async fn connections_are_claimed_accepted_and_deactivated_each_side_seeing_its_status() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let seen = Arc::new(events::Seen::default());
    let (probe, probe_task) = events::start(&app, seen.clone()).await;
    let (id, token) = invite(&app, &p, "gina@globex.example").await;

    let claimed = app
        .post(
            "/v1/invitations/claim",
            Some(&p.globex.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(claimed.status(), 200);
    let claimed: Value = claimed.json().await.expect("JSON");
    assert_eq!(claimed["status"], "Received");
    assert_eq!(claimed["partner_org_id"], p.globex.id.to_string());
    assert_eq!(status_of(&app, &p.acme.key, &id).await, "Sent");

    // Single use.
    let again = app
        .post(
            "/v1/invitations/claim",
            Some(&p.globex.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(again.status(), 410);
    let problem: Value = again.json().await.expect("JSON");
    assert_eq!(problem["field"], "token");

    // Only the invitee answers; the inviter gets 409 with the status it sees.
    let wrong_side = app
        .post(
            &format!("/v1/connections/{id}/accept"),
            Some(&p.acme.key),
            &json!({}),
        )
        .await;
    assert_eq!(wrong_side.status(), 409);
    assert_eq!(
        wrong_side.json::<Value>().await.expect("JSON")["current_status"],
        "Sent"
    );

    let later = app
        .post(
            &format!("/v1/connections/{id}/decide-later"),
            Some(&p.globex.key),
            &json!({}),
        )
        .await;
    assert_eq!(later.status(), 200);
    assert_eq!(status_of(&app, &p.globex.key, &id).await, "Pending");
    assert_eq!(status_of(&app, &p.acme.key, &id).await, "Sent");

    let accepted = app
        .post(
            &format!("/v1/connections/{id}/accept"),
            Some(&p.globex.key),
            &json!({ "owner_user_id": p.globex_owner }),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    let accepted: Value = accepted.json().await.expect("JSON");
    assert_eq!(accepted["status"], "Accepted");
    assert_eq!(accepted["owner_user_id"], p.globex_owner.to_string());
    assert!(accepted["response_date"].is_string());
    assert_eq!(status_of(&app, &p.acme.key, &id).await, "Accepted");

    let resend = app
        .post(
            &format!("/v1/connections/{id}/resend"),
            Some(&p.acme.key),
            &json!({}),
        )
        .await;
    assert_eq!(resend.status(), 409);
    assert_eq!(
        resend.json::<Value>().await.expect("JSON")["current_status"],
        "Accepted"
    );

    let deactivated = app
        .post(
            &format!("/v1/connections/{id}/deactivate"),
            Some(&p.globex.key),
            &json!({}),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_eq!(status_of(&app, &p.acme.key, &id).await, "Inactive");

    app.wait_idle().await;
    assert_eq!(outbox_rows(&app).await, 0, "every event was published");
    let published = eventually("the events", Duration::from_secs(20), || async {
        let kinds = seen.kinds();
        (kinds.len() >= 2).then_some(kinds)
    })
    .await;
    assert_eq!(
        published,
        ["connection.invitation_accepted", "connection.deactivated"]
    );
    let kinds: Vec<String> = history_kinds(&app, &p.acme.key, &id)
        .await
        .into_iter()
        .filter(|(k, _)| k == "StatusChanged")
        .map(|(_, s)| s)
        .collect();
    assert_eq!(
        kinds,
        [
            "Invitation sent to Gina",
            "Invitation claimed by Globex",
            "Globex will decide later",
            "Invitation accepted by Globex",
            "Connection deactivated by Globex",
        ]
    );

    let mine: Value = app
        .get("/v1/connections?status=Inactive", Some(&p.globex.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let none: Value = app
        .get("/v1/connections?status=Sent", Some(&p.globex.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(none.as_array().map(Vec::len), Some(0));
    probe.cancel();
    let _ = probe_task.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_resent_or_cancelled_invitations_revoke_the_old_token() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let seen = Arc::new(events::Seen::default());
    let (probe, probe_task) = events::start(&app, seen.clone()).await;
    let (id, first) = invite(&app, &p, "gina@globex.example").await;

    let resent = app
        .post(
            &format!("/v1/connections/{id}/resend"),
            Some(&p.acme.key),
            &json!({}),
        )
        .await;
    assert_eq!(resent.status(), 200);
    let old = app
        .post(
            "/v1/invitations/claim",
            Some(&p.globex.key),
            &json!({ "token": first }),
        )
        .await;
    assert_eq!(old.status(), 410);
    assert_eq!(old.json::<Value>().await.expect("JSON")["field"], "token");

    let cancelled = app
        .post(
            &format!("/v1/connections/{id}/cancel"),
            Some(&p.acme.key),
            &json!({}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(status_of(&app, &p.acme.key, &id).await, "Cancelled");
    let twice = app
        .post(
            &format!("/v1/connections/{id}/cancel"),
            Some(&p.acme.key),
            &json!({}),
        )
        .await;
    assert_eq!(twice.status(), 409);

    // A second invitation, declined.
    let (other, token) = invite(&app, &p, "gail@globex.example").await;
    app.post(
        "/v1/invitations/claim",
        Some(&p.globex.key),
        &json!({ "token": token }),
    )
    .await;
    let declined = app
        .post(
            &format!("/v1/connections/{other}/decline"),
            Some(&p.globex.key),
            &json!({}),
        )
        .await;
    assert_eq!(declined.status(), 200);
    assert_eq!(status_of(&app, &p.acme.key, &other).await, "Rejected");

    let unknown = app
        .post(
            "/v1/invitations/claim",
            Some(&p.globex.key),
            &json!({ "token": "nope" }),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(
        unknown.json::<Value>().await.expect("JSON")["field"],
        "token"
    );

    app.wait_idle().await;
    assert_eq!(outbox_rows(&app).await, 0);
    let summaries: Vec<String> = history_kinds(&app, &p.acme.key, &id)
        .await
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert!(summaries.contains(&"Invitation sent again by Acme Corp".to_string()));
    assert!(summaries.contains(&"Invitation cancelled by Acme Corp".to_string()));
    let mut published = eventually("the events", Duration::from_secs(20), || async {
        let kinds = seen.kinds();
        (kinds.len() >= 3).then_some(kinds)
    })
    .await;
    published.sort();
    assert_eq!(
        published,
        [
            "connection.invitation_cancelled",
            "connection.invitation_declined",
            "connection.invitation_resent"
        ]
    );
    probe.cancel();
    let _ = probe_task.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_concurrent_claims_and_accepts_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let seen = Arc::new(events::Seen::default());
    let (probe, probe_task) = events::start(&app, seen.clone()).await;
    let initech = app.create_org("Initech").await;
    let (id, token) = invite(&app, &p, "gina@globex.example").await;

    let body = json!({ "token": token });
    let (a, b) = tokio::join!(
        app.post("/v1/invitations/claim", Some(&p.globex.key), &body),
        app.post("/v1/invitations/claim", Some(&initech.key), &body),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 410], "exactly one claim wins");
    let winner = if a.status() == 200 {
        &p.globex
    } else {
        &initech
    };

    let path = format!("/v1/connections/{id}/accept");
    let empty = json!({});
    let (a, b) = tokio::join!(
        app.post(&path, Some(&winner.key), &empty),
        app.post(&path, Some(&winner.key), &empty),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "exactly one accept wins");
    let accepted = history_kinds(&app, &p.acme.key, &id)
        .await
        .into_iter()
        .filter(|(_, s)| s.starts_with("Invitation accepted"))
        .count();
    assert_eq!(accepted, 1);
    probe.cancel();
    let _ = probe_task.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_bulk_invite_creates_the_valid_ones_and_reports_the_others() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let response = app
        .post(
            "/v1/connections/bulk",
            Some(&p.acme.key),
            &json!({
                "owner_user_id": p.acme_owner,
                "contacts": [
                    { "name": "Ann", "email": "ann@initech.example" },
                    { "name": "Bob", "email": "not-an-address" },
                    { "name": "Cid", "email": "cid@umbrella.example" },
                ]
            }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    let results = body["results"].as_array().expect("results");
    let statuses: Vec<&str> = results
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(statuses, ["created", "rejected", "created"]);
    assert_eq!(results[1]["error"]["field"], "contacts[1].email");
    for address in ["ann@initech.example", "cid@umbrella.example"] {
        eventually("an invitation email", Duration::from_secs(20), || async {
            app.smtp.received_by(address).into_iter().next()
        })
        .await;
    }
    let listed: Value = app
        .get("/v1/connections", Some(&p.acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_of_another_org_are_not_found_on_every_route_and_stay_unchanged() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let (id, token) = invite(&app, &p, "gina@globex.example").await;
    app.post(
        "/v1/invitations/claim",
        Some(&p.globex.key),
        &json!({ "token": token }),
    )
    .await;
    let stranger = app.create_org("Umbrella").await;
    app.wait_idle().await;
    let before: Value = app
        .get(&format!("/v1/connections/{id}"), Some(&p.acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    let history_before = history_kinds(&app, &p.acme.key, &id).await;

    let base = format!("/v1/connections/{id}");
    let gets = [
        base.clone(),
        format!("{base}/history"),
        format!("{base}/history.csv"),
    ];
    for path in &gets {
        let response = app.get(path, Some(&stranger.key)).await;
        assert_eq!(response.status(), 404, "GET {path}");
    }
    for action in [
        "accept",
        "decline",
        "decide-later",
        "resend",
        "cancel",
        "deactivate",
    ] {
        let path = format!("{base}/{action}");
        let response = app.post(&path, Some(&stranger.key), &json!({})).await;
        assert_eq!(response.status(), 404, "POST {path}");
    }
    let patched = app
        .patch(&base, &stranger.key, &json!({ "account": "Hijacked" }))
        .await;
    assert_eq!(patched.status(), 404, "PATCH {base}");
    let claimed_again = app
        .post(
            "/v1/invitations/claim",
            Some(&stranger.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(claimed_again.status(), 410, "a used token stays used");
    let listed: Value = app
        .get("/v1/connections", Some(&stranger.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed, json!([]));

    let after: Value = app
        .get(&format!("/v1/connections/{id}"), Some(&p.acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(before, after, "nothing changed");
    assert_eq!(history_before, history_kinds(&app, &p.acme.key, &id).await);
    app.stop().await;
}
