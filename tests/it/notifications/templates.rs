use super::publish;
use chrono::Utc;
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::eventually;
use std::time::Duration;
use tests::email::decode;
use tests::{TestApp, TestOrg};

fn invitation(org_name: &str, contact_email: &str) -> InvitationSentV1 {
    InvitationSentV1 {
        connection_id: ConnectionId::new(),
        inviter_org_name: org_name.into(),
        contact_name: "Ann".into(),
        contact_email: contact_email.into(),
        accept_url: "https://partnernet.test/invitations/accept?token=tok".into(),
        expires_at: Utc::now(),
    }
}

async fn put_template(app: &TestApp, org: &TestOrg, kind: &str, body: &Value) -> reqwest::Response {
    app.http
        .put(format!("{}/v1/email-templates/{kind}", app.base_url))
        .bearer_auth(&org.key)
        .json(body)
        .send()
        .await
        .expect("answered")
}

async fn first_email(app: &TestApp, address: &str) -> tests::email::Email {
    let received = eventually("the email", Duration::from_secs(20), || async {
        app.smtp.received_by(address).into_iter().next()
    })
    .await;
    decode(&received)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_template_replaces_the_default_for_that_org_only_and_a_broken_one_is_refused() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;

    let custom = json!({
        "subject": "Join {{ inviter_org_name }}'s partner network",
        "text": "Hi {{ contact_name }}, accept here: {{ accept_url }}",
        "html": "{% extends \"base.html\" %}{% block content %}<p>Hi {{ contact_name }}, <a href=\"{{ accept_url }}\">accept</a></p>{% endblock %}"
    });
    let saved = put_template(&app, &acme, "invitation", &custom).await;
    assert_eq!(saved.status(), 200);

    let unknown_variable = json!({ "subject": "Hi", "text": "Hi {{ contact_name }}\nyour code is {{ secret_code }}", "html": "<p>Hi</p>" });
    let refused = put_template(&app, &acme, "invitation", &unknown_variable).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["field"], "text");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("line 2: unknown variable `secret_code`"),
        "{problem}"
    );
    assert_eq!(
        (problem["line"].clone(), problem["column"].clone()),
        (json!(2), json!(17))
    );

    let broken = json!({ "subject": "Hi", "text": "Hi", "html": "<p>\n{% for x in %}\n</p>" });
    let refused = put_template(&app, &acme, "invitation", &broken).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["field"], "html");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("line 2: syntax error"),
        "{problem}"
    );
    assert_eq!(problem["line"], 2, "{problem}");
    assert!(
        problem["column"].as_u64().is_some_and(|c| c > 1),
        "{problem}"
    );

    // The refused saves changed nothing: the custom template is still in force.
    let current: Value = app
        .get("/v1/email-templates/invitation", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(current["customized"], true);
    assert_eq!(current["subject"], custom["subject"]);

    let preview: Value = app
        .post(
            "/v1/email-templates/invitation/preview",
            Some(&acme.key),
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(preview["subject"], "Join Acme Corp's partner network");

    publish(&app, &acme, invitation("Acme Corp", "ann@initech.example")).await;
    publish(&app, &globex, invitation("Globex", "ann@hooli.example")).await;
    let custom_email = first_email(&app, "ann@initech.example").await;
    assert_eq!(custom_email.subject, "Join Acme Corp's partner network");
    assert_eq!(
        custom_email.text,
        "Hi Ann, accept here: https://partnernet.test/invitations/accept?token=tok"
    );
    let default_email = first_email(&app, "ann@hooli.example").await;
    assert_eq!(
        default_email.subject,
        "Globex invites you to connect on PartnerNet"
    );

    let reset = app
        .http
        .delete(format!("{}/v1/email-templates/invitation", app.base_url))
        .bearer_auth(&acme.key)
        .send()
        .await
        .expect("answered");
    assert_eq!(reset.status(), 204);
    let current: Value = app
        .get("/v1/email-templates/invitation", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(current["customized"], false);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn values_with_markup_or_header_breaks_come_out_escaped_and_add_no_header() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let mut event = invitation(
        "<script>alert(1)</script>\r\nBcc: evil@example.com",
        "ann@initech.example",
    );
    event.contact_name = "Ann\r\nBcc: evil@example.com".into();
    publish(&app, &acme, event).await;

    let received = eventually("the email", Duration::from_secs(20), || async {
        app.smtp
            .received_by("ann@initech.example")
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(
        received.rcpt_to,
        vec!["ann@initech.example".to_string()],
        "no extra recipient"
    );
    let email = decode(&received);
    assert!(
        !email
            .header_names
            .iter()
            .any(|h| h.eq_ignore_ascii_case("bcc")),
        "{:?}",
        email.header_names
    );
    assert_eq!(
        email.subject,
        "<script>alert(1)</script> Bcc: evil@example.com invites you to connect on PartnerNet"
    );
    assert!(email.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!email.html.contains("<script>"));
    app.wait_idle().await;
    assert!(app.smtp.received_by("evil@example.com").is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_that_saved_no_email_settings_sends_under_its_own_name_via_partnernet() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let settings: Value = app
        .get("/v1/email-settings", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(settings["from_name"], Value::Null, "nothing saved yet");
    assert_eq!(settings["from_address"], Value::Null, "nothing saved yet");
    assert!(
        settings["effective_from"]
            .as_str()
            .unwrap_or_default()
            .contains("Acme Corp via PartnerNet"),
        "{settings}"
    );

    publish(
        &app,
        &acme,
        invitation("Acme Corp", "first@initech.example"),
    )
    .await;
    let email = first_email(&app, "first@initech.example").await;
    // As sent on the wire: lettre quotes display names with spaces.
    assert_eq!(
        email.from,
        "\"Acme Corp via PartnerNet\" <no-reply@partnernet.localhost>"
    );
    assert_eq!(email.reply_to, None);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_sender_is_used_as_from_only_once_its_domain_is_verified() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let settings = app
        .http
        .put(format!("{}/v1/email-settings", app.base_url))
        .bearer_auth(&acme.key)
        .json(&json!({ "from_name": "Acme Partnerships", "from_address": "partners@acme.example" }))
        .send()
        .await
        .expect("answered");
    assert_eq!(settings.status(), 200);
    let view: Value = settings.json().await.expect("JSON");
    assert_eq!(view["domain_verified"], false);

    publish(
        &app,
        &acme,
        invitation("Acme Corp", "first@initech.example"),
    )
    .await;
    let unverified = first_email(&app, "first@initech.example").await;
    // As sent on the wire: lettre quotes display names with spaces.
    assert_eq!(
        unverified.from,
        "\"Acme Partnerships via PartnerNet\" <no-reply@partnernet.localhost>"
    );
    assert_eq!(
        unverified.reply_to.as_deref(),
        Some("\"Acme Partnerships\" <partners@acme.example>")
    );

    let mut conn = app.pool().get().await.expect("a connection");
    notification::sender::verify_domain(&mut conn, acme.id, "acme.example")
        .await
        .expect("verified");
    publish(
        &app,
        &acme,
        invitation("Acme Corp", "second@initech.example"),
    )
    .await;
    let verified = first_email(&app, "second@initech.example").await;
    assert_eq!(
        verified.from,
        "\"Acme Partnerships\" <partners@acme.example>"
    );
    assert_eq!(verified.reply_to, None);
    app.stop().await;
}
