//! The email lease: claimed and committed before the send, recorded after it; and SMTP replies
//! stored with their addresses masked.

use super::publish;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use notification::schema::emails;
use shared::ids::ConnectionId;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::{SmtpReply, TcpProxy, eventually};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tests::TestApp;

fn invitation(email: &str) -> InvitationSentV1 {
    InvitationSentV1 {
        connection_id: ConnectionId::new(),
        inviter_org_name: "Acme Corp".into(),
        contact_name: "Ann".into(),
        contact_email: email.into(),
        accept_url: "https://partnernet.test/invitations/accept?token=tok".into(),
        expires_at: Utc::now(),
    }
}

async fn statuses(app: &TestApp) -> Vec<(String, Option<String>)> {
    let mut conn = app.pool().get().await.expect("a connection");
    emails::table
        .select((emails::status, emails::last_error))
        .load(&mut conn)
        .await
        .expect("emails read")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_is_sent_once_when_postgres_drops_while_the_smtp_server_is_accepting_it() {
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().expect("an address"))
        .await
        .expect("a proxy");
    let port = proxy.port;
    let app = TestApp::spawn_with(|env| {
        if let Some(url) = env.get_mut("DATABASE_URL") {
            *url = url.replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"));
        }
    })
    .await;
    let acme = app.create_org("Acme Corp").await;
    let cut_once = Arc::new(AtomicBool::new(false));
    let (hook_proxy, hook_cut) = (proxy.clone(), cut_once.clone());
    // PostgreSQL goes away after the server has the email and before it says 250.
    app.smtp.on_data(move || {
        if !hook_cut.swap(true, Ordering::SeqCst) {
            hook_proxy.cut();
        }
    });
    publish(&app, &acme, invitation("ann@initech.example")).await;
    eventually("the email's data sent", Duration::from_secs(20), || async {
        AtomicBool::load(&cut_once, Ordering::SeqCst).then_some(())
    })
    .await;
    proxy.restore();

    eventually(
        "the email recorded as sent",
        Duration::from_secs(30),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            let status: String = emails::table
                .select(emails::status)
                .first(&mut conn)
                .await
                .ok()?;
            (status == "sent").then_some(())
        },
    )
    .await;
    app.wait_idle().await;
    assert_eq!(app.smtp.received_by("ann@initech.example").len(), 1);
    assert_eq!(app.smtp.data_attempts(), 1, "never sent again");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_the_smtp_server_repeats_in_its_refusal_is_stored_masked() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    app.smtp.script(&[SmtpReply::RejectNamingTheAddress550]);
    publish(&app, &acme, invitation("someone@initech.example")).await;
    let error = eventually("the failure recorded", Duration::from_secs(20), || async {
        statuses(&app)
            .await
            .into_iter()
            .find(|(status, _)| status == "failed")
            .and_then(|(_, error)| error)
    })
    .await;
    assert!(error.contains("s***@initech.example"), "{error}");
    assert!(!error.contains("someone@"), "{error}");
    app.wait_idle().await;
    app.stop().await;
}
