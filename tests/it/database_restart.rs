//! A PostgreSQL crash (`pg_ctl stop -m immediate`, then recovery) while invitations, emails and
//! history entries flow: nothing lost, nothing doubled. Runs on a private cluster
//! (`tests::private_postgres`), never on the shared server.

use chrono::Utc;
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::eventually;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::private_postgres::PrivatePostgres;

const CONNECTIONS: usize = 20;
const EVENTS: usize = 300;

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_crash_while_emails_and_events_flow_loses_nothing_and_doubles_nothing() {
    let pg = Arc::new(PrivatePostgres::start());
    shared::db::ensure_database(&pg.url("postgres"), "partnernet")
        .await
        .expect("a database");
    let url = pg.url("partnernet");
    shared::db::run_migrations(&url, partnernet::all_migrations())
        .await
        .expect("migrated");
    let app = TestApp::spawn_with(|env| {
        env.insert("DATABASE_URL".into(), url);
    })
    .await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app
        .create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;

    // Connections over HTTP: each makes an invitation email and, once sent, a history entry.
    let mut connection_ids = Vec::new();
    for i in 0..CONNECTIONS {
        let created: Value = app
            .post(
                "/v1/connections",
                Some(&acme.key),
                &json!({ "contact": { "name": "Gina", "email": format!("gina{i}@globex.example") },
                         "owner_user_id": owner }),
            )
            .await
            .json()
            .await
            .expect("a connection");
        connection_ids.push(created["id"].as_str().expect("an id").to_string());
    }
    // Events straight to the broker, flowing through the crash.
    let publisher = app.publisher.clone();
    let topology = app.topology().clone();
    let org = acme.id;
    let publishing = tokio::spawn(async move {
        for i in 0..EVENTS {
            let event = InvitationSentV1 {
                connection_id: ConnectionId::new(),
                inviter_org_name: "Acme Corp".into(),
                contact_name: format!("Contact {i}"),
                contact_email: format!("contact{i}@initech.example"),
                accept_url: "https://partnernet.test/invitations/accept?token=t".into(),
                expires_at: Utc::now(),
            };
            publisher
                .publish(&topology, &Envelope::new(org, event))
                .await
                .expect("published");
        }
    });
    eventually("emails flowing", Duration::from_secs(30), || async {
        (app.smtp.received().len() >= 40).then_some(())
    })
    .await;
    let crashing = pg.clone();
    tokio::task::spawn_blocking(move || crashing.crash_and_restart())
        .await
        .expect("crashed and restarted");
    publishing.await.expect("every event published");

    let expected = CONNECTIONS + EVENTS;
    eventually("every email", Duration::from_secs(120), || async {
        (per_recipient(&app).len() >= expected).then_some(())
    })
    .await;
    app.wait_idle().await;
    let counts = per_recipient(&app);
    let lost = expected - counts.len();
    let doubled = counts.values().filter(|n| **n > 1).count();

    let mut history_doubled = 0;
    let mut history_lost = 0;
    for id in &connection_ids {
        let page: Value = app
            .get(
                &format!("/v1/connections/{id}/history?limit=200"),
                Some(&acme.key),
            )
            .await
            .json()
            .await
            .expect("a history");
        let sent = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["kind"] == "EmailSent")
            .count();
        history_lost += usize::from(sent == 0);
        history_doubled += usize::from(sent > 1);
    }
    println!(
        "emails: lost {lost}, doubled {doubled}; EmailSent history entries: lost {history_lost}, doubled {history_doubled}"
    );
    assert_eq!((lost, doubled), (0, 0), "emails");
    assert_eq!((history_lost, history_doubled), (0, 0), "history entries");
    app.stop().await;
}

/// How many emails each recipient received.
fn per_recipient(app: &TestApp) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for email in app.smtp.received() {
        for recipient in email.rcpt_to {
            *counts.entry(recipient).or_default() += 1;
        }
    }
    counts
}
