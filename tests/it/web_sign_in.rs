//! Signing in to the web pages by emailed link: the link is single-use and expires, the
//! session cookie is HttpOnly, SameSite and Secure on https, forms need their CSRF token.

use crate::web_support::{WebClient, sign_in, sign_in_link};
use diesel_async::RunQueryDsl;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_sign_in_by_the_emailed_link_then_sign_out() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    let browser = WebClient::new(&app);

    // A visitor is sent to sign in, and comes back where it was going.
    let page = browser.get("/connections?status=Sent").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/sign-in?next=%2Fconnections%3Fstatus%3DSent")
    );
    let form = browser
        .get("/sign-in?next=%2Fconnections%3Fstatus%3DSent")
        .await;
    assert!(
        form.body
            .contains("<label for=\"email\">Email address</label>")
    );

    // Known and unknown addresses get the same answer; only the user gets an email.
    let unknown = browser
        .post("/sign-in", &[("email", "nobody@acme.example")])
        .await;
    let known = browser
        .post(
            "/sign-in",
            &[
                ("email", "Olga@ACME.example"),
                ("next", "/connections?status=Sent"),
            ],
        )
        .await;
    assert_eq!((unknown.status, known.status), (200, 200));
    assert_eq!(unknown.body, known.body);
    assert!(
        known
            .body
            .contains("If this address belongs to a PartnerNet user")
    );
    let link = sign_in_link(&app, "olga@acme.example", 1).await;
    app.wait_idle().await;
    assert!(app.smtp.received_by("nobody@acme.example").is_empty());

    // Opening the link uses nothing up (mail scanners fetch links); the button signs in.
    let token = link.split("token=").nth(1).expect("a token").to_string();
    for _ in 0..2 {
        let shown = browser.get(&link).await;
        assert_eq!(shown.status, 200);
        assert!(shown.body.contains("id=\"sign-in\""));
    }
    let signed_in = browser.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/connections?status=Sent")
    );
    let cookie = signed_in
        .set_cookies
        .iter()
        .find(|c| c.starts_with("pn_session="))
        .expect("the session cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=43200",
        "Secure",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let connections = browser.get("/connections").await;
    assert_eq!(connections.status, 200);
    assert!(connections.body.contains("Olga Owner"));
    assert!(connections.body.contains("href=\"/assets/app.css\""));

    // Only the hashes of the token and the session are stored.
    let session = browser.cookie("pn_session").expect("a session");
    let mut conn = app.pool().get().await.expect("a connection");
    let clear: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM identity.web_sessions WHERE token_hash = convert_to($1, 'UTF8') \
         UNION ALL SELECT count(*) FROM identity.sign_in_tokens WHERE token_hash = convert_to($2, 'UTF8')",
    )
    .bind::<diesel::sql_types::Text, _>(&session)
    .bind::<diesel::sql_types::Text, _>(&token)
    .load::<shared::db::CountRow>(&mut conn)
    .await
    .expect("counts")
    .iter()
    .map(|r| r.n)
    .sum();
    assert_eq!(clear, 0);

    // The link worked once.
    let again = WebClient::new(&app)
        .post("/sign-in/link", &[("token", &token)])
        .await;
    assert_eq!(again.status, 410);
    assert!(
        again.body.contains("This sign-in link was already used"),
        "{}",
        again.body
    );

    // Signing out ends the session.
    let csrf = connections.csrf();
    let out = browser.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 200);
    assert!(out.body.contains("You are signed out"));
    assert!(browser.cookie("pn_session").is_none());
    let replayed = WebClient::new(&app);
    replayed.set_cookie("pn_session", &session);
    let after = replayed.get("/connections").await;
    assert_eq!(after.status, 303, "a revoked session signs no one in");
}

#[tokio::test(flavor = "multi_thread")]
async fn web_sign_in_an_expired_or_wrong_link_says_so() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    let browser = WebClient::new(&app);
    browser
        .post("/sign-in", &[("email", "olga@acme.example")])
        .await;
    let link = sign_in_link(&app, "olga@acme.example", 1).await;
    let token = link.split("token=").nth(1).expect("a token").to_string();
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query(
        "UPDATE identity.sign_in_tokens SET expires_at = now() - interval '1 minute'",
    )
    .execute(&mut conn)
    .await
    .expect("expired");
    let expired = browser.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(expired.status, 410);
    assert!(
        expired.body.contains("This sign-in link has expired"),
        "{}",
        expired.body
    );
    assert!(browser.cookie("pn_session").is_none());

    let wrong = browser
        .post("/sign-in/link", &[("token", "not-a-token")])
        .await;
    assert_eq!(wrong.status, 410);
    assert!(wrong.body.contains("This sign-in link is not valid"));

    let invalid = browser
        .post("/sign-in", &[("email", "not an address")])
        .await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.body.contains("The email address is not valid"));
}

#[tokio::test(flavor = "multi_thread")]
async fn web_csrf_missing_or_wrong_is_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    let browser = sign_in(&app, "olga@acme.example", 1).await;
    for fields in [vec![], vec![("csrf", "forged")]] {
        let out = browser.post("/sign-out", &fields).await;
        assert_eq!(out.status, 403, "{fields:?}");
        assert!(out.body.contains("This form has expired"));
        let invite = browser
            .post(
                "/connections/new",
                &[fields.clone(), vec![("contacts", "ann@initech.example")]].concat(),
            )
            .await;
        assert_eq!(invite.status, 403);
    }
    // Still signed in, nothing invited.
    let list = browser.get("/connections").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("No connections to show."));
}
