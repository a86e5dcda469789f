//! Runs the invitation service alone. Configuration: see `invitation::config`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = invitation::Config::from_env()?;
    shared::telemetry::init(config.common.log_format, Some("partnernet-invitation"));
    let served = invitation::run(config, shared::shutdown::on_signal()).await;
    shared::telemetry::shutdown();
    served
}
