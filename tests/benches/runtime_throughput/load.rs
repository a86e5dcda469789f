//! One PartnerNet run: a fresh database and queue prefix, the runtime consuming a quorum work
//! queue with a batched handler, a publisher with a window of pipelined confirms.

use super::cpu;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use serde::{Deserialize, Serialize};
use shared::amqp::{Topology, envelope_properties, partitions::routing_key_for};
use shared::consumer::{
    BatchHandler, ConsumerContext, ConsumerSettings, ConsumerSpec, Context, Handlers, Order,
};
use shared::error::HandlerError;
use shared::health::Health;
use shared::message::{Envelope, Message};
use shared::testing::{TestDatabase, unique_prefix};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

const RECORDS: i64 = 100_000;
const CONFIRM_WINDOW: usize = 1000;

#[derive(Debug, Clone, Copy)]
pub enum Load {
    Live,
    Drain,
    Rate(f64),
}

impl Load {
    /// Its name in the `LOADS` setting.
    pub fn key(self) -> &'static str {
        match self {
            Load::Live => "live",
            Load::Drain => "drain",
            Load::Rate(_) => "rate",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Load::Live => "live max",
            Load::Drain => "drain backlog",
            Load::Rate(_) => "2k/s offered",
        }
    }
}

pub struct Outcome {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub cpu_us: f64,
    /// CPU µs per message of RabbitMQ, PostgreSQL and the consuming process (with its publisher).
    pub cpu_split: [f64; 3],
}

impl Outcome {
    pub fn print(&self, load: Load, who: &str, base: Option<&Outcome>) {
        let ratio = base.map(|b| match load {
            Load::Rate(_) => self.p50_ms / b.p50_ms,
            _ => self.per_second / b.per_second,
        });
        let cpu_ratio = base.map(|b| self.cpu_us / b.cpu_us);
        println!(
            "{:<14} {:<22} {:>10.0} {:>9.2} {:>9.2} {:>10.1} {:>5.0}/{:>4.0}/{:>4.0} {:>8}{}",
            load.name(),
            who,
            self.per_second,
            self.p50_ms,
            self.p99_ms,
            self.cpu_us,
            self.cpu_split[0],
            self.cpu_split[1],
            self.cpu_split[2],
            ratio.map(|r| format!("{r:.2}")).unwrap_or_default(),
            cpu_ratio
                .map(|r| format!("  (cpu x{r:.2})"))
                .unwrap_or_default(),
        );
    }
}

/// A record's field changed (what the sync service will consume).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BenchUpdateV1 {
    record_id: i64,
    field: String,
    value: serde_json::Value,
    sent_ns: u64,
}

impl Message for BenchUpdateV1 {
    const KIND: &'static str = "bench.record_updated";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A benchmark message.";

    fn order_key(&self) -> Option<String> {
        Some(self.record_id.to_string())
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

struct Recorder {
    handled: AtomicUsize,
    latencies: Mutex<Vec<u64>>,
}

struct UpdateRecords {
    outbox: bool,
    recorder: Arc<Recorder>,
}

impl BatchHandler<BenchUpdateV1> for UpdateRecords {
    async fn handle_batch(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<BenchUpdateV1>],
    ) -> Result<(), HandlerError> {
        let ids: Vec<i64> = messages.iter().map(|m| m.payload.record_id).collect();
        let fields: Vec<&str> = messages.iter().map(|m| m.payload.field.as_str()).collect();
        let values: Vec<&serde_json::Value> = messages.iter().map(|m| &m.payload.value).collect();
        diesel::sql_query(
            "UPDATE bench_records r SET fields = jsonb_set(r.fields, ARRAY[u.field], u.val), \
             version = r.version + 1 \
             FROM unnest($1::int8[], $2::text[], $3::jsonb[]) AS u(id, field, val) WHERE r.id = u.id",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(fields)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Jsonb>, _>(values)
        .execute(conn)
        .await?;
        if self.outbox {
            // One statement for the batch's outbox rows, as PartnerNet's batch handlers write
            // them (until 2026-12-07 this bench made one round trip per message).
            let events: Vec<_> = messages
                .iter()
                .map(|m| Envelope::caused_by(m.org_id, m.payload.clone(), &m.head()))
                .collect();
            shared::outbox::enqueue_many(conn, "bench", &events).await?;
        }
        let now = now_ns();
        let mut latencies = self
            .recorder
            .latencies
            .lock()
            .map_err(|_| HandlerError::permanent("poisoned"))?;
        latencies.extend(
            messages
                .iter()
                .map(|m| now.saturating_sub(m.payload.sent_ns)),
        );
        self.recorder
            .handled
            .fetch_add(messages.len(), Ordering::Relaxed);
        Ok(())
    }
}

fn spec(outbox: bool, recorder: Arc<Recorder>) -> ConsumerSpec {
    ConsumerSpec {
        service: "bench",
        name: "records",
        handlers: Handlers::new().on_batch(UpdateRecords { outbox, recorder }, Order::ByKey),
    }
}

/// Publishes `n` updates to the events exchange, paced to `rate` per second if given.
async fn publish(
    channel: &lapin::Channel,
    topology: &Topology,
    n: usize,
    rate: Option<f64>,
) -> anyhow::Result<()> {
    let org = shared::ids::OrgId::new();
    let exchange = topology.events_exchange();
    let start = Instant::now();
    let mut pending = VecDeque::new();
    for i in 0..n {
        if let Some(rate) = rate {
            while (start.elapsed().as_secs_f64() * rate) < i as f64 {
                tokio::time::sleep(Duration::from_micros(500)).await; // pacing the offered load
            }
        }
        let payload = BenchUpdateV1 {
            record_id: (i as i64 * 7919) % RECORDS,
            field: format!("f{}", i % 8),
            value: serde_json::json!(i),
            sent_ns: now_ns(),
        };
        let envelope = Envelope::new(org, payload);
        let body = serde_json::to_vec(&envelope)?;
        let confirm = channel
            .basic_publish(
                exchange.as_str().into(),
                routing_key_for(&envelope.payload).as_str().into(),
                BasicPublishOptions::default(),
                &body,
                envelope_properties(&envelope.head(), "bench").with_delivery_mode(2),
            )
            .await?;
        pending.push_back(confirm);
        if pending.len() >= CONFIRM_WINDOW
            && let Some(oldest) = pending.pop_front()
        {
            oldest.await?;
        }
    }
    for confirm in pending {
        confirm.await?;
    }
    Ok(())
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    let i = ((sorted.len().saturating_sub(1)) as f64 * q).round() as usize;
    sorted.get(i).map(|ns| *ns as f64 / 1e6).unwrap_or(f64::NAN)
}

pub async fn partnernet(load: Load, n: usize, outbox: bool) -> anyhow::Result<Outcome> {
    let db = TestDatabase::create(vec![shared::db::MIGRATIONS]).await?;
    let pool = shared::db::pool(&db.url, 8)?;
    {
        let mut conn = pool.get().await?;
        conn.batch_execute(&format!(
            "CREATE TABLE bench_records (id BIGINT PRIMARY KEY, fields JSONB NOT NULL, version INT NOT NULL); \
             INSERT INTO bench_records SELECT g, '{{}}'::jsonb, 0 FROM generate_series(0, {}) g;",
            RECORDS - 1
        ))
        .await?;
        conn.batch_execute("VACUUM ANALYZE bench_records").await?;
    }
    let topology = Topology::new(&unique_prefix(), shared::retry::RetrySchedule::default());
    let recorder = Arc::new(Recorder {
        handled: AtomicUsize::new(0),
        latencies: Mutex::new(Vec::with_capacity(n)),
    });
    let ctx = ConsumerContext {
        pool,
        amqp_url: shared::testing::amqp_url(),
        topology: topology.clone(),
        prefetch: 1000,
        health: Health::default(),
        settings: ConsumerSettings {
            lanes: 4,
            eager_lanes: std::env::var("CONSUMER_EAGER_LANES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(ConsumerSettings::default().eager_lanes),
            batch_size: 500,
            ..ConsumerSettings::default()
        },
    };
    let connection = shared::amqp::connect(&ctx.amqp_url, "bench publisher").await?;
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    shared::consumer::declare(&channel, &topology, &spec(outbox, recorder.clone())).await?;

    if matches!(load, Load::Drain) {
        publish(&channel, &topology, n, None).await?;
    }
    let shutdown = CancellationToken::new();
    let spec = spec(outbox, recorder.clone());
    let component = shared::consumer::component_name(&ctx, &spec);
    let health = ctx.health.clone();
    let consumer = tokio::spawn(shared::consumer::run(spec, ctx, shutdown.clone()));
    while !health.is_up(&component) {
        tokio::time::sleep(Duration::from_millis(5)).await; // bench set-up, not measured
    }
    let cpu_start = cpu::snapshot();
    let start = Instant::now();
    match load {
        Load::Live => publish(&channel, &topology, n, None).await?,
        Load::Rate(rate) => publish(&channel, &topology, n, Some(rate)).await?,
        Load::Drain => {}
    }
    while AtomicUsize::load(&recorder.handled, Ordering::Relaxed) < n || health.busy() > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await; // polling the end of the run
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu_end = cpu::snapshot();
    shutdown.cancel();
    let _ = consumer.await;
    let _ = connection.close(200, "done".into()).await;
    let mut latencies = recorder
        .latencies
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    latencies.sort_unstable();
    let (rabbit, postgres, me, total) = cpu::per_message(cpu_start, cpu_end, n);
    Ok(Outcome {
        per_second: n as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        cpu_us: total,
        cpu_split: [rabbit, postgres, me],
    })
}
