//! Runs the notification service alone. Configuration: see `notification::config`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = notification::Config::from_env()?;
    shared::telemetry::init(config.common.log_format, Some("partnernet-notification"));
    let served = notification::run(config, shared::shutdown::on_signal()).await;
    shared::telemetry::shutdown();
    served
}
