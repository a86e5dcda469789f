//! Signing in by the emailed link in a real Chromium, by keyboard: the form, the email's link,
//! its Sign in button, the Connections tab; then signing out.

use crate::web_browser_support::check_page;
use crate::web_support::sign_in_link;
use tests::TestApp;
use tests::browser::Browser;

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_sign_in_by_the_emailed_link_then_sign_out() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    let base = &app.base_url;
    let browser = Browser::start().await;

    // A visitor is sent to the sign-in form, which keeps where it was going.
    browser.goto(&format!("{base}/connections")).await;
    browser
        .wait_for_url(&format!("{base}/sign-in?next=%2Fconnections"))
        .await;
    browser.wait_for_text("Email address").await;
    check_page(&browser).await;

    // By keyboard: type the address, Tab to the button, Enter.
    browser.fill("Email address", "olga@acme.example").await;
    browser.tab_to("Send me a sign-in link").await;
    browser.press_enter().await;
    browser
        .wait_for_text("If this address belongs to a PartnerNet user")
        .await;
    check_page(&browser).await;

    // The email's link shows a button; pressing it signs in and goes where the visitor was going.
    let link = sign_in_link(&app, "olga@acme.example", 1).await;
    browser.goto(&format!("{base}{link}")).await;
    check_page(&browser).await;
    assert!(browser.cookie("pn_session").await.is_none());
    browser.tab_to("Sign in").await;
    browser.press_enter().await;
    browser.wait_for_url(&format!("{base}/connections")).await;
    browser.wait_for_text("Olga Owner · Acme Corp").await;
    browser.wait_for_text("No connections to show.").await;
    assert!(browser.cookie("pn_session").await.is_some());
    check_page(&browser).await;
    browser.tab_to("Invite partners").await;

    // Signing out ends the session: the Connections tab asks to sign in again.
    browser.click_button("Sign out").await;
    browser.wait_for_text("You are signed out").await;
    check_page(&browser).await;
    assert!(browser.cookie("pn_session").await.is_none());
    browser.goto(&format!("{base}/connections")).await;
    browser
        .wait_for_url(&format!("{base}/sign-in?next=%2Fconnections"))
        .await;
    browser.close().await;
}
