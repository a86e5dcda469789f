//! Records ingested per second over AMQP (published persistent and confirmed by the org's own
//! broker user, validated, stored, the change published to the org's change feed), beside the
//! baseline's `amqp-raw` publish rate in the same run; and the bulk HTTP upsert rate.
//!
//!     RUST_LOG=error cargo bench -p tests --bench record_ingest          # 20000 records
//!     RECORDS=50000 cargo bench -p tests --bench record_ingest
//!
//!     CONSUMER_LINGER_MS=5 CONSUMER_LANES=2 cargo bench -p tests --bench record_ingest
//!
//! (`CONSUMER_LANES`, `CONSUMER_BATCH`, `CONSUMER_LINGER_MS`, `AMQP_PREFETCH` go to the services.)
//! `SKIP_BULK=1` runs the AMQP phase alone (to profile it by itself).
//! Needs the test servers (PostgreSQL, RabbitMQ with the management plugin) and the variables
//! of `scripts/test` (TEST_DATABASE_URL, AMQP_URL). The baseline is run as in
//! `benches/outbox_relay.rs` (`BASELINE_MANIFEST`, `BASELINE_TARGET_DIR`).

use serde_json::json;
use shared::testing::eventually;
use std::time::{Duration, Instant};
use tests::TestApp;
use tests::records::{OrgBroker, upsert};

fn records() -> usize {
    std::env::var("RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// Settings passed from the environment to the services, when set.
const TUNING: [&str; 5] = [
    "CONSUMER_LANES",
    "CONSUMER_EAGER_LANES",
    "CONSUMER_BATCH",
    "CONSUMER_LINGER_MS",
    "AMQP_PREFETCH",
];

/// Messages published per confirmed batch.
const PUBLISH_BATCH: usize = 1000;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init_for_tests();
    let n = records();
    // The consumer's tuning may be tried from the environment (the test app reads a map).
    let app = TestApp::spawn_with(|env| {
        tests::bench_env::apply(env, &TUNING);
    })
    .await;
    let acme = app.create_org("Bench Corp").await;
    let broker = OrgBroker::create(&app, &acme).await;

    let envelopes: Vec<_> = (0..n)
        .map(|i| upsert(&acme, "Account", &format!("AMQP-{i}"), json!({"Name": format!("Account {i}"), "NumberOfEmployees": i % 1000, "Industry": "Banking"})))
        .collect();
    let start = Instant::now();
    for chunk in envelopes.chunks(PUBLISH_BATCH) {
        broker.publish_upserts(app.topology(), chunk).await;
    }
    let published = start.elapsed();
    let feed = broker.user.change_feed.clone();
    eventually(
        "every change in the feed",
        Duration::from_secs(600),
        || async {
            let depth = tests::amqp::queue_depth(app.amqp_url(), &feed).await?;
            (depth as usize >= n).then_some(())
        },
    )
    .await;
    let ingest = n as f64 / start.elapsed().as_secs_f64();

    println!(
        "AMQP phase: {:.1}s for {n} records",
        start.elapsed().as_secs_f64()
    );
    let bulk = if std::env::var_os("SKIP_BULK").is_some() {
        f64::NAN
    } else {
        bulk_upsert(&app, &acme, n).await?
    };

    drop(broker);
    app.stop().await;
    let baseline = baseline_publish_rate(n)?;
    println!("records: {n}, Account, 3 fields each, one org");
    println!(
        "AMQP ingest (publish+confirm as the org user -> validated, stored -> change in the feed): {ingest:>9.0} records/s (publishing alone took {:.1}s)",
        published.as_secs_f64()
    );
    println!(
        "baseline amqp-raw publish (lapin, confirm window 1000):                                {baseline:>9.0} msgs/s"
    );
    println!(
        "ratio ingest / baseline:                                                               {:>9.2}",
        ingest / baseline
    );
    println!(
        "bulk HTTP upsert (NDJSON, one request, batches of 500):                                {bulk:>9.0} records/s"
    );
    Ok(())
}

/// Upserts `n` records in one NDJSON request; returns records per second.
async fn bulk_upsert(app: &TestApp, acme: &tests::TestOrg, n: usize) -> anyhow::Result<f64> {
    let body: String = (0..n)
        .map(|i| json!({"record_id": format!("BULK-{i}"), "fields": {"Name": format!("Account {i}"), "NumberOfEmployees": i % 1000}}).to_string() + "\n")
        .collect();
    let start = Instant::now();
    let response = app
        .http
        .post(format!("{}/v1/records/Account/bulk", app.base_url))
        .bearer_auth(&acme.key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == 200,
        "bulk answered {}",
        response.status()
    );
    let summary: serde_json::Value = response.json().await?;
    let bulk = n as f64 / start.elapsed().as_secs_f64();
    anyhow::ensure!(summary["created"] == n, "bulk summary {summary}");
    Ok(bulk)
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
