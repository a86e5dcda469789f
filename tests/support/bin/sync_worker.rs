//! A process that runs only the sync service (its consumers and its relay), so the field sync
//! fault tests can run a second sync worker beside the test app and kill it with SIGKILL in the
//! middle of a stream. Configured like `partnernet serve sync`, from the environment
//! (`DATABASE_URL`, `AMQP_URL`, `QUEUE_PREFIX`, ...), but listening on a free port.

use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::telemetry::init_for_tests();
    let config = sync::Config::from_env()?;
    let platform = shared::service::Platform::new(config.common.clone())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let parts = sync::parts(&platform, &config);
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    shared::service::serve(platform, vec![parts], listener, shutdown).await
}
