//! A process that runs only the step consumer (see `tests::steps`), so tests can kill it with
//! SIGKILL mid-batch or let a message crash it. Configured like a service, from the environment
//! (`DATABASE_URL`, `AMQP_URL`, `QUEUE_PREFIX`, the `CONSUMER_*` settings...), and
//! `STEP_PARTITIONS` to run the partitioned variant, `STEP_PAUSE_MS` to make each batch slow.

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init_for_tests();
    let config = shared::config::CommonConfig::from_env()?;
    let platform = shared::service::Platform::new(config)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let partitions = std::env::var("STEP_PARTITIONS")
        .ok()
        .and_then(|n| n.parse().ok());
    let pause = std::env::var("STEP_PAUSE_MS")
        .ok()
        .and_then(|n| n.parse().ok())
        .map(std::time::Duration::from_millis)
        .unwrap_or_default();
    let parts = tests::steps::parts(
        Arc::new(tests::steps::StepLog::default()),
        partitions,
        pause,
    );
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    shared::service::serve(platform, vec![parts], listener, shutdown).await
}
