//! The email pages show only the signed-in user's org: Initech's session on the URLs of Acme's
//! customised template and its sender settings sees Initech's own (the default template, no
//! sender), and what it posts there changes Initech's alone: Acme's template and sender stay.

use crate::sharing_support::call;
use crate::web_email_templates::{acme, api_template};
use crate::web_support::sign_in;
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_a_third_orgs_session_sees_only_its_own_email_templates_and_sender() {
    let app = TestApp::spawn().await;
    let acme = acme(&app).await;
    call(
        &app,
        Method::PUT,
        "/v1/email-templates/invitation",
        &acme.key,
        Some(json!({ "subject": "Acme Secret Subject", "text": "Acme secret text", "html": "<p>Acme secret html</p>" })),
        200,
    )
    .await;
    call(
        &app,
        Method::PUT,
        "/v1/email-settings",
        &acme.key,
        Some(json!({ "from_name": "Acme Secret Sender", "from_address": "secret@acme.example" })),
        200,
    )
    .await;
    let initech = app.create_org("Initech").await;
    app.create_user(&initech, "Ian Initech", "ian@initech.example")
        .await;
    let ian = sign_in(&app, "ian@initech.example", 1).await;
    let csrf = ian.get("/email-templates").await.csrf();

    for url in [
        "/email-templates",
        "/email-templates/invitation",
        "/settings/email",
    ] {
        let page = ian.get(url).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        assert!(!page.body.contains("Secret"), "{url}: {}", page.body);
        assert!(!page.body.contains("Customised"), "{url}: {}", page.body);
    }
    let posts: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "/email-templates/invitation/reset",
            vec![("csrf", csrf.as_str())],
        ),
        (
            "/email-templates/invitation",
            vec![
                ("csrf", csrf.as_str()),
                ("subject", "Initech's own"),
                ("text", "Hi"),
                ("html", "<p>Hi</p>"),
                ("action", "save"),
            ],
        ),
        (
            "/settings/email",
            vec![
                ("csrf", csrf.as_str()),
                ("from_name", "Initech"),
                ("from_address", "mail@initech.example"),
            ],
        ),
    ];
    for (url, form) in &posts {
        let page = ian.post(url, form).await;
        assert_eq!(page.status, 303, "{url}: {}", page.body);
    }

    // Acme's template and sender are as Acme left them; Initech changed only its own.
    let template = api_template(&app, &acme, "invitation").await;
    assert_eq!(template["subject"], "Acme Secret Subject");
    assert_eq!(template["customized"], true);
    let sender: Value = app
        .get("/v1/email-settings", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON settings");
    assert_eq!(sender["from_address"], "secret@acme.example");
    assert_eq!(
        api_template(&app, &initech, "invitation").await["subject"],
        "Initech's own"
    );
    app.stop().await;
}
