use super::ConsumerSpec;
use super::delivery::{Fate, process};
use crate::amqp::{ConfirmedChannel, Topology, connect, timed};
use crate::db::DbPool;
use crate::health::Health;
use futures_util::StreamExt;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What a consumer needs from its process.
#[derive(Clone)]
pub struct ConsumerContext {
    pub pool: DbPool,
    pub amqp_url: String,
    pub topology: Topology,
    pub prefetch: u16,
    pub health: Health,
}

/// The name under which a consumer reports its health.
pub fn component_name(ctx: &ConsumerContext, spec: &ConsumerSpec) -> String {
    format!(
        "consumer {}",
        ctx.topology.work_queue(spec.service, spec.name)
    )
}

/// Consumes until `shutdown`, rebuilding the connection after any failure.
/// Reports "down" at once, so the process is not ready before the consumer is consuming.
pub async fn run(spec: ConsumerSpec, ctx: ConsumerContext, shutdown: CancellationToken) {
    let queue = ctx.topology.work_queue(spec.service, spec.name);
    let component = component_name(&ctx, &spec);
    let mut pause = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match session(&spec, &ctx, &shutdown, &component).await {
            Ok(()) => break,
            Err(err) => {
                ctx.health.set(&component, false);
                tracing::warn!(queue, error = %format!("{err:#}"), "consumer lost its broker session; rebuilding");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
    ctx.health.set(&component, false);
}

/// One broker session: connect, declare, qos, consume, until shutdown (Ok) or failure (Err).
async fn session(
    spec: &ConsumerSpec,
    ctx: &ConsumerContext,
    shutdown: &CancellationToken,
    component: &str,
) -> anyhow::Result<()> {
    let connection = connect(&ctx.amqp_url, component).await?;
    let channel = ConfirmedChannel::open(&connection).await?;
    let queue = ctx
        .topology
        .declare_consumer(
            channel.channel(),
            spec.service,
            spec.name,
            &spec.handlers.routing_keys(),
        )
        .await?;
    timed(
        "setting prefetch",
        channel
            .channel()
            .basic_qos(ctx.prefetch, BasicQosOptions { global: false }),
    )
    .await?;
    let tag = format!("{component} {}", uuid::Uuid::now_v7());
    let mut deliveries = timed(
        "starting to consume",
        channel.channel().basic_consume(
            queue.as_str().into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(), // manual acks
            FieldTable::default(),
        ),
    )
    .await?;
    ctx.health.set(component, true);
    tracing::info!(queue, prefetch = ctx.prefetch, "consuming");
    // A dead connection does not always end the stream: look at it now and then.
    let mut watchdog = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                // Unacknowledged prefetched messages go back to the queue when the channel closes.
                let _ = timed("cancelling the consumer", channel.channel().basic_cancel(tag.as_str().into(), BasicCancelOptions::default())).await;
                let _ = timed("closing the connection", connection.close(200, "shutting down".into())).await;
                return Ok(());
            }
            _ = watchdog.tick() => {
                anyhow::ensure!(connection.status().connected(), "connection is no longer open");
            }
            next = deliveries.next() => {
                let delivery = match next {
                    Some(Ok(delivery)) => delivery,
                    Some(Err(err)) => return Err(err.into()),
                    None => anyhow::bail!("the broker ended the consumer"),
                };
                ctx.health.begin_work();
                let fate = process(spec, ctx, &channel, &queue, &delivery, shutdown).await;
                ctx.health.end_work();
                match fate? {
                    Fate::Settled => {}
                    Fate::LeftForRedelivery => return Ok(()),
                }
            }
        }
    }
}
