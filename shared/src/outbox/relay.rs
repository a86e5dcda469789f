//! The outbox relay: one active relay per service, woken by `NOTIFY`, publishing in batches.
//!
//! - **One active relay per service.** Every replica runs a relay, but only the one holding the
//!   service's PostgreSQL advisory lock (on its own listening connection) publishes; the others
//!   stand by and take over within [`STANDBY_RETRY`] when its connection dies. With one
//!   publisher reading rows in `id` order, rows of one key (whose writers are serialised by the
//!   lock on the row they change) are published in commit order.
//! - **Woken, not polling.** An insert trigger sends `NOTIFY partnernet_outbox, service`; the
//!   relay waits for it, with the poll interval as a fallback.
//! - **No transaction while the broker answers.** Being the only publisher, the relay reads a
//!   batch, publishes it with confirms pipelined, then deletes it: nothing stays locked or open
//!   while RabbitMQ confirms. A crash in between publishes the batch again (the inboxes absorb it).
//! - **Errors back off and recover.** The pause doubles on each failure, up to 5 s, and returns
//!   to the poll interval at the first success.

use super::{component_name, outbox};
use crate::amqp::{Publisher, Topology};
use crate::db::DbPool;
use crate::health::Health;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Rows read and published per batch (their confirms are awaited together).
const BATCH: i64 = 500;
/// How often a standby relay tries to become the active one.
const STANDBY_RETRY: Duration = Duration::from_secs(2);
const MAX_PAUSE: Duration = Duration::from_secs(5);
const CHANNEL: &str = "partnernet_outbox";

/// Publishes `service`'s outbox until shutdown.
#[allow(clippy::too_many_arguments)]
pub async fn relay(
    service: &'static str,
    database_url: String,
    pool: DbPool,
    publisher: Publisher,
    topology: Topology,
    poll: Duration,
    health: Health,
    shutdown: CancellationToken,
) {
    let component = component_name(service);
    let mut pause = poll;
    while !shutdown.is_cancelled() {
        let result = async {
            let mut listener =
                become_active(service, &database_url, &health, &component, &shutdown).await?;
            let Some(listener) = listener.as_mut() else {
                return anyhow::Ok(()); // shutdown while standing by
            };
            active(
                service, listener, &pool, &publisher, &topology, poll, &health, &component,
                &mut pause, &shutdown,
            )
            .await
        }
        .await;
        if let Err(err) = result {
            health.set(&component, false);
            tracing::warn!(service, error = %format!("{err:#}"), "outbox relay lost its PostgreSQL session");
            pause = next_pause(pause, poll);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
    publisher.close().await;
}

/// Connects, listens and waits for the service's advisory lock. `None` on shutdown.
async fn become_active(
    service: &str,
    database_url: &str,
    health: &Health,
    component: &str,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<AsyncPgConnection>> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(&mut conn)
        .await?;
    loop {
        let locked: bool = diesel::select(pg_try_advisory_lock(lock_key(service)))
            .get_result(&mut conn)
            .await?;
        if locked {
            tracing::info!(service, "outbox relay is the active one");
            return Ok(Some(conn));
        }
        // Standing by is healthy: another replica publishes.
        health.set(component, true);
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(None),
            _ = tokio::time::sleep(STANDBY_RETRY) => {}
        }
    }
}

/// Drains the outbox on each notification (or poll) while the listening connection lives.
#[allow(clippy::too_many_arguments)]
async fn active(
    service: &str,
    listener: &mut AsyncPgConnection,
    pool: &DbPool,
    publisher: &Publisher,
    topology: &Topology,
    poll: Duration,
    health: &Health,
    component: &str,
    pause: &mut Duration,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let wait = match drain(service, pool, publisher, topology).await {
            Ok(()) => {
                health.set(component, true);
                *pause = poll;
                poll
            }
            Err(err) => {
                health.set(component, false);
                tracing::warn!(service, error = %format!("{err:#}"), "outbox relay pass failed");
                *pause = next_pause(*pause, poll);
                *pause
            }
        };
        let woken = {
            let mut notifications = std::pin::pin!(listener.notifications_stream());
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                next = notifications.next() => Some(next),
                _ = tokio::time::sleep(wait) => None,
            }
        };
        match woken {
            Some(Some(Ok(_))) => {} // rows committed: drain again (other services' too: cheap)
            Some(Some(Err(err))) => return Err(err.into()),
            Some(None) => anyhow::bail!("the listening connection closed"),
            // Quiet: check that the listening connection (and so the lock) is still alive.
            None => {
                diesel::sql_query("SELECT 1").execute(listener).await?;
            }
        }
    }
}

/// Publishes batches until the outbox of `service` is empty, then updates the gauges.
async fn drain(
    service: &str,
    pool: &DbPool,
    publisher: &Publisher,
    topology: &Topology,
) -> anyhow::Result<()> {
    while relay_batch(service, pool, publisher, topology).await? as i64 == BATCH {}
    let mut conn = pool.get().await?;
    let (backlog, oldest): (i64, Option<f64>) = outbox::table
        .filter(outbox::service.eq(service))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Double>>(
                "EXTRACT(EPOCH FROM now() - min(created_at))::float8",
            ),
        ))
        .get_result(&mut conn)
        .await?;
    metrics::gauge!("partnernet_outbox_backlog", "service" => service.to_string())
        .set(backlog as f64);
    metrics::gauge!("partnernet_outbox_oldest_age_seconds", "service" => service.to_string())
        .set(oldest.unwrap_or(0.0));
    Ok(())
}

/// One batch: read the oldest rows, publish them with pipelined confirms, delete them.
/// Call it only as the active relay (see the module doc). Returns rows published.
pub async fn relay_batch(
    service: &str,
    pool: &DbPool,
    publisher: &Publisher,
    topology: &Topology,
) -> anyhow::Result<usize> {
    let rows: Vec<(i64, String, serde_json::Value)> = {
        let mut conn = pool.get().await?;
        outbox::table
            .filter(outbox::service.eq(service))
            .order(outbox::id)
            .select((outbox::id, outbox::routing_key, outbox::body))
            .limit(BATCH)
            .load(&mut conn)
            .await?
    };
    if rows.is_empty() {
        return Ok(0);
    }
    let batch: Vec<(String, Vec<u8>)> = rows
        .iter()
        .map(|(_, key, body)| Ok((key.clone(), serde_json::to_vec(body)?)))
        .collect::<anyhow::Result<_>>()?;
    publisher
        .publish_batch(&topology.events_exchange(), &batch, service)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _, _)| *id).collect();
    let mut conn = pool.get().await?;
    diesel::delete(outbox::table.filter(outbox::id.eq_any(&ids)))
        .execute(&mut conn)
        .await?;
    metrics::counter!("partnernet_outbox_published_total", "service" => service.to_string())
        .increment(rows.len() as u64);
    Ok(rows.len())
}

fn next_pause(pause: Duration, poll: Duration) -> Duration {
    (pause * 2).clamp(poll.max(Duration::from_millis(200)), MAX_PAUSE)
}

/// The advisory lock of a service's relay: a stable number from its name.
fn lock_key(service: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("partnernet outbox relay {service}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

diesel::define_sql_function! {
    fn pg_try_advisory_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_on_failure_and_is_capped() {
        let poll = Duration::from_millis(100);
        assert_eq!(next_pause(poll, poll), Duration::from_millis(200));
        assert_eq!(next_pause(Duration::from_secs(4), poll), MAX_PAUSE);
    }

    #[test]
    fn each_service_has_its_own_stable_lock() {
        assert_eq!(lock_key("invitation"), lock_key("invitation"));
        assert_ne!(lock_key("invitation"), lock_key("notification"));
    }
}
