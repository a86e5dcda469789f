//! Handlers that panic, wait on a row lock, or get a message too large or invalid.

use diesel_async::SimpleAsyncConnection;
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::eventually;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::steps::{self, StepLog, StepV1};

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_dead_letters_its_message_and_the_consumer_goes_on() {
    let app = TestApp::spawn().await;
    steps::create_tables(&app).await;
    let (stop, handle) = steps::start(&app, Arc::new(StepLog::default())).await;
    let mut bad = StepV1::new("a", 1);
    bad.panic = true;
    steps::publish(&app, &[steps::envelope(bad)]).await;
    let letters = eventually(
        "the panic dead-lettered",
        Duration::from_secs(20),
        || async {
            let letters = steps::dead_letters(&app).await;
            (!letters.is_empty()).then_some(letters)
        },
    )
    .await;
    assert!(
        letters[0].reason.contains("panicked"),
        "{}",
        letters[0].reason
    );

    steps::publish(&app, &[steps::envelope(StepV1::new("a", 2))]).await;
    eventually(
        "the next message handled",
        Duration::from_secs(20),
        || async { (steps::effects(&app).await.len() == 1).then_some(()) },
    )
    .await;
    let component = format!(
        "consumer {}",
        app.topology().work_queue(steps::SERVICE, steps::CONSUMER)
    );
    assert!(app.platform.health.is_up(&component));
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_stuck_on_a_row_lock_times_out_and_its_message_is_retried() {
    let app = TestApp::spawn_with(|env| {
        env.insert("DB_LOCK_TIMEOUT_MS".into(), "300".into());
    })
    .await;
    steps::create_tables(&app).await;
    let log = Arc::new(StepLog::default());
    let (stop, handle) = steps::start(&app, log.clone()).await;

    let mut locker = steps::hold_step_lock(&app).await;
    let id = steps::publish_lock_step(&app, &log, "a", 1).await;
    eventually(
        "a second try after the lock timeout",
        Duration::from_secs(20),
        || async { (log.tries(id) >= 2).then_some(()) },
    )
    .await;
    assert!(
        steps::effects(&app).await.is_empty(),
        "no effect while locked"
    );
    locker.batch_execute("COMMIT").await.expect("lock released");

    eventually("the message handled", Duration::from_secs(20), || async {
        (steps::effects(&app).await.len() == 1).then_some(())
    })
    .await;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        n: i32,
    }
    let mut conn = app.pool().get().await.expect("a connection");
    let row: Row = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT n FROM step_lock WHERE id = 1"),
        &mut conn,
    )
    .await
    .expect("lock row");
    assert_eq!(row.n, 1, "updated once");
    assert!(steps::dead_letters(&app).await.is_empty());
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_that_hangs_past_the_handler_timeout_is_retried_then_dead_lettered() {
    let app = TestApp::spawn_with(|env| {
        env.insert("HANDLER_TIMEOUT_MS".into(), "200".into());
    })
    .await;
    steps::create_tables(&app).await;
    let log = Arc::new(StepLog::default());
    let (stop, handle) = steps::start(&app, log.clone()).await;
    let mut step = StepV1::new("a", 1);
    step.hang_ms = 60_000;
    let envelope = steps::envelope(step);
    steps::publish(&app, std::slice::from_ref(&envelope)).await;
    let letters = eventually(
        "the hung message dead-lettered",
        Duration::from_secs(30),
        || async {
            let letters = steps::dead_letters(&app).await;
            (!letters.is_empty()).then_some(letters)
        },
    )
    .await;
    assert!(
        letters[0].reason.contains("took longer than 200ms"),
        "{}",
        letters[0].reason
    );
    // The first attempt and each retry of the test schedule (200, 400, 800 ms).
    assert_eq!(log.tries(envelope.message_id.as_uuid()), 4);
    assert!(steps::effects(&app).await.is_empty());
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}

fn invitation(contact_name: String) -> InvitationSentV1 {
    InvitationSentV1 {
        connection_id: ConnectionId::new(),
        inviter_org_name: "Acme Corp".into(),
        contact_name,
        contact_email: "bo@globex.example".into(),
        accept_url: "https://partnernet.test/invitations/accept?token=t".into(),
        expires_at: chrono::Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_2_mb_invitation_event_is_dead_lettered_with_its_reason_and_sends_no_email() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let huge = Envelope::new(acme.id, invitation("B".repeat(2 * 1024 * 1024)));
    app.publisher
        .publish(app.topology(), &huge)
        .await
        .expect("published");
    let letters = eventually(
        "the event dead-lettered",
        Duration::from_secs(20),
        || async {
            let letters = shared::amqp::dead_letters::list(
                app.amqp_url(),
                app.topology(),
                "notification",
                10,
            )
            .await
            .ok()?;
            (!letters.is_empty()).then_some(letters)
        },
    )
    .await;
    assert!(
        letters[0].reason.contains("exceeds this consumer's limit"),
        "{}",
        letters[0].reason
    );
    app.wait_idle().await;
    assert!(app.smtp.received_by("bo@globex.example").is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_event_breaking_the_http_rules_is_dead_lettered_before_any_handler() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    // Small enough for the size limit, but a name HTTP would refuse (over 200 characters).
    let long = Envelope::new(acme.id, invitation("B".repeat(201)));
    app.publisher
        .publish(app.topology(), &long)
        .await
        .expect("published");
    let letters = eventually(
        "the event dead-lettered",
        Duration::from_secs(20),
        || async {
            let letters = shared::amqp::dead_letters::list(
                app.amqp_url(),
                app.topology(),
                "notification",
                10,
            )
            .await
            .ok()?;
            (!letters.is_empty()).then_some(letters)
        },
    )
    .await;
    assert!(
        letters[0]
            .reason
            .contains("contact_name must be at most 200 characters"),
        "{}",
        letters[0].reason
    );
    app.wait_idle().await;
    assert!(app.smtp.received_by("bo@globex.example").is_empty());
    app.stop().await;
}
