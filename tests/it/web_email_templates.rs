//! The email pages over HTTP: the list of kinds (default or customised); a template saved with an
//! unknown variable refused with the error at its part and line and the typed text kept, then
//! fixed and saved; the preview showing markup as text (the HTML only inside a sandboxed
//! `srcdoc`), also as the fragment the page's script fetches; reset to the default; sender
//! settings saved and a bad address refused naming the field. Without the CSRF field a POST is
//! refused, without a session a page redirects to sign-in, and a user without
//! `manage_connections` sees a 403 page.

use crate::web_support::{WebClient, sign_in};
use serde_json::{Value, json};
use tests::{TestApp, TestOrg};

/// Acme Corp with Olga, who may manage connections (and so templates).
pub async fn acme(app: &TestApp) -> TestOrg {
    let acme = app.create_org("Acme Corp").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    acme
}

/// The org's template of `kind` over the API.
pub async fn api_template(app: &TestApp, org: &TestOrg, kind: &str) -> Value {
    let response = app
        .get(&format!("/v1/email-templates/{kind}"), Some(&org.key))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("a JSON template")
}

const BROKEN: &str = "Hello {{ contact_name }},\n\nYour code: {{ secret_code }}\n";
const FIXED: &str = "Hello {{ contact_name }},\n\nWelcome aboard.\n";

fn fields<'a>(
    csrf: &'a str,
    subject: &'a str,
    text: &'a str,
    html: &'a str,
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("subject", subject),
        ("text", text),
        ("html", html),
        ("action", action),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn web_email_templates_are_listed_edited_with_errors_at_the_line_and_previewed_safely() {
    let app = TestApp::spawn().await;
    let acme = acme(&app).await;

    let visitor = WebClient::new(&app);
    let away = visitor.get("/email-templates/invitation").await;
    assert_eq!(away.status, 303);
    assert_eq!(
        away.location.as_deref(),
        Some("/sign-in?next=%2Femail-templates%2Finvitation")
    );

    let olga = sign_in(&app, "olga@acme.example", 1).await;
    let list = olga.get("/email-templates").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("id=\"nav-email\""), "{}", list.body);
    assert!(list.body.contains("href=\"/email-templates/sign_in_link\""));
    assert!(list.body.contains("Invites a contact to connect"));
    assert!(!list.body.contains("Customised"), "{}", list.body);

    let path = "/email-templates/invitation";
    let page = olga.get(path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<script src=\"/assets/email-preview.js\" defer>")
    );
    assert!(
        page.body
            .contains("id=\"preview-subject\">Acme Corp invites you"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let html = api_template(&app, &acme, "invitation").await["html"]
        .as_str()
        .expect("the default HTML")
        .to_string();
    let subject = "Hello {{ contact_name }}";

    // Saved with an unknown variable: refused at its line, what was typed kept, nothing saved.
    let refused = olga
        .post(path, &fields(&csrf, subject, BROKEN, &html, "save"))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"error-text\""),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("<strong>Line 3, column 15</strong>: unknown variable `secret_code`"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("3 | Your code: {{ secret_code }}"));
    assert!(
        refused
            .body
            .contains(">\nHello {{ contact_name }},\n\nYour code: {{ secret_code }}\n</textarea>")
    );
    assert_eq!(
        api_template(&app, &acme, "invitation").await["customized"],
        false
    );

    // Fixed and saved (as a browser sends a textarea: CRLF line breaks, kept as LF).
    let fixed = FIXED.replace('\n', "\r\n");
    let saved = olga
        .post(path, &fields(&csrf, subject, &fixed, &html, "save"))
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = olga
        .get(saved.location.as_deref().expect("back to the page"))
        .await;
    assert!(
        shown.body.contains("The template is saved"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("Customised: your organization"),
        "{}",
        shown.body
    );
    let stored = api_template(&app, &acme, "invitation").await;
    assert_eq!(
        (stored["customized"].clone(), stored["text"].clone()),
        (json!(true), json!(FIXED))
    );
    assert!(
        olga.get("/email-templates")
            .await
            .body
            .contains("<strong>Customised</strong>")
    );

    // A preview shows markup as text; the HTML only escaped inside a sandboxed srcdoc.
    let marked_subject = "<script>alert(1)</script> {{ contact_name }}";
    let marked_html = "<p>{{ contact_name }}</p><img src=x onerror=alert(2)>";
    let preview = olga
        .post(
            path,
            &fields(&csrf, marked_subject, FIXED, marked_html, "preview"),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        !preview.body.contains("<script>alert(1)"),
        "{}",
        preview.body
    );
    assert!(!preview.body.contains("<img src=x"), "{}", preview.body);
    assert!(
        preview.body.contains(
            "id=\"preview-subject\">&lt;script&gt;alert(1)&lt;/script&gt; Ann Smith</dd>"
        ),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("sandbox=\"\""));
    assert!(
        preview
            .body
            .contains("srcdoc=\"&lt;p&gt;Ann Smith&lt;/p&gt;&lt;img src=x onerror=alert(2)&gt;\""),
        "{}",
        preview.body
    );
    assert_eq!(
        api_template(&app, &acme, "invitation").await["subject"],
        subject,
        "a preview saves nothing"
    );

    // The fragment the script fetches: the preview section alone, or why there is none.
    let fragment = olga
        .post(
            &format!("{path}/preview"),
            &fields(&csrf, marked_subject, FIXED, marked_html, ""),
        )
        .await;
    assert_eq!(fragment.status, 200, "{}", fragment.body);
    assert!(
        fragment.body.starts_with("<section id=\"preview\""),
        "{}",
        fragment.body
    );
    assert!(
        fragment
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; Ann Smith")
    );
    let broken = olga
        .post(
            &format!("{path}/preview"),
            &fields(&csrf, subject, BROKEN, &html, ""),
        )
        .await;
    assert_eq!(broken.status, 422, "{}", broken.body);
    assert!(
        broken.body.contains("line 3: unknown variable"),
        "{}",
        broken.body
    );
    let script = visitor.get("/assets/email-preview.js").await;
    assert_eq!(script.status, 200);
    assert!(script.content_type.starts_with("text/javascript"));

    // No CSRF field: refused, nothing saved.
    let forged = olga
        .post(
            path,
            &[("subject", "Forged"), ("text", FIXED), ("html", &html)],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(
        api_template(&app, &acme, "invitation").await["subject"],
        subject
    );

    // Reset to the default.
    let reset = olga
        .post(&format!("{path}/reset"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reset.status, 303, "{}", reset.body);
    let location = reset.location.expect("back to the page");
    assert_eq!(location, format!("{path}?done=reset"));
    assert!(
        olga.get(&location)
            .await
            .body
            .contains("The default template is used again.")
    );
    assert_eq!(
        api_template(&app, &acme, "invitation").await["customized"],
        false
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_sender_settings_are_saved_and_a_bad_address_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let acme = acme(&app).await;
    let olga = sign_in(&app, "olga@acme.example", 1).await;

    let page = olga.get("/settings/email").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Until an operator verifies the domain"),
        "{}",
        page.body
    );
    let csrf = page.csrf();

    let bad = olga
        .post(
            "/settings/email",
            &[
                ("csrf", &csrf),
                ("from_name", "Acme Sales"),
                ("from_address", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("id=\"error-from_address\""),
        "{}",
        bad.body
    );
    assert!(
        bad.body
            .contains("the from address is not a valid email address"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"not-an-address\""));
    assert!(bad.body.contains("value=\"Acme Sales\""));

    let forged = olga
        .post(
            "/settings/email",
            &[("from_name", "Forged"), ("from_address", "x@evil.example")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);

    let saved = olga
        .post(
            "/settings/email",
            &[
                ("csrf", &csrf),
                ("from_name", "Acme Sales"),
                ("from_address", "sales@acme.example"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = olga.get("/settings/email?saved=1").await;
    assert!(
        shown.body.contains("The sender is saved."),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("Acme Sales via PartnerNet"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains(
            "id=\"effective-reply-to\">&quot;Acme Sales&quot; &lt;sales@acme.example&gt;"
        ) || shown
            .body
            .contains("id=\"effective-reply-to\">Acme Sales &lt;sales@acme.example&gt;"),
        "{}",
        shown.body
    );
    let api: Value = app
        .get("/v1/email-settings", Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON settings");
    assert_eq!(api["from_address"], "sales@acme.example");
    assert_eq!(api["from_name"], "Acme Sales");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_a_user_without_manage_connections_reads_templates_but_gets_403_saving() {
    let app = TestApp::spawn().await;
    let acme = acme(&app).await;
    let created = app
        .post(
            "/v1/users",
            Some(&acme.key),
            &json!({ "name": "Rita Reader", "email": "rita@acme.example", "scopes": ["read"] }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let rita = sign_in(&app, "rita@acme.example", 1).await;
    let page = rita.get("/email-templates/invitation").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    for (path, form) in [
        (
            "/email-templates/invitation",
            fields(&csrf, "Hi", FIXED, "<p>Hi</p>", "save"),
        ),
        (
            "/email-templates/invitation/reset",
            vec![("csrf", csrf.as_str())],
        ),
        (
            "/settings/email",
            vec![
                ("csrf", csrf.as_str()),
                ("from_name", "Rita"),
                ("from_address", "rita@acme.example"),
            ],
        ),
    ] {
        let refused = rita.post(path, &form).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(refused.body.contains("Not allowed"), "{}", refused.body);
        assert!(
            refused.body.contains("manage_connections"),
            "{}",
            refused.body
        );
    }
    assert_eq!(
        api_template(&app, &acme, "invitation").await["customized"],
        false
    );
    app.stop().await;
}
