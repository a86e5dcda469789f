//! Runs the notification service alone. Configuration: see `notification::config`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = notification::Config::from_env()?;
    shared::telemetry::init(config.common.log_format);
    notification::run(config, shared::shutdown::on_signal()).await
}
