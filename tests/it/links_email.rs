//! The records-forwarded email over HTTP against real servers: a forward asking for it emails
//! the partner's contact once per record new to the connection, never again for that record.

use crate::links_stop::stop;
use crate::links_support::{forward, inbox_entry, net, record};
use crate::sharing_support::GLOBEX_CONTACT;
use serde_json::json;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::email::{Email, decode};

/// The records-forwarded emails Globex's contact has received.
fn forwarded_emails(app: &TestApp) -> Vec<Email> {
    app.smtp
        .received_by(GLOBEX_CONTACT)
        .iter()
        .map(decode)
        .filter(|e| e.subject.starts_with("Acme Corp shared"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn links_forward_emails_the_partner_once_per_new_record() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    for (id, name) in [("acc-1", "Initrode"), ("acc-2", "Vandelay")] {
        record(&app, n.acme(), "Account", id, json!({ "Name": name })).await;
    }
    let one = |id: &str, send_email: bool| {
        json!({
            "records": [{ "object": "Account", "record_id": id }],
            "connection_ids": [n.id],
            "send_email": send_email,
        })
    };
    // Without `send_email`, no email.
    forward(&app, n.acme(), one("acc-2", false), 200).await;
    inbox_entry(&app, n.globex(), "acc-2", |_| true).await;

    let first = forward(&app, n.acme(), one("acc-1", true), 200).await;
    assert_eq!(first["results"][0]["outcome"], "forwarded");
    let email = eventually("the forward's email", Duration::from_secs(20), || async {
        forwarded_emails(&app).into_iter().next()
    })
    .await;
    assert_eq!(email.subject, "Acme Corp shared 1 record with you");
    assert!(email.text.contains("Account: Initrode"), "{}", email.text);
    assert!(!email.text.contains("Vandelay"), "{}", email.text);

    // The same record again: while it is shared (nothing sent), and after a stop (sent again,
    // but not new to the connection): no second email. acc-2 was offered before, so not new.
    let again = forward(&app, n.acme(), one("acc-1", true), 200).await;
    assert_eq!(again["results"][0]["outcome"], "already_shared");
    stop(&app, n.acme(), "Account", "acc-1", &n.id, 200).await;
    let resent = forward(&app, n.acme(), one("acc-1", true), 200).await;
    assert_eq!(resent["results"][0]["outcome"], "forwarded");
    forward(&app, n.acme(), one("acc-2", true), 200).await;
    app.wait_idle().await;
    assert_eq!(forwarded_emails(&app).len(), 1);
    app.stop().await;
}
