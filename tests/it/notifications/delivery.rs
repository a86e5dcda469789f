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
