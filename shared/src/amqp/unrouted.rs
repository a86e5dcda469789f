//! Events that reached no consumer's queue wait in `{prefix}.unrouted` (the events exchange's
//! alternate exchange). Such an event is a deployment mistake (a consumer's queue declared too
//! late, a binding missing): it is counted in `partnernet_unrouted_messages` and logged as a
//! warning, so it does not stay silent behind green health checks.

use super::connection::{connect, timed};
use super::topology::Topology;
use lapin::Channel;
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Reads the unrouted queue's depth, sets the gauge and warns when it is not empty.
pub async fn report(channel: &Channel, topology: &Topology) -> anyhow::Result<u32> {
    let queue = topology.unrouted();
    let declared = timed(
        "reading the unrouted queue's depth",
        channel.queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true, // only look: the topology declares it
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await?;
    let depth = declared.message_count();
    metrics::gauge!("partnernet_unrouted_messages").set(f64::from(depth));
    if depth > 0 {
        tracing::warn!(
            queue,
            depth,
            "events reached no consumer's queue and wait in the unrouted queue; \
             run `partnernet migrate` to declare every queue, then move them back"
        );
    }
    Ok(depth)
}

/// Reports the unrouted queue every `every` until shutdown. Broker errors are logged and
/// retried on the next tick (the consumers and relays report broker health).
pub async fn watch(
    amqp_url: String,
    topology: Topology,
    every: Duration,
    shutdown: CancellationToken,
) {
    let mut ticks = tokio::time::interval(every);
    let mut link = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = ticks.tick() => {}
        }
        if link.is_none() {
            link = open(&amqp_url, &topology).await.ok();
        }
        let Some((connection, channel)) = &link else {
            continue;
        };
        if let Err(err) = report(channel, &topology).await {
            tracing::debug!(error = %format!("{err:#}"), "could not read the unrouted queue");
            // A failed passive declare closes the channel: open a new one next time.
            let _ = timed("closing", connection.close(200, "reopening".into())).await;
            link = None;
        }
    }
    if let Some((connection, _)) = link {
        let _ = timed("closing", connection.close(200, "bye".into())).await;
    }
}

/// A channel on which the unrouted queue exists: declared with the exchanges (idempotent, the
/// topology's own arguments), so that a watch starting before the topology is declared does not
/// see its passive declare refused (the broker closes the channel, and lapin logs an error).
async fn open(amqp_url: &str, topology: &Topology) -> anyhow::Result<(lapin::Connection, Channel)> {
    let connection = connect(amqp_url, "partnernet unrouted watch").await?;
    let opened = async {
        let channel = timed("opening a channel", connection.create_channel()).await?;
        topology.declare_exchanges(&channel).await?;
        anyhow::Ok(channel)
    }
    .await;
    match opened {
        Ok(channel) => Ok((connection, channel)),
        Err(err) => {
            let _ = timed("closing", connection.close(200, "failed".into())).await;
            Err(err)
        }
    }
}
