//! A connection's sync failures page over HTTP: a refused update is listed with its record,
//! fields, error and attempts, for the receiver with a Replay button and for the sender without;
//! replaying all of the connection after the cause is removed shows the outcome Applied and
//! leaves no failure. A bad update id is an error page naming the field; a POST without the
//! CSRF field is refused.

use crate::field_sync_reports::{failed_update, remove_the_cause};
use crate::web_support::{WebClient, sign_in};
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

async fn page_where(client: &WebClient, path: &str, what: &str, text: &str) -> String {
    eventually(what, Duration::from_secs(20), || async {
        let page = client.get(path).await;
        (page.status == 200 && page.body.contains(text)).then_some(page.body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn web_sync_failures_are_listed_and_replayed_with_their_outcome() {
    let app = TestApp::spawn().await;
    let (l, update_id) = failed_update(&app).await;
    let id = &l.n.id;
    let path = format!("/connections/{id}/sync-failures");

    let gus = sign_in(&app, "gus@globex.example", 1).await;
    let connection = gus.get(&format!("/connections/{id}")).await;
    assert!(connection.body.contains(&path), "{}", connection.body);
    let page = gus.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("failure-entries"), "{}", page.body);
    assert!(page.body.contains("Code__c = 555-0100-99"), "{}", page.body);
    assert!(page.body.contains(&l.copy), "{}", page.body);
    assert!(page.body.contains(&format!("replay-{update_id}")));
    let csrf = page.csrf();

    // The sender sees the failure, not a Replay button: only the receiver replays.
    let olga = sign_in(&app, "olga@acme.example", 1).await;
    let sent = olga.get(&path).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(
        sent.body.contains("Your partner can replay it"),
        "{}",
        sent.body
    );
    assert!(!sent.body.contains(&format!("replay-{update_id}")));

    // No CSRF field: refused, nothing replayed. A malformed update id: the field named.
    let forged = gus.post(&path, &[("update_id", &update_id)]).await;
    assert!((400..500).contains(&forged.status), "{}", forged.status);
    let bad = gus
        .post(&path, &[("csrf", &csrf), ("update_id", "nope")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("the update id must be a UUID"),
        "{}",
        bad.body
    );
    assert!(gus.get(&path).await.body.contains("Code__c = 555-0100-99"));

    remove_the_cause(&app, &l).await;
    let replayed = gus.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(replayed.status, 303, "{}", replayed.body);
    let outcome = replayed.location.expect("to the failures page");
    assert!(outcome.starts_with(&path) && outcome.contains(&update_id));
    let body = page_where(&gus, &outcome, "the outcome Applied", "Applied</strong>").await;
    assert!(body.contains("1 update was replayed."), "{body}");
    assert!(body.contains("No failed updates"), "{body}");
    app.stop().await;
}
