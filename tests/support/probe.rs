//! A probe: a message type and handler that exist only in tests, to drive the consumer runtime
//! through transient failures, permanent failures, slow work and broker loss.

use crate::TestApp;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde::{Deserialize, Serialize};
use shared::consumer::{ConsumerSpec, Context, Handler, Handlers};
use shared::error::HandlerError;
use shared::message::{Envelope, Message};
use shared::service::ServiceParts;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SERVICE: &str = "probe";
pub const CONSUMER: &str = "work";

/// A test message. Its handler fails as it asks, then writes a row to `probe_effects`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProbeV1 {
    pub n: i64,
    /// Fail transiently on this many attempts before succeeding.
    pub transient_failures: u32,
    /// Fail permanently.
    pub permanent: bool,
    /// Time the handler spends inside its transaction.
    pub work_ms: u64,
}

impl ProbeV1 {
    pub fn ok(n: i64) -> Self {
        Self {
            n,
            transient_failures: 0,
            permanent: false,
            work_ms: 0,
        }
    }
}

impl Message for ProbeV1 {
    const KIND: &'static str = "test.probe";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A message used only by tests.";
}

/// When each probe was attempted.
#[derive(Default)]
pub struct AttemptLog(Mutex<HashMap<i64, Vec<Instant>>>);

impl AttemptLog {
    fn record(&self, n: i64) -> usize {
        let mut log = self.0.lock().expect("log lock");
        let attempts = log.entry(n).or_default();
        attempts.push(Instant::now());
        attempts.len()
    }

    pub fn attempts(&self, n: i64) -> Vec<Instant> {
        self.0
            .lock()
            .expect("log lock")
            .get(&n)
            .cloned()
            .unwrap_or_default()
    }
}

struct ProbeHandler {
    log: Arc<AttemptLog>,
}

impl Handler<ProbeV1> for ProbeHandler {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<ProbeV1>,
    ) -> Result<(), HandlerError> {
        let probe = &message.payload;
        let attempt = self.log.record(probe.n);
        if attempt <= probe.transient_failures as usize {
            return Err(HandlerError::transient(anyhow::anyhow!(
                "probe {} fails on attempt {attempt}",
                probe.n
            )));
        }
        if probe.permanent {
            return Err(HandlerError::permanent(format!(
                "probe {} refuses",
                probe.n
            )));
        }
        if probe.work_ms > 0 {
            tokio::time::sleep(Duration::from_millis(probe.work_ms)).await;
        }
        diesel::sql_query("INSERT INTO probe_effects (n, message_id) VALUES ($1, $2)")
            .bind::<diesel::sql_types::BigInt, _>(probe.n)
            .bind::<diesel::sql_types::Uuid, _>(message.message_id.as_uuid())
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// A probe consumer, to start beside the app with [`TestApp::spawn_parts`].
pub fn parts(log: Arc<AttemptLog>) -> ServiceParts {
    ServiceParts {
        name: SERVICE,
        router: axum::Router::new(),
        consumers: vec![ConsumerSpec {
            service: SERVICE,
            name: CONSUMER,
            handlers: Handlers::new().on(ProbeHandler { log }),
        }],
        workers: Vec::new(),
        publishes: false,
    }
}

/// Starts a probe consumer beside the app and waits until it consumes (an event published
/// before its queue exists would go to the unrouted queue).
pub async fn start(
    app: &TestApp,
    log: Arc<AttemptLog>,
) -> (
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let started = app.spawn_parts(vec![parts(log)]);
    let component = format!("consumer {}", app.topology().work_queue(SERVICE, CONSUMER));
    shared::testing::eventually("the probe consumer", Duration::from_secs(20), || async {
        app.platform.health.is_up(&component).then_some(())
    })
    .await;
    started
}

/// Creates the table the probe handler writes its effects to.
pub async fn create_effects_table(app: &TestApp) {
    let mut conn = app.pool().get().await.expect("a connection");
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS probe_effects (n BIGINT NOT NULL, message_id UUID NOT NULL, \
         handled_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .expect("probe_effects created");
}

#[derive(diesel::QueryableByName)]
struct Effect {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The `n` of every effect row, in insertion order (duplicates kept).
pub async fn effects(app: &TestApp) -> Vec<i64> {
    let mut conn = app.pool().get().await.expect("a connection");
    let rows: Vec<Effect> = diesel::sql_query("SELECT n FROM probe_effects ORDER BY handled_at, n")
        .load(&mut conn)
        .await
        .expect("effects read");
    rows.into_iter().map(|e| e.n).collect()
}

/// Publishes probes until each has been confirmed once, retrying failed publishes: the broker
/// may be dropping connections. A retried publish repeats the same envelope (same message id).
pub async fn publish_all(app: &TestApp, probes: Vec<ProbeV1>) {
    for probe in probes {
        publish_envelope(app, &Envelope::new(shared::ids::OrgId::new(), probe)).await;
    }
}

/// Publishes one envelope until the broker confirms it (the broker may be dropping connections).
pub async fn publish_envelope(app: &TestApp, envelope: &Envelope<ProbeV1>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(err) = app.publisher.publish(app.topology(), envelope).await {
        assert!(
            Instant::now() < deadline,
            "could not publish a probe: {err}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await; // back off before publishing again
    }
}
