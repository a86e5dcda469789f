//! The outbox relay: one active relay per service, woken by `NOTIFY`, publishing in batches.
//!
//! - **One active relay per service.** Every replica runs a relay, but only the one holding the
//!   service's PostgreSQL advisory lock (on its own listening connection) publishes; the others
//!   stand by and take over within [`STANDBY_RETRY`] when its connection dies. With one
//!   publisher reading rows in `id` order, rows of one key (whose writers are serialised by the
//!   lock on the row they change) are published in commit order.
//! - **Woken when idle, polling when busy.** While the relay is idle, an insert trigger sends
//!   `NOTIFY partnernet_outbox, service` and the relay waits for it, with the poll interval as a
//!   fallback. While rows keep coming it polls instead and writers do not notify: a notifying
//!   commit serialises every writer of the cluster (see [`idle`]).
//! - **No transaction while the broker answers.** Being the only publisher, the relay reads a
//!   batch, publishes it, and reads and publishes the next ones while RabbitMQ confirms it (up
//!   to [`IN_FLIGHT`] batches outstanding); it deletes a batch once all its confirms ack. Nothing
//!   stays locked or open while RabbitMQ confirms. A crash in between publishes the batch again
//!   (the inboxes absorb it).
//! - **Errors back off and recover.** The pause doubles on each failure, up to 5 s, and returns
//!   to the poll interval at the first success.

use super::id_runs::IdRuns;
use super::{component_name, idle, outbox};
use crate::amqp::{PendingConfirms, Publisher, Topology};
use crate::db::DbPool;
use crate::health::Health;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Rows read and published per batch (their confirms are awaited together).
const BATCH: i64 = 500;
/// Batches whose confirms may be outstanding at once: the next batch is read and sent while
/// the broker confirms the earlier ones, so neither side waits for the other.
const IN_FLIGHT: usize = 4;
/// How often a standby relay tries to become the active one.
const STANDBY_RETRY: Duration = Duration::from_secs(2);
const MAX_PAUSE: Duration = Duration::from_secs(5);
const CHANNEL: &str = "partnernet_outbox";
/// How often the backlog gauges are read: counting the table on every pass (every committing
/// transaction wakes the relay) cost PostgreSQL more than the writes it relayed.
const GAUGE_INTERVAL: Duration = Duration::from_secs(5);

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

/// Drains the outbox while the listening connection lives: woken by notifications while idle,
/// polling every [`idle::BUSY_POLL`] while rows keep coming (see [`idle`]).
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
    let mut gauged: Option<tokio::time::Instant> = None;
    let mut mode = Mode::Idle;
    loop {
        let wait = match drain(service, pool, publisher, topology, &mut gauged).await {
            Ok(published) => {
                health.set(component, true);
                *pause = poll;
                mode = match mode {
                    Mode::Idle | Mode::Settling { .. } if published > 0 => {
                        if idle::become_busy(listener, service).await? {
                            tracing::debug!(service, "outbox relay busy: polling");
                            Mode::Busy { empty_reads: 0 }
                        } else {
                            mode
                        }
                    }
                    Mode::Idle => Mode::Idle,
                    Mode::Busy { .. } if published > 0 => Mode::Busy { empty_reads: 0 },
                    Mode::Busy { empty_reads }
                        if empty_reads + 1 < idle::EMPTY_READS_BEFORE_IDLE =>
                    {
                        Mode::Busy {
                            empty_reads: empty_reads + 1,
                        }
                    }
                    Mode::Busy { .. } => Mode::Settling {
                        writers: idle::release_busy(listener, service).await?,
                        since: tokio::time::Instant::now(),
                    },
                    Mode::Settling { writers, since } => {
                        if since.elapsed() < idle::SETTLE_LIMIT
                            && idle::writers_remaining(listener, service, &writers).await? > 0
                        {
                            Mode::Settling { writers, since }
                        } else {
                            tracing::debug!(service, "outbox relay idle: woken by notifications");
                            discard_waiting_notifications(listener);
                            // Read once more: the writers that saw the relay busy have ended.
                            mode = Mode::Idle;
                            continue;
                        }
                    }
                };
                if matches!(mode, Mode::Idle) {
                    poll
                } else {
                    idle::BUSY_POLL
                }
            }
            Err(err) => {
                health.set(component, false);
                tracing::warn!(service, error = %format!("{err:#}"), "outbox relay pass failed");
                *pause = next_pause(*pause, poll);
                *pause
            }
        };
        if !matches!(mode, Mode::Idle) {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(wait) => continue,
            }
        }
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

/// How the active relay learns of new rows (see [`idle`]).
enum Mode {
    /// Waiting for a notification (or the poll interval).
    Idle,
    /// Polling: rows keep coming, and writers do not notify.
    Busy { empty_reads: u32 },
    /// Polling, no longer busy, until the writers that saw it busy have ended.
    Settling {
        writers: Vec<String>,
        since: tokio::time::Instant,
    },
}

/// Drops the notifications sent while the relay was busy: each would only wake it for a read
/// that finds nothing.
fn discard_waiting_notifications(listener: &mut AsyncPgConnection) {
    use futures_util::FutureExt;
    let mut notifications = std::pin::pin!(listener.notifications_stream());
    while let Some(Some(Ok(_))) = notifications.next().now_or_never() {}
}

/// Publishes until the outbox of `service` is empty (returns the rows published), then updates the gauges if they were last
/// read [`GAUGE_INTERVAL`] ago or more (`gauged`: when).
async fn drain(
    service: &str,
    pool: &DbPool,
    publisher: &Publisher,
    topology: &Topology,
    gauged: &mut Option<tokio::time::Instant>,
) -> anyhow::Result<usize> {
    let published = publish_pending(service, pool, publisher, topology).await?;
    if gauged.is_some_and(|at| at.elapsed() < GAUGE_INTERVAL) {
        return Ok(published);
    }
    *gauged = Some(tokio::time::Instant::now());
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
    Ok(published)
}

/// A batch sent to the broker whose rows are deleted once all its confirms ack.
struct Sent {
    ids: Vec<i64>,
    pending: PendingConfirms,
}

/// Publishes the rows of `service` in `id` order, batch after batch, until a read finds less
/// than a full batch. Up to [`IN_FLIGHT`] batches await their confirms while the next is read
/// and sent; batches are settled oldest first, and a batch's rows are deleted only after every
/// one of its messages was acked and routed. On any error the batches still in flight are
/// left in the table (published again later; the inboxes absorb the duplicates).
/// Call it only as the active relay (see the module doc). Returns rows published.
pub async fn publish_pending(
    service: &str,
    pool: &DbPool,
    publisher: &Publisher,
    topology: &Topology,
) -> anyhow::Result<usize> {
    let exchange = topology.events_exchange();
    let mut session = publisher.session().await;
    let mut in_flight: VecDeque<Sent> = VecDeque::with_capacity(IN_FLIGHT);
    let mut published = 0;
    loop {
        let rows = {
            let mut conn = pool.get().await?;
            let sending = in_flight.iter().flat_map(|sent| sent.ids.iter().copied());
            read_unsent(&mut conn, service, sending, BATCH).await?
        };
        let full = rows.len() as i64 == BATCH;
        if !rows.is_empty() {
            let (ids, batch): (Vec<i64>, Vec<(String, Vec<u8>)>) = rows
                .into_iter()
                .map(|(id, key, body)| (id, (key, body.into_bytes())))
                .unzip();
            let pending = session.send_batch(&exchange, &batch, service).await?;
            in_flight.push_back(Sent { ids, pending });
        }
        // Keep the window full while rows remain; once caught up, settle everything.
        while in_flight.len() >= IN_FLIGHT || (!full && !in_flight.is_empty()) {
            let Some(sent) = in_flight.pop_front() else {
                break;
            };
            session.settle(sent.pending).await?;
            let mut conn = pool.get().await?;
            // The bounds make the delete an index range scan whatever PostgreSQL's statistics
            // say: analyzed while empty, the outbox is planned as holding no rows, and
            // `id = ANY` alone then became a scan of a whole index per batch.
            let first = sent.ids.iter().min().copied().unwrap_or_default();
            let last = sent.ids.iter().max().copied().unwrap_or_default();
            diesel::delete(
                outbox::table
                    .filter(outbox::id.between(first, last))
                    .filter(outbox::id.eq_any(&sent.ids)),
            )
            .execute(&mut conn)
            .await?;
            metrics::counter!("partnernet_outbox_published_total", "service" => service.to_string())
                .increment(sent.ids.len() as u64);
            published += sent.ids.len();
        }
        if !full {
            return Ok(published);
        }
    }
}

/// The first `limit` rows of `service`'s outbox in `id` order, skipping the rows `in_flight`:
/// `(id, routing key, body as stored)`.
///
/// Only the rows in flight are skipped, not every row below the highest id sent: a row that
/// commits late with a lower id must still be read, and before any later row of its key (whose
/// writer could only insert it after that row had committed).
pub async fn read_unsent(
    conn: &mut AsyncPgConnection,
    service: &str,
    in_flight: impl IntoIterator<Item = i64>,
    limit: i64,
) -> QueryResult<Vec<(i64, String, String)>> {
    use diesel::sql_types::{Array, BigInt, Bool, Text};
    let runs = IdRuns::of(in_flight);
    outbox::table
        .filter(outbox::service.eq(service))
        .filter(
            diesel::dsl::sql::<Bool>(
                "NOT (id <@ (SELECT coalesce(range_agg(int8range(s, e, '[]')), \
                 '{}'::int8multirange) FROM unnest(",
            )
            .bind::<Array<BigInt>, _>(runs.starts)
            .sql(", ")
            .bind::<Array<BigInt>, _>(runs.ends)
            .sql(") AS sent(s, e)))"),
        )
        .order(outbox::id)
        // The stored JSON as text, published as it is (no decode and re-encode per row).
        .select((
            outbox::id,
            outbox::routing_key,
            diesel::dsl::sql::<Text>("body::text"),
        ))
        .limit(limit)
        .load(conn)
        .await
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
