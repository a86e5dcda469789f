use super::ConsumerSpec;
use super::acks::Acks;
use super::batch::{self, End, Report};
use super::item::Item;
use super::lanes::{LaneId, Lanes};
use super::scheduler::Scheduler;
use super::settings::ConsumerSettings;
use super::settle::Shared;
use crate::amqp::{ConfirmedChannel, Topology, connect, timed};
use crate::db::DbPool;
use crate::health::Health;
use futures_util::{FutureExt, StreamExt};
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What a consumer needs from its process.
#[derive(Clone)]
pub struct ConsumerContext {
    pub pool: DbPool,
    pub amqp_url: String,
    pub topology: Topology,
    pub prefetch: u16,
    pub health: Health,
    pub settings: ConsumerSettings,
}

/// The name under which a consumer reports its health.
pub fn component_name(ctx: &ConsumerContext, spec: &ConsumerSpec) -> String {
    format!(
        "consumer {}",
        ctx.topology.work_queue(spec.service, spec.name)
    )
}

const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// The wait before rebuilding a session: doubling while sessions keep failing at once, back to
/// the first pause after a session that worked for a while.
fn next_pause(pause: Duration, session_lasted: Duration) -> Duration {
    if session_lasted >= Duration::from_secs(10) {
        FIRST_PAUSE
    } else {
        (pause * 2).min(Duration::from_secs(5))
    }
}

/// Consumes until `shutdown`, rebuilding the session after any failure, a panic included.
/// Reports "down" at once, and while rebuilding, so the process is not ready meanwhile.
pub async fn run(spec: ConsumerSpec, ctx: ConsumerContext, shutdown: CancellationToken) {
    let queue = ctx.topology.work_queue(spec.service, spec.name);
    let component = component_name(&ctx, &spec);
    let mut pause = FIRST_PAUSE;
    while !shutdown.is_cancelled() {
        let started = Instant::now();
        let outcome = AssertUnwindSafe(session(&spec, &ctx, &shutdown, &component))
            .catch_unwind()
            .await;
        ctx.health.set(&component, false);
        match outcome {
            Ok(Ok(())) => break,
            Ok(Err(err)) => {
                tracing::warn!(queue, error = %format!("{err:#}"), "consumer lost its broker session; rebuilding");
            }
            Err(_panic) => {
                tracing::error!(queue, "consumer session panicked; rebuilding");
            }
        }
        pause = next_pause(pause, started.elapsed());
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    ctx.health.set(&component, false);
}

enum Event {
    Batch(LaneId, Report),
    Wake(String),
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
    let queues = super::declare(channel.channel(), &ctx.topology, spec).await?;
    // The inbox and the metrics know the consumer by its work queue's name, partitions or not.
    let queue = ctx.topology.work_queue(spec.service, spec.name);
    timed(
        "setting prefetch",
        channel
            .channel()
            .basic_qos(ctx.prefetch, BasicQosOptions { global: false }),
    )
    .await?;
    let mut streams = Vec::new();
    let mut tags = Vec::new();
    for name in &queues {
        let tag = format!("{component} {}", uuid::Uuid::now_v7());
        let consumer = timed(
            "starting to consume",
            channel.channel().basic_consume(
                name.as_str().into(),
                tag.as_str().into(),
                BasicConsumeOptions::default(), // manual acks
                FieldTable::default(),
            ),
        )
        .await?;
        let source: Arc<str> = Arc::from(name.as_str());
        streams.push(
            consumer
                .map(move |delivery| (source.clone(), delivery))
                .boxed(),
        );
        tags.push(tag);
    }
    let mut deliveries = futures_util::stream::select_all(streams);
    let settings = ctx.settings.clone();
    let shared = Arc::new(Shared {
        ctx: ctx.clone(),
        service: spec.service,
        queue: queue.clone(),
        acks: Acks::new(channel.channel().clone(), ctx.prefetch),
        channel,
        shutdown: shutdown.clone(),
        retry_in_place: spec.handlers.partitions().is_some(),
    });
    ctx.health.set(component, true);
    tracing::info!(
        queue,
        prefetch = ctx.prefetch,
        lanes = settings.lanes,
        eager_lanes = settings.eager_lanes,
        batch = settings.batch_size,
        "consuming"
    );
    let mut scheduler: Scheduler<Item> = Scheduler::default();
    let mut tasks: JoinSet<Event> = JoinSet::new();
    let mut lanes = Lanes::new(settings.lanes, settings.eager_lanes);
    let mut linger_until: Option<tokio::time::Instant> = None;
    // A dead connection does not always end the stream: look at it now and then.
    let mut watchdog = tokio::time::interval(Duration::from_secs(2));
    // Republished messages carry this user; an org's publisher is then in `x-ingest-user`.
    let own_user = super::republish::broker_user(&ctx.amqp_url);
    loop {
        while scheduler.has_runnable() && lanes.may_start(tokio::time::Instant::now()) {
            if !settings.linger.is_zero() && scheduler.queued() < settings.batch_size {
                let until = *linger_until
                    .get_or_insert_with(|| tokio::time::Instant::now() + settings.linger);
                if tokio::time::Instant::now() < until {
                    break;
                }
            }
            linger_until = None;
            // A lane takes what waits, up to a batch, rather than an equal share among the idle
            // lanes: a transaction's fixed cost (checkout, BEGIN, inbox, commit's WAL flush,
            // ack) is then paid once for many messages. Shared equally, a steady flow ran in
            // batches of 2-3 on 4 lanes (docs/benchmarks.md, "Record ingest").
            let share = scheduler.queued().clamp(1, settings.batch_size);
            let (items, keys) = scheduler.take(share);
            let lane = lanes.start(tokio::time::Instant::now());
            let shared = shared.clone();
            tasks.spawn(async move { Event::Batch(lane, batch::run(shared, items, keys).await) });
        }
        let linger = linger_until;
        // While messages wait for a lane: when the running batches will be overdue.
        let look_again = if scheduler.has_runnable() {
            lanes.next_look()
        } else {
            None
        };
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                // Stop taking deliveries, finish the batches that run; what waits goes back to
                // the queue when the channel closes (unacknowledged).
                for tag in &tags {
                    let _ = timed("cancelling the consumer", shared.channel.channel().basic_cancel(tag.as_str().into(), BasicCancelOptions::default())).await;
                }
                let mut running = lanes.running();
                while running > 0 {
                    match tasks.join_next().await {
                        Some(Ok(Event::Batch(..))) | Some(Err(_)) => running -= 1,
                        Some(Ok(Event::Wake(_))) => {}
                        None => break,
                    }
                }
                // Handled messages whose ack waited for a `multiple` are acknowledged now, so
                // that they do not come back to the queue with the channel.
                if let Err(err) = shared.acks.flush_all().await {
                    tracing::warn!(error = %format!("{err:#}"), "acknowledging at shutdown failed; the inbox will absorb the redeliveries");
                }
                drop(scheduler);
                let _ = timed("closing the connection", connection.close(200, "shutting down".into())).await;
                return Ok(());
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                match joined {
                    Err(err) => anyhow::bail!("a lane of the consumer failed: {err}"),
                    Ok(Event::Wake(key)) => scheduler.release(&key),
                    Ok(Event::Batch(lane, report)) => {
                        lanes.finish(lane, tokio::time::Instant::now());
                        for key in &report.keys {
                            if !report.deferred.iter().any(|d| &d.key == key) {
                                scheduler.release(key);
                            }
                        }
                        for deferred in report.deferred {
                            scheduler.put_back(&deferred.key, deferred.items);
                            let (key, delay) = (deferred.key, deferred.delay);
                            tasks.spawn(async move {
                                tokio::time::sleep(delay).await;
                                Event::Wake(key)
                            });
                        }
                        match report.end? {
                            End::Done => {}
                            End::Abandoned => return Ok(()),
                        }
                    }
                }
            }
            _ = watchdog.tick() => {
                anyhow::ensure!(connection.status().connected(), "connection is no longer open");
                shared.acks.flush_overdue().await?;
            }
            _ = async { if let Some(until) = linger { tokio::time::sleep_until(until).await } }, if linger.is_some() => {}
            _ = async { if let Some(at) = look_again { tokio::time::sleep_until(at).await } }, if look_again.is_some() => {}
            next = deliveries.next() => {
                let (source, delivery) = match next {
                    Some((source, Ok(delivery))) => (source, delivery),
                    Some((_, Err(err))) => return Err(err.into()),
                    None => anyhow::bail!("the broker ended the consumer"),
                };
                scheduler.push(Item::admit(delivery, source, &spec.handlers, &settings, &ctx.health, &own_user));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reconnect_pause_resets_after_a_session_that_worked() {
        let mut pause = FIRST_PAUSE;
        for _ in 0..6 {
            pause = next_pause(pause, Duration::from_millis(50));
        }
        assert_eq!(pause, Duration::from_secs(5), "failing at once backs off");
        assert_eq!(next_pause(pause, Duration::from_secs(60)), FIRST_PAUSE);
    }
}
