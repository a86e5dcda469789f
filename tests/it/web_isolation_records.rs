//! The record pages show only the signed-in user's org: a third org's session on each URL of
//! Acme's record and Globex's inbox gets "not found" and changes nothing; a visitor is sent to
//! sign in.

use crate::links_support::{account, forward_one, inbox, inbox_entry, net, sharing};
use crate::web_support::{WebClient, sign_in};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_records_a_third_orgs_session_gets_404_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Secret Initrode").await;
    assert_eq!(
        forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await["outcome"],
        "forwarded"
    );
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let entry_id = entry["id"].as_str().expect("an id").to_string();
    let initech = app.create_org("Initech").await;
    app.create_user(&initech, "Ian Initech", "ian@initech.example")
        .await;

    let ian = sign_in(&app, "ian@initech.example", 1).await;
    let own = ian.get("/records/inbox").await;
    assert_eq!(own.status, 200);
    assert!(!own.body.contains("Secret Initrode") && !own.body.contains(&entry_id));
    let csrf = own.csrf();
    let urls = [
        "/records/Account/acc-1".to_string(),
        format!("/records/Account/acc-1/stop?connection_id={}", n.id),
        format!("/records/Account/{entry_id}"),
    ];
    for url in &urls {
        let page = ian.get(url).await;
        assert_eq!(page.status, 404, "{url}");
        assert!(!page.body.contains("Secret Initrode") && !page.body.contains("Globex"));
    }
    let posts: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "/records/Account/acc-1/forward",
            vec![("step", "confirm"), ("connection_id", &n.id)],
        ),
        (
            "/records/Account/acc-1/stop",
            vec![("connection_id", &n.id)],
        ),
        (
            "/records/inbox",
            vec![("action", "accept"), ("id", &entry_id)],
        ),
        (
            "/records/inbox",
            vec![("action", "reject"), ("id", &entry_id)],
        ),
    ];
    for (path, fields) in &posts {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields.iter().copied());
        let page = ian.post(path, &form).await;
        assert_eq!(page.status, 404, "{path} {fields:?}: {}", page.body);
        assert!(!page.body.contains("Secret Initrode"));
    }

    // Nothing changed: the offer still waits in Globex's inbox, Acme's link is still pending.
    app.wait_idle().await;
    let waiting = inbox(&app, n.globex()).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["state"], "waiting");
    let links = sharing(&app, n.acme(), "Account", "acc-1").await;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["status"], "Pending (sent)");

    // A visitor is sent to sign in, and sees nothing.
    let visitor = WebClient::new(&app);
    for url in urls.iter().chain([&"/records/inbox".to_string()]) {
        let page = visitor.get(url).await;
        assert_eq!(page.status, 303, "{url}");
        assert!(
            page.location
                .as_deref()
                .unwrap_or_default()
                .starts_with("/sign-in?next=")
        );
    }
}
