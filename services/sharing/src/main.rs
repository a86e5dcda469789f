//! Runs the sharing service alone. Configuration: see `shared::config`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = sharing::Config::from_env()?;
    shared::telemetry::init(config.common.log_format, Some("partnernet-sharing"));
    let served = sharing::run(config, shared::shutdown::on_signal()).await;
    shared::telemetry::shutdown();
    served
}
