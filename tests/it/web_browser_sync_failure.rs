//! A sync failure in a real browser: Globex's user opens the connection's failures from its
//! page, sees the refused update with its error, removes the cause, replays it and sees the
//! outcome Applied (the page refreshes itself until the outcome is known).

use crate::field_sync_reports::{failed_update, remove_the_cause};
use crate::web_support::sign_in_link;
use tests::TestApp;
use tests::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_a_sync_failure_is_shown_and_replayed_to_applied() {
    let app = TestApp::spawn().await;
    let (l, _update_id) = failed_update(&app).await;
    let browser = Browser::phone().await;

    browser.goto(&format!("{}/sign-in", app.base_url)).await;
    browser.fill("Email address", "gus@globex.example").await;
    browser.click_button("Send me a sign-in link").await;
    let link = sign_in_link(&app, "gus@globex.example", 1).await;
    browser.goto(&format!("{}{link}", app.base_url)).await;
    browser.click_button("Sign in").await;
    browser.wait_for_text("Connections").await;

    browser
        .goto(&format!("{}/connections/{}", app.base_url, l.n.id))
        .await;
    browser.click_link("Sync failures").await;
    browser.wait_for_text("Code__c = 555-0100-99").await;
    let text = browser.page_text().await;
    assert!(text.contains(&l.copy), "{text}");
    browser.assert_every_control_labelled().await;
    browser.assert_no_horizontal_scroll().await;

    remove_the_cause(&app, &l).await;
    browser
        .click_button("Replay all failures of this connection")
        .await;
    browser.wait_for_text("Applied").await;
    browser.wait_for_text("No failed updates").await;
    browser.close().await;
    app.stop().await;
}
