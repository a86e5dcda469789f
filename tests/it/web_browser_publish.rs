//! Publishing and subscribing in a real browser: Acme's user publishes Account with Name and
//! Phone on the publications page; Globex's user subscribes to it, presses Auto-map and saves
//! the mapping; the subscription's mapping over the API is the one expected.

use crate::sharing_support::{call, connected};
use crate::web_support::sign_in_link;
use reqwest::Method;
use serde_json::json;
use tests::TestApp;
use tests::browser::Browser;

/// Signs `email` in through the sign-in page and the emailed link.
async fn sign_in(app: &TestApp, browser: &Browser, email: &str) {
    browser.goto(&format!("{}/sign-in", app.base_url)).await;
    browser.fill("Email address", email).await;
    browser.click_button("Send me a sign-in link").await;
    let link = sign_in_link(app, email, 1).await;
    browser.goto(&format!("{}{link}", app.base_url)).await;
    browser.click_button("Sign in").await;
    browser.wait_for_text("Sign out").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_publish_subscribe_and_auto_map() {
    let app = TestApp::spawn().await;
    let (p, id) = connected(&app).await;

    let acme = Browser::start().await;
    sign_in(&app, &acme, "olga@acme.example").await;
    acme.goto(&format!("{}/connections/{id}", app.base_url))
        .await;
    acme.click_link("Publications").await;
    acme.wait_for_text("Tick the fields of an object").await;
    acme.assert_every_control_labelled().await;
    for field in ["field-Account-Name", "field-Account-Phone"] {
        acme.script(
            "document.getElementById(arguments[0]).checked = true;",
            vec![json!(field)],
        )
        .await;
    }
    acme.click_button("Publish Account").await;
    acme.wait_for_text("Account is published.").await;
    acme.close().await;

    let globex = Browser::phone().await;
    sign_in(&app, &globex, "gus@globex.example").await;
    globex
        .goto(&format!("{}/connections/{id}/subscriptions", app.base_url))
        .await;
    globex.click_button("Subscribe to Account").await;
    globex.wait_for_text("You subscribed to Account.").await;
    globex.click_button("Auto-map Account").await;
    globex
        .wait_for_text("undecided fields were auto-mapped")
        .await;
    globex.assert_every_control_labelled().await;
    globex.assert_no_horizontal_scroll().await;
    globex.click_button("Save the mapping of Account").await;
    globex
        .wait_for_text("The mapping of Account is saved.")
        .await;
    globex.close().await;

    let page = call(
        &app,
        Method::GET,
        &format!("/v1/connections/{id}/subscriptions"),
        &p.globex.key,
        None,
        200,
    )
    .await;
    let account = &page["subscriptions"][0];
    assert_eq!(account["object"], "Account");
    assert_eq!(account["target_object"], "Account");
    let mapped: Vec<(String, String)> = account["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or_default().to_string(),
                f["target_field"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        mapped,
        [
            ("Name".to_string(), "Name".to_string()),
            ("Phone".to_string(), "Phone".to_string())
        ]
    );
}
