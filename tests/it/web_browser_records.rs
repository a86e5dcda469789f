//! Forwarding a record and accepting it in a real browser: Acme forwards an Account from its
//! page (the dry run first, then Forward now), Globex accepts it from its inbox, and each
//! record's External Sharing shows the link Active (sent) and Active (received).

use crate::links_support::{inbox_entry, net, record};
use crate::web_support::sign_in_link;
use serde_json::json;
use tests::TestApp;
use tests::browser::Browser;

/// Signs `email` in through the emailed link (the `nth` sent to it), in the browser.
async fn sign_in(app: &TestApp, browser: &Browser, email: &str, nth: usize) {
    browser.goto(&format!("{}/sign-in", app.base_url)).await;
    browser.fill("Email address", email).await;
    browser.click_button("Send me a sign-in link").await;
    let link = sign_in_link(app, email, nth).await;
    browser.goto(&format!("{}{link}", app.base_url)).await;
    browser.click_button("Sign in").await;
    browser.wait_for_text("Sign out").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_records_forward_then_accept_from_the_inbox() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    record(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode", "Rating": "Hot", "OwnerId": n.p.acme_owner }),
    )
    .await;
    let browser = Browser::phone().await;

    // Acme forwards the record from its page: the dry run answers first.
    sign_in(&app, &browser, "olga@acme.example", 1).await;
    browser
        .goto(&format!("{}/records/Account/acc-1", app.base_url))
        .await;
    browser
        .wait_for_text("Not shared with any connection.")
        .await;
    browser.assert_every_control_labelled().await;
    browser.assert_no_horizontal_scroll().await;
    browser
        .client()
        .find(fantoccini::Locator::Id(&format!("forward-to-{}", n.id)))
        .await
        .expect("the connection's checkbox")
        .click()
        .await
        .expect("ticking the connection");
    browser.click_button("Check what would be sent").await;
    browser
        .wait_for_text("A dry run: nothing has been sent yet.")
        .await;
    browser
        .wait_for_text("would be sent, arriving as their Account")
        .await;
    browser.assert_no_horizontal_scroll().await;
    browser.click_button("Forward now").await;
    browser.wait_for_text("Forwarded: 1 record(s) sent.").await;
    browser.click_link("Back to the record").await;
    browser.wait_for_text("Pending (sent)").await;
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let copy_id = entry["id"].as_str().expect("an id").to_string();

    // Globex accepts it from its inbox.
    browser.delete_cookies().await;
    sign_in(&app, &browser, "gus@globex.example", 1).await;
    browser
        .goto(&format!("{}/records/inbox", app.base_url))
        .await;
    browser.wait_for_text("Initrode").await;
    browser.assert_every_control_labelled().await;
    browser.assert_no_horizontal_scroll().await;
    browser
        .client()
        .find(fantoccini::Locator::Id(&format!("select-{copy_id}")))
        .await
        .expect("the entry's checkbox")
        .click()
        .await
        .expect("ticking the entry");
    browser.fill("Assign Initrode to", "Gus Globex").await;
    browser.click_button("Accept the selected").await;
    browser
        .wait_for_text("Initrode: accepted: the copy is being made")
        .await;

    // Active (received) on Globex's copy, once the copy exists (the page is read again until then).
    let copy_page = format!("{}/records/Account/{copy_id}", app.base_url);
    wait_for_status(&browser, &copy_page, "Active (received)").await;
    browser.delete_cookies().await;

    // Active (sent) on Acme's record.
    sign_in(&app, &browser, "olga@acme.example", 2).await;
    let record_page = format!("{}/records/Account/acc-1", app.base_url);
    wait_for_status(&browser, &record_page, "Active (sent)").await;
    browser.close().await;
}

/// Opens `url` until its page shows `status` (the copy is made asynchronously), with a deadline.
async fn wait_for_status(browser: &Browser, url: &str, status: &str) {
    shared::testing::eventually(status, std::time::Duration::from_secs(30), || async {
        browser.goto(url).await;
        browser.page_text().await.contains(status).then_some(())
    })
    .await;
}
