//! An email template edited in a real browser: Acme's user opens Email from the navigation and
//! the invitation's template; the live preview follows the subject as it is typed; a body with
//! an unknown variable is saved and refused, the error shown at its line with the typed text
//! kept; fixed, it is saved, and the API serves it.

use crate::web_browser_support::{check_page, sign_in};
use crate::web_email_templates::{acme, api_template};
use serde_json::json;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::browser::Browser;

/// The text the HTML preview's sandboxed frame shows, once it shows some.
pub async fn html_preview_text(browser: &Browser) -> String {
    eventually(
        "the HTML preview drawn",
        Duration::from_secs(20),
        || async {
            let client = browser.client();
            let frame = client
                .find(fantoccini::Locator::Id("preview-html"))
                .await
                .ok()?;
            frame.enter_frame().await.ok()?;
            let text = client
                .find(fantoccini::Locator::Css("body"))
                .await
                .ok()?
                .text()
                .await
                .ok();
            client.enter_parent_frame().await.ok()?;
            text.filter(|t| !t.trim().is_empty())
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_a_template_edited_with_a_save_time_error_shown_and_then_fixed() {
    let app = TestApp::spawn().await;
    let acme = acme(&app).await;
    let browser = Browser::start().await;
    sign_in(&app, &browser, "olga@acme.example", 1).await;

    browser.click_link("Email").await;
    browser.wait_for_text("Sender settings").await;
    check_page(&browser).await;
    browser.click_link("Invitation").await;
    browser.wait_for_text("Variables this email offers").await;
    browser.wait_for_text("Acme Corp invites you").await;
    check_page(&browser).await;
    let shown = html_preview_text(&browser).await;
    assert!(
        shown.contains("Ann Smith"),
        "the HTML preview shows {shown:?}"
    );

    // The live preview follows what is typed, without pressing Preview.
    browser
        .fill("Subject", "Welcome aboard, {{ contact_name }}")
        .await;
    browser.wait_for_text("Welcome aboard, Ann Smith").await;

    browser
        .fill(
            "Plain-text body",
            "Hello {{ contact_name }},\n\nYour code: {{ secret_code }}\n",
        )
        .await;
    browser.wait_for_text("No preview").await;
    browser.click_button("Save the template").await;
    browser
        .wait_for_text("Line 3, column 15: unknown variable `secret_code`")
        .await;
    browser
        .wait_for_text("3 | Your code: {{ secret_code }}")
        .await;
    let typed = browser
        .script("return document.getElementById('text').value;", vec![])
        .await;
    assert_eq!(
        typed,
        json!("Hello {{ contact_name }},\n\nYour code: {{ secret_code }}\n")
    );
    check_page(&browser).await;
    assert_eq!(
        api_template(&app, &acme, "invitation").await["customized"],
        false
    );

    browser
        .fill("Plain-text body", "Hello {{ contact_name }},\n\nWelcome.\n")
        .await;
    browser.click_button("Save the template").await;
    browser.wait_for_text("The template is saved").await;
    browser.wait_for_text("Customised").await;
    let stored = api_template(&app, &acme, "invitation").await;
    assert_eq!(stored["text"], "Hello {{ contact_name }},\n\nWelcome.\n");
    assert_eq!(stored["subject"], "Welcome aboard, {{ contact_name }}");
    browser.close().await;
    app.stop().await;
}
