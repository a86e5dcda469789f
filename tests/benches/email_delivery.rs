//! Emails per second delivered to a local SMTP server: PartnerNet's whole path (event published →
//! `emails` consumer renders and queues → delivery workers send over SMTP) beside plain lettre
//! loops sending the same emails to the same server, in the same run. The plain loops use
//! lettre's connection over a `TCP_NODELAY` socket, as PartnerNet does (lettre 0.11.23's own
//! transport leaves Nagle on; its figure is printed too, as "stock").
//!
//!     cargo bench -p tests --bench email_delivery            # 2000 emails
//!     EMAILS=5000 cargo bench -p tests --bench email_delivery
//!
//! Needs the test servers (PostgreSQL, RabbitMQ) like the tests do.

use chrono::Utc;
use lettre::message::MultiPart;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::{SmtpSink, eventually};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::TestApp;

const WORKERS: usize = 4;
/// Events published per confirmed batch in the whole-path run.
const PUBLISH_BATCH: usize = 200;

fn emails() -> usize {
    std::env::var("EMAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn event(n: usize) -> InvitationSentV1 {
    InvitationSentV1 {
        connection_id: ConnectionId::new(),
        inviter_org_name: "Acme Corp".into(),
        contact_name: format!("Contact {n}"),
        contact_email: format!("contact{n}@initech.example"),
        accept_url: format!("https://partnernet.test/invitations/accept?token=token{n}"),
        expires_at: Utc::now(),
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n = emails();
    let pipeline = partnernet_pipeline(n).await?;
    let delivery = partnernet_delivery(n).await?;
    let sample = rendered_sample()?;
    let sequential = plain_lettre(n, 1, &sample).await?;
    let parallel = plain_lettre(n, WORKERS, &sample).await?;
    let stock = stock_lettre(n.min(500), WORKERS, &sample).await?;
    println!("emails: {n}, SMTP server: in-process sink on 127.0.0.1, pool and workers: {WORKERS}");
    println!("partnernet (event -> consumer -> email outbox -> SMTP): {pipeline:>8.0} emails/s");
    println!("partnernet delivery only (email outbox -> SMTP):        {delivery:>8.0} emails/s");
    println!(
        "plain lettre loop, {WORKERS} tasks, TCP_NODELAY connections:  {parallel:>8.0} emails/s"
    );
    println!("plain lettre loop, 1 task, TCP_NODELAY connection:      {sequential:>8.0} emails/s");
    println!("stock lettre 0.11.23 transport, {WORKERS} tasks (Nagle on):   {stock:>8.0} emails/s");
    println!(
        "ratio partnernet / plain lettre ({WORKERS} tasks):             {:>8.2}",
        pipeline / parallel
    );
    println!(
        "ratio partnernet delivery / plain lettre ({WORKERS} tasks):    {:>8.2}",
        delivery / parallel
    );
    // Issue 8's goal is stated against the stock transport (Nagle on), as PartnerNet sent before.
    println!(
        "ratio partnernet / stock lettre:                           {:>8.1}",
        pipeline / stock
    );
    println!(
        "ratio partnernet delivery / stock lettre:                  {:>8.1}",
        delivery / stock
    );
    Ok(())
}

/// Publishes `n` invitation events (in confirmed batches) and times until the SMTP server holds
/// `n` emails.
async fn partnernet_pipeline(n: usize) -> anyhow::Result<f64> {
    let app = TestApp::spawn_with(|env| {
        env.insert("EMAIL_DELIVERY_WORKERS".into(), WORKERS.to_string());
        env.insert("SMTP_POOL_SIZE".into(), WORKERS.to_string());
        env.insert("RUST_LOG".into(), "error".into());
    })
    .await;
    let org = app.create_org("Acme Corp").await;
    // Published as an upstream system would under load: in confirmed batches, not one
    // round trip per event.
    let batch: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let envelope = Envelope::new(org.id, event(i));
            let key = shared::amqp::partitions::routing_key_for_envelope(&envelope);
            Ok((key, serde_json::to_vec(&envelope)?))
        })
        .collect::<anyhow::Result<_>>()?;
    let exchange = app.topology().events_exchange();
    let start = Instant::now();
    for chunk in batch.chunks(PUBLISH_BATCH) {
        app.publisher
            .publish_batch(&exchange, chunk, "email bench")
            .await?;
    }
    eventually(
        "every email delivered",
        Duration::from_secs(600),
        || async { (app.smtp.received().len() >= n).then_some(()) },
    )
    .await;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    app.stop().await;
    Ok(rate)
}

/// Commits `n` queued emails in one transaction and times the delivery workers sending them all.
async fn partnernet_delivery(n: usize) -> anyhow::Result<f64> {
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn_with(|env| {
        env.insert("EMAIL_DELIVERY_WORKERS".into(), WORKERS.to_string());
        env.insert("SMTP_POOL_SIZE".into(), WORKERS.to_string());
        env.insert("RUST_LOG".into(), "error".into());
    })
    .await;
    let sample = rendered_sample()?;
    let mut conn = app.pool().get().await?;
    let start = Instant::now();
    diesel::sql_query(
        "INSERT INTO notification.emails (id, org_id, kind, recipient, from_header, subject, \
         text_body, html_body, source_message_id) \
         SELECT gen_random_uuid(), gen_random_uuid(), 'invitation', \
                'contact' || i || '@initech.example', 'PartnerNet <no-reply@partnernet.localhost>', \
                $1, $2, $3, gen_random_uuid() FROM generate_series(1, $4) AS i",
    )
    .bind::<diesel::sql_types::Text, _>(&sample.subject)
    .bind::<diesel::sql_types::Text, _>(&sample.text)
    .bind::<diesel::sql_types::Text, _>(&sample.html)
    .bind::<diesel::sql_types::Integer, _>(i32::try_from(n)?)
    .execute(&mut conn)
    .await?;
    eventually(
        "every email delivered",
        Duration::from_secs(600),
        || async { (app.smtp.received().len() >= n).then_some(()) },
    )
    .await;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    app.stop().await;
    Ok(rate)
}

/// The invitation email as PartnerNet renders it, to send the same bytes in the plain loops.
fn rendered_sample() -> anyhow::Result<notification::templates::Rendered> {
    let templates = notification::templates::Templates::defaults();
    let rendered = templates
        .render(
            "invitation",
            None,
            &serde_json::json!({
                "inviter_org_name": "Acme Corp", "sender_org_name": "Acme Corp",
                "contact_name": "Contact 1",
                "accept_url": "https://partnernet.test/invitations/accept?token=token1",
                "expires_on": "23 December 2026",
            }),
        )
        .map_err(|p| anyhow::anyhow!("{p}"))?;
    Ok(rendered)
}

/// Sends `n` emails with lettre's stock pooled transport from `tasks` concurrent loops.
async fn stock_lettre(
    n: usize,
    tasks: usize,
    sample: &notification::templates::Rendered,
) -> anyhow::Result<f64> {
    let sink = SmtpSink::start().await?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url())?
        .pool_config(PoolConfig::new().max_size(tasks as u32))
        .build();
    let sample = Arc::new(sample.clone());
    let start = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (transport, sample) = (transport.clone(), sample.clone());
        handles.push(tokio::spawn(async move {
            let mut i = task;
            while i < n {
                let message = Message::builder()
                    .from("PartnerNet <no-reply@partnernet.localhost>".parse()?)
                    .to(format!("contact{i}@initech.example").parse()?)
                    .subject(sample.subject.clone())
                    .multipart(MultiPart::alternative_plain_html(
                        sample.text.clone(),
                        sample.html.clone(),
                    ))?;
                transport.send(message).await?;
                i += tasks;
            }
            anyhow::Ok(())
        }));
    }
    for handle in handles {
        handle.await??;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    anyhow::ensure!(sink.received().len() == n, "every email arrived");
    Ok(rate)
}

/// Sends `n` emails from `tasks` concurrent loops, each on its own lettre connection opened over
/// a `TCP_NODELAY` socket (the same fix PartnerNet's pool applies).
async fn plain_lettre(
    n: usize,
    tasks: usize,
    sample: &notification::templates::Rendered,
) -> anyhow::Result<f64> {
    use lettre::transport::smtp::client::AsyncSmtpConnection;
    use lettre::transport::smtp::extension::ClientId;
    let sink = SmtpSink::start().await?;
    let sample = Arc::new(sample.clone());
    let start = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (sample, port) = (sample.clone(), sink.port);
        handles.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
                    .await?;
            let mut i = task;
            while i < n {
                let message = Message::builder()
                    .from("PartnerNet <no-reply@partnernet.localhost>".parse()?)
                    .to(format!("contact{i}@initech.example").parse()?)
                    .subject(sample.subject.clone())
                    .multipart(MultiPart::alternative_plain_html(
                        sample.text.clone(),
                        sample.html.clone(),
                    ))?;
                connection
                    .send(message.envelope(), &message.formatted())
                    .await?;
                i += tasks;
            }
            anyhow::Ok(())
        }));
    }
    for handle in handles {
        handle.await??;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    anyhow::ensure!(sink.received().len() == n, "every email arrived");
    Ok(rate)
}
