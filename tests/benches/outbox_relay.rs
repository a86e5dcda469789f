//! Outbox relay throughput beside the machine's raw RabbitMQ publish rate, in the same run:
//! outbox rows committed in batches, then published by one relay (confirms pipelined per batch,
//! rows deleted after their confirms), compared with the baseline's `amqp-raw` (plain lapin,
//! persistent messages, a window of 1000 outstanding confirms, quorum queue).
//!
//!     RUST_LOG=error cargo bench -p tests --bench outbox_relay          # 50000 rows
//!     ROWS=100000 cargo bench -p tests --bench outbox_relay
//!
//! Needs the test servers (PostgreSQL, RabbitMQ). The baseline is run with
//! `cargo run --release --manifest-path $BASELINE_MANIFEST` (default
//! `/work/shared/bench/baseline/Cargo.toml`), built in `$BASELINE_TARGET_DIR` if set.

use diesel_async::{AsyncConnection, RunQueryDsl};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use shared::amqp::{ConsumerQueues, Publisher, Topology, connect, declare_all, timed};
use shared::health::Health;
use shared::ids::OrgId;
use shared::message::{Envelope, Message};
use shared::testing::{TestDatabase, eventually, unique_prefix};
use std::time::{Duration, Instant};
use tests::probe::{self, ProbeV1};
use tokio_util::sync::CancellationToken;

const SERVICE: &str = "benchrelay";
const ROWS_PER_COMMIT: usize = 500;

fn rows() -> usize {
    std::env::var("ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init_for_tests();
    let n = rows();
    let relay = relay_rate(n).await?;
    let baseline = baseline_publish_rate(n)?;
    println!("rows: {n}, committed {ROWS_PER_COMMIT} per transaction, quorum queues");
    println!(
        "partnernet outbox relay (outbox row -> confirmed publish -> row deleted): {relay:>9.0} msgs/s"
    );
    println!(
        "baseline amqp-raw publish (lapin, confirm window 1000):                    {baseline:>9.0} msgs/s"
    );
    println!(
        "ratio relay / baseline:                                                   {:>9.2}",
        relay / baseline
    );
    Ok(())
}

/// Commits `n` outbox rows, then times one relay publishing them all.
async fn relay_rate(n: usize) -> anyhow::Result<f64> {
    let db = TestDatabase::create(partnernet::all_migrations()).await?;
    let pool = shared::db::pool(&db.url, 4)?;
    let amqp_url = shared::testing::amqp_url();
    let topology = Topology::new(&unique_prefix(), shared::retry::RetrySchedule::default());
    let queue = ConsumerQueues {
        service: probe::SERVICE.into(),
        consumer: probe::CONSUMER.into(),
        routing_keys: vec![ProbeV1::routing_key()],
        unbound_keys: Vec::new(),
    };
    declare_all(&amqp_url, &topology, &[queue]).await?;

    let org = OrgId::new();
    let mut conn = pool.get().await?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(ROWS_PER_COMMIT) {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            for i in chunk {
                let envelope = Envelope::new(org, ProbeV1::ok(*i as i64));
                shared::outbox::enqueue(conn, SERVICE, &envelope).await?;
            }
            Ok(())
        })
        .await?;
    }

    let stop = CancellationToken::new();
    let start = Instant::now();
    let relay = tokio::spawn(shared::outbox::relay(
        SERVICE,
        db.url.clone(),
        pool.clone(),
        Publisher::for_topology(&amqp_url, "bench relay", &topology),
        topology.clone(),
        Duration::from_millis(100),
        Health::default(),
        stop.clone(),
    ));
    // The probe looks for one row through the relay's own index: counting the table every
    // 20 ms (a scan of every row, dead ones included) took a third of PostgreSQL's time from
    // the relay it measured.
    eventually("the outbox drained", Duration::from_secs(600), || async {
        let mut conn = pool.get().await.ok()?;
        let left: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM (SELECT 1 FROM messaging.outbox \
             WHERE service = $1 ORDER BY id LIMIT 1) AS first_row",
        )
        .bind::<diesel::sql_types::Text, _>(SERVICE)
        .get_result::<shared::db::CountRow>(&mut conn)
        .await
        .ok()?
        .n;
        (left == 0).then_some(())
    })
    .await;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    stop.cancel();
    relay.await?;
    delete_topology(&amqp_url, &topology).await?;
    Ok(rate)
}

/// Runs the baseline's `amqp-raw` on quorum queues and returns its publish rate.
fn baseline_publish_rate(n: usize) -> anyhow::Result<f64> {
    let manifest = std::env::var("BASELINE_MANIFEST")
        .unwrap_or_else(|_| "/work/shared/bench/baseline/Cargo.toml".into());
    let mut command = std::process::Command::new("cargo");
    command.args(["run", "-q", "--release", "--manifest-path", &manifest, "--"]);
    command.args(["amqp-raw", "--queue-type", "quorum", "--n", &n.to_string()]);
    match std::env::var("BASELINE_TARGET_DIR") {
        Ok(dir) => command.env("CARGO_TARGET_DIR", dir),
        Err(_) => command.env_remove("CARGO_TARGET_DIR"),
    };
    let output = command.output()?;
    anyhow::ensure!(
        output.status.success(),
        "the baseline failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(line.trim())?;
    json["publish_msgs_s"]
        .as_f64()
        .ok_or_else(|| anyhow::anyhow!("no publish_msgs_s in {line}"))
}

async fn delete_topology(amqp_url: &str, topology: &Topology) -> anyhow::Result<()> {
    let connection = connect(amqp_url, "bench clean-up").await?;
    let channel = timed("channel", connection.create_channel()).await?;
    let work = topology.work_queue(probe::SERVICE, probe::CONSUMER);
    let mut queues = topology.retry_queues(&work);
    queues.extend([
        work,
        topology.dead_letter_queue(probe::SERVICE),
        topology.unrouted(),
    ]);
    for queue in queues {
        let _ = timed(
            "deleting a queue",
            channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()),
        )
        .await;
    }
    for exchange in [topology.events_exchange(), topology.unrouted()] {
        let _ = timed(
            "deleting an exchange",
            channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()),
        )
        .await;
    }
    let _ = connection.close(200, "clean".into()).await;
    Ok(())
}
