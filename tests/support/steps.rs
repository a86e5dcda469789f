//! A keyed test message and a batched handler, to drive the consumer runtime: ordering per key,
//! batches with a poison message, panics, crashes, row locks. Used in process by the
//! `runtime_*` tests and in a separate OS process by the `runtime-worker` binary.

use crate::TestApp;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde::{Deserialize, Serialize};
use shared::consumer::{BatchHandler, ConsumerSpec, Context, Handlers, Order};
use shared::error::HandlerError;
use shared::message::{Envelope, Message};
use shared::service::ServiceParts;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const SERVICE: &str = "steps";
pub const CONSUMER: &str = "work";

/// Step `seq` of `key`. The flags ask the handler to misbehave.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepV1 {
    pub key: String,
    pub seq: i64,
    /// Fail transiently while this message has been tried at most this many times.
    #[serde(default)]
    pub transient_failures: u32,
    /// Fail permanently.
    #[serde(default)]
    pub poison: bool,
    #[serde(default)]
    pub panic: bool,
    /// Abort the whole process (a crash loop, as a segfault or an OOM kill would cause).
    #[serde(default)]
    pub crash: bool,
    /// Update the row of `step_lock` (which a test may hold locked).
    #[serde(default)]
    pub lock: bool,
    /// Hang this long (a call that never answers, outside the database).
    #[serde(default)]
    pub hang_ms: u64,
}

impl StepV1 {
    pub fn new(key: &str, seq: i64) -> Self {
        Self {
            key: key.to_string(),
            seq,
            ..Self::default()
        }
    }
}

impl Message for StepV1 {
    const KIND: &'static str = "test.step";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A keyed message used only by tests.";

    fn order_key(&self) -> Option<String> {
        Some(self.key.clone())
    }
}

/// What the handler saw: tries per message, and the size of each call.
#[derive(Default)]
pub struct StepLog {
    tries: Mutex<HashMap<uuid::Uuid, u32>>,
    batches: Mutex<Vec<Vec<i64>>>,
}

impl StepLog {
    fn tried(&self, id: uuid::Uuid) -> u32 {
        let mut tries = self.tries.lock().expect("log lock");
        let n = tries.entry(id).or_default();
        *n += 1;
        *n
    }

    pub fn tries(&self, id: uuid::Uuid) -> u32 {
        self.tries
            .lock()
            .expect("log lock")
            .get(&id)
            .copied()
            .unwrap_or(0)
    }

    /// The `seq` of the messages of each handler call, in call order.
    pub fn batches(&self) -> Vec<Vec<i64>> {
        self.batches.lock().expect("log lock").clone()
    }
}

pub struct StepHandler {
    pub log: Arc<StepLog>,
    /// Time spent in each call, inside the transaction (so a kill lands mid-batch).
    pub pause: Duration,
}

impl BatchHandler<StepV1> for StepHandler {
    async fn handle_batch(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<StepV1>],
    ) -> Result<(), HandlerError> {
        self.log
            .batches
            .lock()
            .expect("log lock")
            .push(messages.iter().map(|m| m.payload.seq).collect());
        for message in messages {
            let step = &message.payload;
            let tries = self.log.tried(message.message_id.as_uuid());
            if step.crash {
                std::process::abort();
            }
            assert!(!step.panic, "step {} of {} panics", step.seq, step.key);
            if step.poison {
                return Err(HandlerError::permanent(format!(
                    "step {} is poison",
                    step.seq
                )));
            }
            if tries <= step.transient_failures {
                return Err(HandlerError::transient(anyhow::anyhow!(
                    "step {} fails on try {tries}",
                    step.seq
                )));
            }
            if step.hang_ms > 0 {
                tokio::time::sleep(Duration::from_millis(step.hang_ms)).await; // stands for a hung call
            }
            if step.lock {
                diesel::sql_query("UPDATE step_lock SET n = n + 1 WHERE id = 1")
                    .execute(conn)
                    .await?;
            }
        }
        if !self.pause.is_zero() {
            tokio::time::sleep(self.pause).await; // stands for slow work, not a synchronisation
        }
        // One statement for the whole batch.
        let keys: Vec<&str> = messages.iter().map(|m| m.payload.key.as_str()).collect();
        let seqs: Vec<i64> = messages.iter().map(|m| m.payload.seq).collect();
        let ids: Vec<uuid::Uuid> = messages.iter().map(|m| m.message_id.as_uuid()).collect();
        diesel::sql_query(
            "INSERT INTO step_effects (key, seq, message_id, pid) \
             SELECT *, $4 FROM unnest($1::text[], $2::int8[], $3::uuid[])",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(keys)
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(seqs)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
        .bind::<diesel::sql_types::BigInt, _>(i64::from(std::process::id()))
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// The step consumer; with `partitions`, spread over partition queues (see
/// `shared::amqp::partitions`) so that several processes keep per-key order.
pub fn consumer(log: Arc<StepLog>, partitions: Option<u16>) -> ConsumerSpec {
    consumer_pausing(log, partitions, Duration::ZERO)
}

pub fn consumer_pausing(
    log: Arc<StepLog>,
    partitions: Option<u16>,
    pause: Duration,
) -> ConsumerSpec {
    let handlers = Handlers::new().on_batch(StepHandler { log, pause }, Order::ByKey);
    ConsumerSpec {
        service: SERVICE,
        name: CONSUMER,
        handlers: match partitions {
            Some(n) => handlers.partitioned(n),
            None => handlers,
        },
    }
}

pub fn parts(log: Arc<StepLog>, partitions: Option<u16>, pause: Duration) -> ServiceParts {
    ServiceParts {
        name: SERVICE,
        router: axum::Router::new(),
        consumers: vec![consumer_pausing(log, partitions, pause)],
        workers: Vec::new(),
        publishes: false,
    }
}

/// Declares the step consumer's queues, so that messages published before it runs are kept.
pub async fn declare(app: &TestApp, partitions: Option<u16>) {
    let connection = shared::amqp::connect(app.amqp_url(), "test declare")
        .await
        .expect("connected");
    let channel = connection.create_channel().await.expect("a channel");
    let spec = consumer(Arc::new(StepLog::default()), partitions);
    shared::consumer::declare(&channel, app.topology(), &spec)
        .await
        .expect("declared");
    let _ = connection.close(200, "declared".into()).await;
}

/// Starts the step consumer in this process, beside the app, once it consumes.
pub async fn start(
    app: &TestApp,
    log: Arc<StepLog>,
) -> (CancellationToken, JoinHandle<anyhow::Result<()>>) {
    let started = app.spawn_parts(vec![parts(log, None, Duration::ZERO)]);
    let component = format!("consumer {}", app.topology().work_queue(SERVICE, CONSUMER));
    shared::testing::eventually("the step consumer", Duration::from_secs(20), || async {
        app.platform.health.is_up(&component).then_some(())
    })
    .await;
    started
}

/// Publishes each envelope, waiting for its confirm.
pub async fn publish(app: &TestApp, envelopes: &[Envelope<StepV1>]) {
    for envelope in envelopes {
        app.publisher
            .publish(app.topology(), envelope)
            .await
            .expect("step published");
    }
}

pub fn envelope(step: StepV1) -> Envelope<StepV1> {
    Envelope::new(shared::ids::OrgId::new(), step)
}

/// The dead letters of the step service (left in their queue).
pub async fn dead_letters(app: &TestApp) -> Vec<shared::amqp::dead_letters::DeadLetter> {
    shared::amqp::dead_letters::list(app.amqp_url(), app.topology(), SERVICE, 100)
        .await
        .expect("dead letters listed")
}

/// A worker process consuming this app's step queues. `binary` is the `runtime-worker`
/// (`env!("CARGO_BIN_EXE_runtime-worker")`, known to the integration tests only).
pub fn spawn_worker(app: &TestApp, binary: &str, extra: &[(&str, &str)]) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(binary);
    command
        .env("DATABASE_URL", app.database_url())
        .env("AMQP_URL", app.amqp_url())
        .env("QUEUE_PREFIX", app.topology().prefix())
        .env("RETRY_INITIAL_MS", "200")
        .env("RETRY_MULTIPLIER", "2")
        .env("RETRY_COUNT", "3")
        .env("DB_POOL_SIZE", "8")
        .kill_on_drop(true);
    for (name, value) in extra {
        command.env(name, value);
    }
    command.spawn().expect("the worker starts")
}

/// Locks `step_lock`'s row in a transaction left open on a connection of its own: a `lock` step
/// then waits on it until the returned connection runs `COMMIT`.
pub async fn hold_step_lock(app: &TestApp) -> shared::db::DbConn {
    let mut locker = app.pool().get().await.expect("a second connection");
    locker
        .batch_execute("BEGIN; SELECT n FROM step_lock WHERE id = 1 FOR UPDATE")
        .await
        .expect("row locked");
    locker
}

/// Publishes a `lock` step of `key` and waits until the handler has tried it (it is then waiting
/// on the lock, or failing on it).
pub async fn publish_lock_step(app: &TestApp, log: &StepLog, key: &str, seq: i64) -> uuid::Uuid {
    let mut step = StepV1::new(key, seq);
    step.lock = true;
    let envelope = envelope(step);
    publish(app, std::slice::from_ref(&envelope)).await;
    let id = envelope.message_id.as_uuid();
    shared::testing::eventually("the lock step tried", Duration::from_secs(20), || async {
        (log.tries(id) >= 1).then_some(())
    })
    .await;
    id
}

/// The tables the step handler writes (made by the test, not by a migration).
pub async fn create_tables(app: &TestApp) {
    let mut conn = app.pool().get().await.expect("a connection");
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS step_effects (id BIGSERIAL PRIMARY KEY, key TEXT NOT NULL, \
           seq BIGINT NOT NULL, message_id UUID NOT NULL, pid BIGINT NOT NULL); \
         CREATE TABLE IF NOT EXISTS step_lock (id INT PRIMARY KEY, n INT NOT NULL); \
         INSERT INTO step_lock VALUES (1, 0) ON CONFLICT DO NOTHING",
    )
    .await
    .expect("step tables created");
}

#[derive(diesel::QueryableByName)]
struct Effect {
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    message_id: uuid::Uuid,
}

#[derive(diesel::QueryableByName)]
struct Pids {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How many processes wrote effects.
pub async fn writers(app: &TestApp) -> i64 {
    let mut conn = app.pool().get().await.expect("a connection");
    let conn = &mut *conn;
    let row: Pids = diesel::sql_query("SELECT count(DISTINCT pid) AS n FROM step_effects")
        .get_result(conn)
        .await
        .expect("writers counted");
    row.n
}

/// Every effect row in the order written: (key, seq, message id).
pub async fn effects(app: &TestApp) -> Vec<(String, i64, uuid::Uuid)> {
    let mut conn = app.pool().get().await.expect("a connection");
    let conn = &mut *conn;
    let rows: Vec<Effect> =
        diesel::sql_query("SELECT key, seq, message_id FROM step_effects ORDER BY id")
            .load(conn)
            .await
            .expect("effects read");
    rows.into_iter()
        .map(|e| (e.key, e.seq, e.message_id))
        .collect()
}

/// The sequence of `seq` handled for each key, in the order written.
pub fn per_key(effects: &[(String, i64, uuid::Uuid)]) -> HashMap<String, Vec<i64>> {
    let mut by_key: HashMap<String, Vec<i64>> = HashMap::new();
    for (key, seq, _) in effects {
        by_key.entry(key.clone()).or_default().push(*seq);
    }
    by_key
}
