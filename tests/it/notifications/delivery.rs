use super::publish;
use chrono::Utc;
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::{SmtpReply, eventually};
use std::time::Duration;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_server_answering_421_then_250_gets_the_email_once() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    app.smtp.script(&[SmtpReply::Unavailable421]);
    publish(
        &app,
        &acme,
        InvitationSentV1 {
            connection_id: ConnectionId::new(),
            inviter_org_name: "Acme Corp".into(),
            contact_name: "Ann".into(),
            contact_email: "ann@initech.example".into(),
            accept_url: "https://partnernet.test/invitations/accept?token=tok".into(),
            expires_at: Utc::now(),
        },
    )
    .await;
    eventually("the retried email", Duration::from_secs(20), || async {
        app.smtp
            .received_by("ann@initech.example")
            .into_iter()
            .next()
    })
    .await;
    app.wait_idle().await;
    assert_eq!(app.smtp.received_by("ann@initech.example").len(), 1);
    assert_eq!(app.smtp.data_attempts(), 2, "one refusal, one success");

    let page: Value = app
        .get("/v1/emails", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(page["items"][0]["status"], "sent");
    assert_eq!(page["items"][0]["attempts"], 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_answering_550_gets_one_attempt_and_the_failure_reaches_the_connection_history() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app
        .create_user(&acme, "Olive Owner", "olive@acme.example")
        .await;
    app.smtp.script(&[SmtpReply::Reject550]);
    let created: Value = app
        .post(
            "/v1/connections",
            Some(&acme.key),
            &json!({ "contact": { "name": "Ann", "email": "ann@initech.example" }, "owner_user_id": owner }),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let id = created["id"].as_str().expect("an id").to_string();

    let failure = eventually(
        "the failure in the history",
        Duration::from_secs(20),
        || async {
            let page: Value = app
                .get(&format!("/v1/connections/{id}/history"), Some(&acme.key))
                .await
                .json()
                .await
                .ok()?;
            page["items"]
                .as_array()?
                .iter()
                .find(|e| e["kind"] == "EmailFailed")
                .cloned()
        },
    )
    .await;
    assert!(
        failure["detail"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("550"),
        "{failure}"
    );
    app.wait_idle().await;
    assert_eq!(
        app.smtp.data_attempts(),
        1,
        "a permanent refusal is not retried"
    );
    assert!(app.smtp.received().is_empty());

    let failed: Value = app
        .get("/v1/emails?status=failed", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(failed["items"].as_array().map(Vec::len), Some(1));
    assert!(
        failed["items"][0]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("mailbox unavailable")
    );
    let bad_filter = app.get("/v1/emails?status=lost", Some(&acme.key)).await;
    assert_eq!(bad_filter.status(), 422);
    // `sending` is a status an email really has while a worker holds it: a valid filter.
    let sending: Value = app
        .get("/v1/emails?status=sending", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(sending["items"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}

/// One worker claims twelve emails at once and records them in groups while it sends: each
/// email still ends with its own outcome (sent, retried then sent, failed), sent once.
#[tokio::test(flavor = "multi_thread")]
async fn emails_claimed_together_are_each_recorded_with_their_own_outcome() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn_with(|env| {
        env.insert("EMAIL_DELIVERY_WORKERS".into(), "1".into());
    })
    .await;
    // The third email sent is refused for good; the fourth meets a 421 and is retried.
    app.smtp.script(&[
        SmtpReply::Accept,
        SmtpReply::Accept,
        SmtpReply::Reject550,
        SmtpReply::Unavailable421,
    ]);
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query(
        "INSERT INTO notification.emails (id, org_id, kind, recipient, from_header, subject, \
         text_body, html_body, source_message_id, next_attempt_at) \
         SELECT gen_random_uuid(), gen_random_uuid(), 'invitation', \
                'contact' || i || '@initech.example', 'PartnerNet <no-reply@partnernet.localhost>', \
                'Subject ' || i, 'Text', '<p>Html</p>', gen_random_uuid(), \
                now() - (100 - i) * interval '1 second' \
         FROM generate_series(1, 12) AS i",
    )
    .execute(&mut conn)
    .await
    .expect("twelve emails queued");

    let statuses = eventually("every email settled", Duration::from_secs(30), || async {
        let mut conn = app.pool().get().await.ok()?;
        let rows: Vec<(String, String, i32)> = notification::schema::emails::table
            .select((
                notification::schema::emails::recipient,
                notification::schema::emails::status,
                notification::schema::emails::attempts,
            ))
            .order(notification::schema::emails::recipient)
            .load(&mut conn)
            .await
            .ok()?;
        rows.iter()
            .all(|(_, status, _)| status == "sent" || status == "failed")
            .then_some(rows)
    })
    .await;
    let status_of = |who: &str| {
        statuses
            .iter()
            .find(|(recipient, _, _)| recipient == who)
            .map(|(_, status, attempts)| (status.as_str(), *attempts))
    };
    assert_eq!(status_of("contact3@initech.example"), Some(("failed", 1)));
    assert_eq!(status_of("contact4@initech.example"), Some(("sent", 2)));
    for i in [1, 2, 5, 6, 7, 8, 9, 10, 11, 12] {
        assert_eq!(
            status_of(&format!("contact{i}@initech.example")),
            Some(("sent", 1)),
            "contact{i}"
        );
    }
    for i in (1..=12).filter(|i| *i != 3) {
        let who = format!("contact{i}@initech.example");
        assert_eq!(app.smtp.received_by(&who).len(), 1, "{who} received once");
    }
    assert!(app.smtp.received_by("contact3@initech.example").is_empty());
    app.wait_idle().await;
    app.stop().await;
}
