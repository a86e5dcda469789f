//! The invitation in real Chromium: inviting many from the Connections tab (one bad address),
//! and the invited org's user going from the email's link, through signing in, to an accepted
//! connection that the inviter's browser then shows.

use crate::web_browser_support::{check_page, emailed_url, sign_in, sign_in_from_the_form};
use tests::TestApp;
use tests::browser::Browser;

/// Acme Corp (Olga) and Globex (Gus), each with a user.
async fn two_orgs(app: &TestApp) {
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    app.create_user(&globex, "Gus Globex", "gus@globex.example")
        .await;
}

/// On the Connections tab: Invite partners, type `contacts`, send them by keyboard.
async fn invite_from_the_connections_tab(browser: &Browser, contacts: &str) {
    browser.click_link("Invite partners").await;
    browser
        .wait_for_text("Contacts to invite, one a line")
        .await;
    check_page(browser).await;
    browser
        .fill("Contacts to invite, one a line", contacts)
        .await;
    browser.tab_to("Send the invitations").await;
    browser.press_enter().await;
}

/// The text of each row of the Connections tab's table.
async fn connection_rows(browser: &Browser) -> Vec<String> {
    let rows = browser
        .script(
            "return [...document.querySelectorAll('tr[id^=connection-]')].map(r => r.innerText);",
            vec![],
        )
        .await;
    rows.as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_invite_many_shows_each_contacts_result() {
    let app = TestApp::spawn().await;
    two_orgs(&app).await;
    let olga = Browser::start().await;
    sign_in(&app, &olga, "olga@acme.example", 1).await;

    invite_from_the_connections_tab(
        &olga,
        "Gus Globex <gus@globex.example>\nnot-an-address\nCara, cara@globex.example",
    )
    .await;
    olga.wait_for_text("2 invitation(s) sent, 1 contact(s) not invited")
        .await;
    let results = olga.page_text().await;
    for line in [
        "Gus Globex <gus@globex.example>: invited",
        "Cara, cara@globex.example: invited",
        "not-an-address: not invited: is not a valid email address",
    ] {
        assert!(results.contains(line), "{line:?} not in:\n{results}");
    }
    check_page(&olga).await;

    // The good ones got their invitation emails; the bad one is nowhere.
    for email in ["gus@globex.example", "cara@globex.example"] {
        emailed_url(&app, email, "/invitations/accept?token=", 1).await;
    }
    app.wait_idle().await;
    assert!(app.smtp.received_by("not-an-address").is_empty());

    // Both wait on the Connections tab as Sent.
    olga.click_link("Connections").await;
    olga.wait_for_text("cara@globex.example").await;
    let rows = connection_rows(&olga).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    for email in ["cara@globex.example", "gus@globex.example"] {
        assert!(
            rows.iter()
                .any(|row| row.contains(email) && row.contains("Sent")),
            "{email} not Sent in {rows:?}"
        );
    }
    olga.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_invitation_from_the_emails_link_to_an_accepted_connection() {
    let app = TestApp::spawn().await;
    two_orgs(&app).await;
    let base = &app.base_url;
    let olga = Browser::start().await;
    sign_in(&app, &olga, "olga@acme.example", 1).await;
    invite_from_the_connections_tab(&olga, "Gus Globex <gus@globex.example>").await;
    olga.wait_for_text("1 invitation(s) sent").await;

    // Gus, on his phone, opens the email's link: who invites whom, and a way to sign in.
    let link = emailed_url(&app, "gus@globex.example", "/invitations/accept?token=", 1).await;
    let gus = Browser::phone().await;
    gus.goto(&link).await;
    gus.wait_for_text("Acme Corp invites Gus Globex").await;
    check_page(&gus).await;
    gus.tab_to("Sign in to answer").await;
    gus.press_enter().await;
    gus.wait_for_text("Email address").await;
    check_page(&gus).await;
    sign_in_from_the_form(&app, &gus, "gus@globex.example", 1).await;

    // Signed in, he is back on the invitation and accepts it.
    gus.wait_for_url(&link).await;
    gus.wait_for_text("Answer for Globex").await;
    check_page(&gus).await;
    gus.tab_to("Accept").await;
    gus.press_enter().await;
    gus.wait_for_text("You accepted the invitation").await;
    check_page(&gus).await;
    gus.close().await;

    // Olga's Connections tab shows it accepted, and so does its page.
    olga.goto(&format!("{base}/connections?status=Accepted"))
        .await;
    olga.wait_for_text("Globex").await;
    check_page(&olga).await;
    let rows = connection_rows(&olga).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("Globex") && rows[0].contains("Accepted"),
        "{rows:?}"
    );
    olga.click_link("Globex").await;
    olga.wait_for_text("Invitation accepted by Globex").await;
    let status = olga
        .script(
            "return document.getElementById('status').innerText;",
            vec![],
        )
        .await;
    assert_eq!(status.as_str(), Some("Accepted"));
    check_page(&olga).await;
    olga.close().await;
}
