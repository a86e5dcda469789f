//! Helpers of the real-Chromium page tests: signing a browser in through the emailed link (as a
//! user would: the form, the email, its button) and the checks every visited page gets.

use crate::web_support::{emailed_link, sign_in_link};
use tests::TestApp;
use tests::browser::Browser;

/// The whole local address of the `nth` link with `marker` emailed to `email`.
pub async fn emailed_url(app: &TestApp, email: &str, marker: &str, nth: usize) -> String {
    format!(
        "{}{}",
        app.base_url,
        emailed_link(app, email, marker, nth).await
    )
}

/// On the sign-in form (already open): asks for a link for `email`, opens the `nth` sign-in
/// email's link and presses Sign in. Returns once the signed-in page has loaded.
pub async fn sign_in_from_the_form(app: &TestApp, browser: &Browser, email: &str, nth: usize) {
    browser.fill("Email address", email).await;
    browser.click_button("Send me a sign-in link").await;
    browser
        .wait_for_text("If this address belongs to a PartnerNet user")
        .await;
    let link = sign_in_link(app, email, nth).await;
    browser.goto(&format!("{}{link}", app.base_url)).await;
    browser.click_button("Sign in").await;
    browser.wait_for_text("Sign out").await;
}

/// Signs `browser` in as `email` (its `nth` sign-in email); it lands on /connections.
pub async fn sign_in(app: &TestApp, browser: &Browser, email: &str, nth: usize) {
    browser.goto(&format!("{}/sign-in", app.base_url)).await;
    sign_in_from_the_form(app, browser, email, nth).await;
    browser
        .wait_for_url(&format!("{}/connections", app.base_url))
        .await;
}

/// What every page must pass: each control named, and no sideways scroll at phone width.
pub async fn check_page(browser: &Browser) {
    browser.assert_every_control_labelled().await;
    browser.assert_fits_phone_width().await;
}
