//! Runs the sync service alone. Configuration: see `shared::config`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = sync::Config::from_env()?;
    shared::telemetry::init(config.common.log_format, Some("partnernet-sync"));
    let served = sync::run(config, shared::shutdown::on_signal()).await;
    shared::telemetry::shutdown();
    served
}
