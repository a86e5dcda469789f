//! Declaring the whole topology at once: every consumer's queues, bindings, retry queues and
//! dead letters, before any service publishes.
//!
//! `partnernet migrate` calls [`declare_all`] (and `partnernet serve` again, idempotently, at
//! start): an event published before its consumer ever ran then waits in the consumer's queue
//! instead of landing in `{prefix}.unrouted`.

use super::connection::{close_channel, connect, timed};
use super::topology::Topology;
use super::unrouted;

/// The queues one consumer needs: enough to declare them without building its handlers.
#[derive(Debug, Clone)]
pub struct ConsumerQueues {
    pub service: String,
    pub consumer: String,
    pub routing_keys: Vec<String>,
    /// Bindings to remove: the message types of a consumer whose work moved elsewhere
    /// ([`crate::consumer::Handlers::unbound`]), or retired ([`crate::consumer::Handlers::retire`]).
    pub unbound_keys: Vec<String>,
}

/// Declares the exchanges and every consumer's queues and bindings. Idempotent.
pub async fn declare_all(
    amqp_url: &str,
    topology: &Topology,
    consumers: &[ConsumerQueues],
) -> anyhow::Result<()> {
    let connection = connect(amqp_url, "partnernet topology").await?;
    let result = async {
        let channel = timed("opening a channel", connection.create_channel()).await?;
        topology.declare_exchanges(&channel).await?;
        for consumer in consumers {
            topology
                .declare_consumer(
                    &channel,
                    &consumer.service,
                    &consumer.consumer,
                    &consumer.routing_keys,
                )
                .await?;
            let work = topology.work_queue(&consumer.service, &consumer.consumer);
            // Ordered types are published as `kind.vN.bN` (or `kind.vN.{org}`): bound here too,
            // or they would be unrouted until the consumer's first session binds them.
            topology
                .bind_buckets(&channel, &work, &consumer.routing_keys)
                .await?;
            topology
                .unbind_keys(&channel, &work, &consumer.unbound_keys)
                .await?;
        }
        unrouted::report(&channel, topology).await?;
        close_channel(channel).await
    }
    .await;
    let _ = timed("closing", connection.close(200, "declared".into())).await;
    result
}
