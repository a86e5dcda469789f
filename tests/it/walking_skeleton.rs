use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::email::decode;

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_sent_over_http_arrives_by_email_and_is_recorded_in_the_history() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app
        .create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;

    let response = app
        .post(
            "/v1/connections",
            Some(&acme.key),
            &json!({
                "contact": { "name": "Ann Smith", "email": "ann@initech.example" },
                "account": "Initech",
                "owner_user_id": owner
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let connection: Value = response.json().await.expect("JSON");
    assert_eq!(connection["status"], "Sent");
    assert_eq!(connection["contact"]["email"], "ann@initech.example");
    let id = connection["id"].as_str().expect("an id").to_string();

    let received = eventually("the invitation email", Duration::from_secs(20), || async {
        app.smtp
            .received_by("ann@initech.example")
            .into_iter()
            .next()
    })
    .await;
    let email = decode(&received);
    assert_eq!(
        email.subject,
        "Acme Corp invites you to connect on PartnerNet"
    );
    assert_eq!(
        email.from,
        "\"Acme Corp via PartnerNet\" <no-reply@partnernet.localhost>"
    );
    assert!(email.text.starts_with("Hello Ann Smith,"));
    let link = email
        .text
        .lines()
        .find(|l| l.starts_with("https://partnernet.test/invitations/accept?token="))
        .expect("the accept link in the text part")
        .to_string();
    assert!(
        email.html.contains(&format!("href=\"{link}\"")),
        "the HTML part links to the same place"
    );
    let token = link.rsplit('=').next().expect("a token");
    assert_eq!(token.len(), 43);
    assert!(email.message_id.ends_with("@partnernet>"));

    // The token is stored only as its hash.
    let mut conn = app.pool().get().await.expect("a connection");
    let stored: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT count(*) AS n FROM invitation.tokens WHERE token_hash = sha256($1::bytea)",
        )
        .bind::<diesel::sql_types::Text, _>(token),
        &mut conn,
    )
    .await
    .map(|row: shared::db::CountRow| row.n)
    .expect("token lookup");
    assert_eq!(stored, 1);

    let history = eventually(
        "the sent email in the history",
        Duration::from_secs(20),
        || async {
            let page: Value = app
                .get(&format!("/v1/connections/{id}/history"), Some(&acme.key))
                .await
                .json()
                .await
                .ok()?;
            let items = page["items"].as_array()?.clone();
            (items.len() == 2).then_some(items)
        },
    )
    .await;
    assert_eq!(history[0]["kind"], "StatusChanged");
    assert_eq!(history[1]["kind"], "EmailSent");
    assert_eq!(history[1]["detail"]["recipient"], "ann@initech.example");
    assert_eq!(history[1]["detail"]["subject"], email.subject);

    // The operational routes.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    assert_eq!(app.get("/readyz", None).await.status(), 200);
    let metrics = app
        .get("/metrics", None)
        .await
        .text()
        .await
        .expect("metrics text");
    assert!(
        metrics.contains("partnernet_messages_handled_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("partnernet_emails_sent_total"),
        "{metrics}"
    );

    app.stop().await;
}
