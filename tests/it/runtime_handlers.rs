//! A handler is tested against a real database, without a broker: `ConsumerSpec::handle_now`.

use diesel_async::RunQueryDsl;
use partnernet::AllConfig;
use shared::ids::ConnectionId;
use shared::inbox::InboxOutcome;
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::TestDatabase;
use std::collections::HashMap;

#[tokio::test(flavor = "multi_thread")]
async fn the_invitation_email_handler_runs_on_a_real_database_without_a_broker() {
    let db = TestDatabase::create(partnernet::all_migrations())
        .await
        .expect("a test database");
    let pool = shared::db::pool(&db.url, 2).expect("a pool");
    let mut conn = pool.get().await.expect("a connection");
    let org = shared::identity::create_org(&mut conn, "Acme Corp")
        .await
        .expect("org created");
    let config = AllConfig::from_source(&HashMap::<String, String>::new()).expect("defaults");
    let emails = notification::consumers(&config.notification).remove(0);
    let event = Envelope::new(
        org.org_id,
        InvitationSentV1 {
            connection_id: ConnectionId::new(),
            inviter_org_name: "Acme Corp".into(),
            contact_name: "Bo".into(),
            contact_email: "bo@globex.example".into(),
            accept_url: "https://partnernet.test/invitations/accept?token=t".into(),
            expires_at: chrono::Utc::now(),
        },
    );

    let first = emails.handle_now(&mut conn, &event).await.expect("handled");
    let again = emails.handle_now(&mut conn, &event).await.expect("handled");

    assert_eq!(
        (first, again),
        (InboxOutcome::New, InboxOutcome::AlreadyHandled)
    );
    let queued: shared::db::CountRow = diesel::sql_query(
        "SELECT count(*) AS n FROM notification.emails WHERE recipient = 'bo@globex.example'",
    )
    .get_result(&mut conn)
    .await
    .expect("counted");
    assert_eq!(queued.n, 1);
}
