use anyhow::Context;
use lapin::{Connection, ConnectionProperties};
use std::future::Future;
use std::time::Duration;

/// No broker call may take longer than this: a half-open connection must not hang a worker.
pub const BROKER_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a broker call under [`BROKER_CALL_TIMEOUT`].
pub async fn timed<T, E>(what: &str, call: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    tokio::time::timeout(BROKER_CALL_TIMEOUT, call)
        .await
        .with_context(|| format!("{what}: no answer from RabbitMQ within {BROKER_CALL_TIMEOUT:?}"))?
        .with_context(|| what.to_string())
}

/// Opens a connection named `name` (shown in the management UI and `rabbitmqctl`).
/// lapin's own auto-recovery stays off: the consumer runtime rebuilds everything itself.
pub async fn connect(url: &str, name: &str) -> anyhow::Result<Connection> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    timed(
        "connecting to RabbitMQ",
        Connection::connect(url, properties),
    )
    .await
}

/// Closes a short-lived channel before its connection is closed. A channel merely dropped
/// then asks lapin to close it while the connection is already closing, which lapin logs as a
/// connection error (`invalid channel state: Closing`) though nothing went wrong.
pub async fn close_channel(channel: lapin::Channel) -> anyhow::Result<()> {
    timed("closing the channel", channel.close(200, "done".into())).await
}
