//! The consumer runtime: written once, used by every service.
//!
//! A service describes a consumer with a [`ConsumerSpec`] (its name and a [`Handlers`] table);
//! [`run`] does the rest:
//! - consumes with an explicit prefetch; each delivery is admitted once (size limit, delivery
//!   limit, decode, validation) or dead-lettered with the reason;
//! - messages run in batches, one at a time on a steady flow, and on up to `lanes` PostgreSQL
//!   connections at once while batches are overdue (see `lanes.rs`); messages that share an
//!   ordering key run one after another in queue order, other keys beside them;
//! - a batch is one transaction (inbox rows for all, the effects, commit) and its acks follow the
//!   commit; when one message fails, each message of the batch is tried alone, so only the
//!   failing one is retried or dead-lettered; an [`IngestBatchHandler`] or a
//!   [`RefusingBatchHandler`] may refuse single messages instead (having changed nothing for
//!   them): those are dead-lettered, the rest commit;
//! - a handler's [`Context`] says which attempt it is and whether it is the last one (a
//!   transient failure then dead-letters the message), and runs hooks after the commit only;
//! - a handler that panics is a permanent failure of its message; one that outlives
//!   `HANDLER_TIMEOUT_MS` (or waits on a lock past `DB_LOCK_TIMEOUT_MS`) a transient one;
//! - on any broker error, or a panic of the runtime itself, it rebuilds the connection, the
//!   channel, the qos and the consumer, with every call under a timeout, and reports itself
//!   down meanwhile.

mod acks;
mod batch;
mod direct;
mod handlers;
mod item;
mod lanes;
mod republish;
mod runner;
mod scheduler;
mod settings;
mod settle;

pub use handlers::{
    BatchHandler, Context, FromOrg, Handler, Handlers, IngestBatchHandler, IngestHandler, Order,
    RefusingBatchHandler, Source,
};
pub use runner::{ConsumerContext, component_name, run};
pub use settings::ConsumerSettings;

/// One consumer of a service: a work queue bound to the events its handlers take.
pub struct ConsumerSpec {
    /// The owning service (`notification`): names the dead-letter queue.
    pub service: &'static str,
    /// The consumer's name within the service (`emails`): names the work queue.
    pub name: &'static str,
    pub handlers: Handlers,
}

/// Declares everything `spec` consumes from (exchanges, its work queue and bindings, retry
/// queues, dead letters) and returns the queues to consume. The runtime calls it on every new
/// session; a deployment tool or a test may call it before anything is published.
pub async fn declare(
    channel: &lapin::Channel,
    topology: &crate::amqp::Topology,
    spec: &ConsumerSpec,
) -> anyhow::Result<Vec<String>> {
    let keys = spec.handlers.routing_keys();
    if spec.handlers.source() == Source::Ingest {
        let queue = topology
            .declare_ingest_consumer(channel, spec.service, spec.name, &keys)
            .await?;
        return Ok(vec![queue]);
    }
    if let Some(partitions) = spec.handlers.partitions() {
        return topology
            .declare_partitions(channel, spec.service, spec.name, partitions, &keys)
            .await;
    }
    let queue = topology
        .declare_consumer(channel, spec.service, spec.name, &keys)
        .await?;
    topology.bind_buckets(channel, &queue, &keys).await?;
    topology
        .unbind_keys(channel, &queue, &spec.handlers.unbound_keys())
        .await?;
    Ok(vec![queue])
}
