//! `kill -9` of a process sending emails: nothing is lost, and what is sent twice stays within
//! the bound of `docs/architecture.md` ("Duplicate bound": at most 8 per delivery worker).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use notification::schema::emails;
use shared::testing::eventually;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;
use tests::TestApp;
use tests::gateway::{free_port, partnernet_binary};
use tokio::process::{Child, Command};

const EMAILS: usize = 1500;
const WORKERS: usize = 4;
/// Sent emails a worker may leave unrecorded when it dies: one record in progress and as many
/// sent since (`docs/architecture.md`, "Duplicate bound").
const BOUND_PER_WORKER: usize = 2 * notification::delivery::RECORD_AHEAD;

/// `partnernet serve notification` on the app's database, queues and SMTP sink, with a short
/// lease so that a dead worker's emails are due again within the test.
fn sender_process(app: &TestApp) -> Child {
    Command::new(partnernet_binary())
        .args(["serve", "notification"])
        .env("DATABASE_URL", app.database_url())
        .env("AMQP_URL", app.amqp_url())
        .env("QUEUE_PREFIX", app.topology().prefix())
        .env("SMTP_URL", app.smtp.url())
        .env("HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("EMAIL_DELIVERY_WORKERS", WORKERS.to_string())
        .env("EMAIL_LEASE_SECS", "3")
        .env("EMAIL_POLL_MS", "20")
        .env("DB_POOL_SIZE", "8")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("partnernet serve notification started")
}

/// How many times each recipient got its email.
fn received_per_recipient(app: &TestApp) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for email in app.smtp.received() {
        for to in email.rcpt_to {
            *counts.entry(to).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_a_sending_process_loses_no_email_and_doubles_at_most_the_bound() {
    // The app's own notification service sends nothing: only the child processes do.
    let app = TestApp::spawn_with(|env| {
        env.insert("EMAIL_DELIVERY_WORKERS".into(), "0".into());
    })
    .await;
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query(
        "INSERT INTO notification.emails (id, org_id, kind, recipient, from_header, subject, \
         text_body, html_body, source_message_id) \
         SELECT gen_random_uuid(), gen_random_uuid(), 'invitation', \
                'contact' || i || '@initech.example', 'PartnerNet <no-reply@partnernet.localhost>', \
                'Subject ' || i, 'Text', '<p>Html</p>', gen_random_uuid() \
         FROM generate_series(1, $1) AS i",
    )
    .bind::<diesel::sql_types::Integer, _>(EMAILS as i32)
    .execute(&mut conn)
    .await
    .expect("emails queued");

    let mut first = sender_process(&app);
    eventually(
        "a fifth of the emails sent",
        Duration::from_secs(60),
        || async { (app.smtp.received().len() >= EMAILS / 5).then_some(()) },
    )
    .await;
    first.start_kill().expect("SIGKILL sent");
    first.wait().await.expect("the killed process reaped");
    let at_kill = app.smtp.received().len();

    let _second = sender_process(&app);
    eventually(
        "every email recorded as sent",
        Duration::from_secs(120),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            let unsent: i64 = emails::table
                .filter(emails::status.ne("sent"))
                .count()
                .get_result(&mut conn)
                .await
                .ok()?;
            (unsent == 0).then_some(())
        },
    )
    .await;

    let counts = received_per_recipient(&app);
    let lost = (1..=EMAILS)
        .filter(|i| !counts.contains_key(&format!("contact{i}@initech.example")))
        .count();
    let doubled: usize = counts.values().map(|n| n - 1).sum();
    eprintln!("killed after {at_kill} emails; lost {lost}, sent twice {doubled}");
    assert_eq!(lost, 0, "no email lost");
    assert!(
        counts.values().all(|n| *n <= 2),
        "no email sent more than twice"
    );
    assert!(
        doubled <= WORKERS * BOUND_PER_WORKER,
        "{doubled} emails sent twice, over the bound of {}",
        WORKERS * BOUND_PER_WORKER
    );
    app.stop().await;
}
