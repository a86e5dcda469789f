//! The sync failures page shows only the signed-in user's org: a third org's session gets
//! "not found" on a connection's failures, reading or replaying, and the failure stays Failed;
//! an unknown connection or a malformed id is "not found" too.

use crate::field_sync_reports::failed_update;
use crate::field_sync_support::entries;
use crate::web_support::sign_in;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_a_third_orgs_session_gets_404_on_sync_failures_and_replays_nothing() {
    let app = TestApp::spawn().await;
    let (l, update_id) = failed_update(&app).await;
    let initech = app.create_org("Initech").await;
    app.create_user(&initech, "Ian Initech", "ian@initech.example")
        .await;
    let ian = sign_in(&app, "ian@initech.example", 1).await;
    let csrf = ian.get("/connections").await.csrf();
    let path = format!("/connections/{}/sync-failures", l.n.id);

    for url in [
        path.clone(),
        format!("{path}?replayed={update_id}"),
        format!("/connections/{}/sync-failures", uuid::Uuid::new_v4()),
        "/connections/not-a-uuid/sync-failures".to_string(),
    ] {
        let page = ian.get(&url).await;
        assert_eq!(page.status, 404, "{url}");
        assert!(!page.body.contains("555-0100-99") && !page.body.contains(&l.copy));
    }
    for fields in [
        vec![("csrf", csrf.as_str())],
        vec![("csrf", csrf.as_str()), ("update_id", update_id.as_str())],
    ] {
        let page = ian.post(&path, &fields).await;
        assert_eq!(page.status, 404, "{}", page.body);
    }
    let query = format!("connection_id={}&failed_only=true", l.n.id);
    let still = entries(&app, l.n.globex(), &query).await;
    assert_eq!(still.len(), 1, "{still:?}");
    assert_eq!(still[0]["attempts"], 1, "{still:?}");
    app.stop().await;
}
