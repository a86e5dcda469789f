use diesel_async::RunQueryDsl;
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::eventually;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::probe::{self, ProbeV1};

fn count(sql: &'static str) -> diesel::query_builder::SqlQuery {
    diesel::sql_query(sql)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivered_invitation_event_sends_one_email_and_stores_one_row() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let event = Envelope::new(
        acme.id,
        InvitationSentV1 {
            connection_id: ConnectionId::new(),
            inviter_org_name: "Acme Corp".into(),
            contact_name: "Bo".into(),
            contact_email: "bo@globex.example".into(),
            accept_url: "https://partnernet.test/invitations/accept?token=t".into(),
            expires_at: chrono::Utc::now(),
        },
    );
    app.publisher
        .publish(app.topology(), &event)
        .await
        .expect("published");
    app.publisher
        .publish(app.topology(), &event)
        .await
        .expect("published again");
    app.wait_idle().await;

    assert_eq!(app.smtp.received_by("bo@globex.example").len(), 1);
    let mut conn = app.pool().get().await.expect("a connection");
    let emails: i64 = count("SELECT count(*) AS n FROM notification.emails")
        .get_result(&mut conn)
        .await
        .map(|r: shared::db::CountRow| r.n)
        .expect("count");
    assert_eq!(emails, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_delivered_twice_has_its_effect_once() {
    let app = TestApp::spawn().await;
    probe::create_effects_table(&app).await;
    let log = Arc::new(probe::AttemptLog::default());
    let (stop, handle) = probe::start(&app, log.clone()).await;
    let envelope = Envelope::new(shared::ids::OrgId::new(), ProbeV1::ok(7));
    for _ in 0..3 {
        probe::publish_envelope(&app, &envelope).await;
    }
    eventually(
        "the first delivery handled",
        Duration::from_secs(20),
        || async { (!log.attempts(7).is_empty()).then_some(()) },
    )
    .await;
    app.wait_idle().await;
    assert_eq!(probe::effects(&app).await, vec![7]);
    assert_eq!(
        log.attempts(7).len(),
        1,
        "the handler ran once; the inbox absorbed the rest"
    );
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}
