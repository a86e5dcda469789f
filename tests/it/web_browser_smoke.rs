//! The first page in a real browser: the invitation email's link, opened in headless Chromium
//! at phone width.

use crate::connections_support::pair;
use serde_json::json;
use shared::testing::eventually;
use std::path::Path;
use std::time::Duration;
use tests::TestApp;
use tests::browser::Browser;
use tests::email::decode;

/// Invites ann@initech.example from Acme over the API; returns the link of the email she gets.
async fn invitation_link(app: &TestApp) -> String {
    let p = pair(app).await;
    let response = app
        .post(
            "/v1/connections",
            Some(&p.acme.key),
            &json!({ "contact": { "name": "Ann Smith", "email": "ann@initech.example" },
                     "account": "Initech", "owner_user_id": p.acme_owner }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let email = eventually("the invitation email", Duration::from_secs(20), || async {
        app.smtp.received_by("ann@initech.example").first().cloned()
    })
    .await;
    let text = decode(&email).text;
    let link = text
        .split_whitespace()
        .find(|word| word.contains("/invitations/accept?token="))
        .unwrap_or_else(|| panic!("no invitation link in the email:\n{text}"));
    app.local_link(link)
}

/// Width and height of a PNG, from its header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("the screenshot file");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_invitation_link_opens_at_phone_width() {
    let app = TestApp::spawn().await;
    let link = invitation_link(&app).await;
    let browser = Browser::phone().await;

    browser.goto(&link).await;
    browser.wait_for_text("Your PartnerNet invitation").await;
    assert_eq!(browser.current_url().await, link);
    browser.assert_every_control_labelled().await;

    let shot = std::env::temp_dir().join(format!("pn-invitation-{}.png", uuid::Uuid::new_v4()));
    browser.screenshot(&shot).await;
    let (width, _) = png_size(&shot);
    // 375 CSS pixels at the phone's 2 device pixels per CSS pixel.
    assert_eq!(width, 750, "the phone screenshot's width");
    let _ = std::fs::remove_file(&shot);
    browser.close().await;
}
