//! A page shows only the signed-in user's org: a third org's session on each URL of the first
//! org's connection gets "not found" and changes nothing; a visitor sees nothing at all.

use crate::web_support::{WebClient, acme_connection_and_an_outsider, sign_in};
use serde_json::Value;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_a_third_orgs_session_gets_404_on_each_url_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (acme, id) = acme_connection_and_an_outsider(
        &app,
        ("Secret Partner", "secret@globex.example"),
        "Hidden Account",
    )
    .await;

    let ian = sign_in(&app, "ian@initech.example", 1).await;
    let csrf = ian.get("/connections").await.csrf();
    let urls = [
        format!("/connections/{id}"),
        format!("/connections/{id}?kind=StatusChanged"),
        format!("/connections/{id}/history.csv"),
        format!("/connections/{id}/cancel"),
        format!("/connections/{id}/resend"),
        format!("/connections/{id}/deactivate"),
        format!("/connections/{id}/edit"),
    ];
    for url in &urls {
        let page = ian.get(url).await;
        assert_eq!(page.status, 404, "{url}");
        assert!(!page.body.contains("Secret Partner") && !page.body.contains("Hidden Account"));
    }
    for action in [
        "cancel",
        "resend",
        "deactivate",
        "accept",
        "decline",
        "decide-later",
        "edit",
    ] {
        let page = ian
            .post(&format!("/connections/{id}/{action}"), &[("csrf", &csrf)])
            .await;
        assert_eq!(page.status, 404, "{action}");
    }
    let list = ian.get("/connections").await;
    assert!(!list.body.contains(&id) && !list.body.contains("Secret Partner"));

    // Nothing changed: still Sent, one email (the invitation).
    let view: Value = app
        .get(&format!("/v1/connections/{id}"), Some(&acme.key))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(view["status"], "Sent");
    app.wait_idle().await;
    assert_eq!(app.smtp.received_by("secret@globex.example").len(), 1);

    // A visitor is sent to sign in from every page, and sees none of the connection.
    let visitor = WebClient::new(&app);
    for url in urls
        .iter()
        .chain([&"/connections".to_string(), &"/connections/new".to_string()])
    {
        let page = visitor.get(url).await;
        assert_eq!(page.status, 303, "{url}");
        assert!(
            page.location
                .as_deref()
                .unwrap_or_default()
                .starts_with("/sign-in?next=")
        );
        assert!(!page.body.contains("Secret Partner"));
    }
    let post = visitor
        .post(&format!("/connections/{id}/cancel"), &[("csrf", "x")])
        .await;
    assert_eq!(
        (post.status, post.location.as_deref()),
        (303, Some("/sign-in"))
    );
    let root = visitor.get("/").await;
    assert_eq!(root.location.as_deref(), Some("/connections"));
}
