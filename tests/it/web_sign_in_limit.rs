//! Asking for sign-in links is limited per email address and per client address (counted in
//! PostgreSQL): over the limit no email is sent and the page asks to wait, the same words for
//! an address that belongs to a user and one that does not.

use crate::web_support::{WebClient, WebPage, sign_in_link};
use invitation::sign_in_limit::{PER_CLIENT, PER_EMAIL};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_sign_in_links_are_limited_per_email_and_per_client_address() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    app.create_user(&acme, "Gus Guest", "gus@acme.example")
        .await;
    let browser = WebClient::new(&app);
    let ask = async |client: &str, email: &str| {
        browser
            .post_from(client, "/sign-in", &[("email", email)])
            .await
    };

    // Up to the limit, a user's address and an unknown one get the same answer.
    for _ in 0..PER_EMAIL {
        let known = ask("203.0.113.1", "olga@acme.example").await;
        let unknown = ask("203.0.113.1", "nobody@acme.example").await;
        assert_eq!((known.status, unknown.status), (200, 200), "{}", known.body);
        assert_eq!(known.body, unknown.body);
    }
    // Over it, from any client address: wait, in words, the same for both; no email is sent.
    for client in ["203.0.113.1", "198.51.100.9"] {
        let known = ask(client, "olga@acme.example").await;
        let unknown = ask(client, "nobody@acme.example").await;
        assert_eq!((known.status, unknown.status), (429, 429), "{}", known.body);
        assert!(
            known.body.contains("Wait 15 minutes, then ask again"),
            "{}",
            known.body
        );
        assert_eq!(
            without(&known, "olga@acme.example"),
            without(&unknown, "nobody@acme.example")
        );
    }
    sign_in_link(&app, "olga@acme.example", PER_EMAIL as usize).await;
    app.wait_idle().await;
    let links = |email: &str| {
        app.smtp
            .received_by(email)
            .iter()
            .filter(|m| {
                tests::email::decode(m)
                    .text
                    .contains("/sign-in/link?token=")
            })
            .count()
    };
    assert_eq!(links("olga@acme.example"), PER_EMAIL as usize);

    // One client address asking for many addresses is stopped too, for a user's address as well.
    for n in 0..PER_CLIENT {
        let email = format!("visitor{n}@example.com");
        assert_eq!(ask("192.0.2.50", &email).await.status, 200);
    }
    let stopped = ask("192.0.2.50", "gus@acme.example").await;
    assert_eq!(stopped.status, 429, "{}", stopped.body);
    // Another client address still gets Gus his link.
    assert_eq!(ask("192.0.2.51", "gus@acme.example").await.status, 200);
    sign_in_link(&app, "gus@acme.example", 1).await;
    app.wait_idle().await;
    assert_eq!(links("gus@acme.example"), 1);
}

/// The page without the address the visitor typed (the form shows it back).
fn without(page: &WebPage, email: &str) -> String {
    page.body.replace(email, "")
}
