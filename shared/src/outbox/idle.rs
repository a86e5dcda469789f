//! Whether the writers of the outbox wake the relay with `NOTIFY`.
//!
//! A transaction that queued a notification takes, at COMMIT, a lock shared by the whole
//! database cluster and holds it through its WAL flush, so notifying writers commit one after
//! another. Under load that lock was most of a writer's wait. So writers notify only while the
//! relay is idle: a busy relay polls every [`BUSY_POLL`] and holds the service's *busy* advisory
//! lock, which the outbox trigger probes before notifying (migration
//! `2026-12-06-022201_outbox_notify_when_idle`; once per insert statement and service since
//! `2026-12-07-022301_outbox_notify_per_statement`).
//!
//! Going idle must not strand a row: a writer that saw the relay busy, and so will not notify,
//! may commit after the relay's last read. Every writer therefore holds the service's *writers*
//! lock (shared, until its transaction ends). After giving back the busy lock, the relay goes on
//! polling (*settling*) until the writers that held that lock at that moment have ended, then
//! reads once more before it sleeps. Writers that start later see it idle and notify. Settling
//! lasts at most [`SETTLE_LIMIT`]: the rows of a transaction left open longer are found by the
//! idle poll instead.

use diesel::sql_types::{Array, BigInt, Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::time::Duration;

/// How often a busy relay reads the outbox.
pub const BUSY_POLL: Duration = Duration::from_millis(2);
/// Empty reads in a row after which a busy relay goes idle (about 40 ms without a row).
pub const EMPTY_READS_BEFORE_IDLE: u32 = 20;
/// The longest a relay going idle polls on for the writers that saw it busy.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(5);

/// The advisory lock classes of the trigger (two-key advisory locks, keyed by
/// `hashtext(service)`): keep them equal to the migration's.
const BUSY_CLASS: i32 = 1_347_289_089;
const WRITERS_CLASS: i32 = 1_347_289_090;

#[derive(diesel::QueryableByName)]
struct Taken {
    #[diesel(sql_type = Bool)]
    taken: bool,
}

#[derive(diesel::QueryableByName)]
struct Writers {
    #[diesel(sql_type = Array<Text>)]
    writers: Vec<String>,
}

#[derive(diesel::QueryableByName)]
struct Remaining {
    #[diesel(sql_type = BigInt)]
    remaining: i64,
}

/// Takes the busy lock on the relay's own session: from now on writers do not notify.
/// `false` when a writer was probing at that instant (the relay stays idle and tries again).
pub async fn become_busy(listener: &mut AsyncPgConnection, service: &str) -> anyhow::Result<bool> {
    let row: Taken = diesel::sql_query("SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken")
        .bind::<diesel::sql_types::Integer, _>(BUSY_CLASS)
        .bind::<Text, _>(service)
        .get_result(listener)
        .await?;
    Ok(row.taken)
}

/// Gives back the busy lock and answers the writers that may have seen the relay busy (their
/// virtual transaction ids). The relay keeps polling until [`writers_remaining`] of them is 0,
/// then reads once more before it sleeps.
pub async fn release_busy(
    listener: &mut AsyncPgConnection,
    service: &str,
) -> anyhow::Result<Vec<String>> {
    diesel::sql_query("SELECT pg_advisory_unlock($1, hashtext($2))")
        .bind::<diesel::sql_types::Integer, _>(BUSY_CLASS)
        .bind::<Text, _>(service)
        .execute(listener)
        .await?;
    let seen: Writers = diesel::sql_query(format!(
        "SELECT coalesce(array_agg(virtualtransaction), '{{}}') AS writers FROM {}",
        writers_holding("$1")
    ))
    .bind::<Text, _>(service)
    .get_result(listener)
    .await?;
    Ok(seen.writers)
}

/// How many of `writers` (from [`release_busy`]) have not ended yet.
pub async fn writers_remaining(
    listener: &mut AsyncPgConnection,
    service: &str,
    writers: &[String],
) -> anyhow::Result<i64> {
    if writers.is_empty() {
        return Ok(0);
    }
    let left: Remaining = diesel::sql_query(format!(
        "SELECT count(*) AS remaining FROM {} AND virtualtransaction = ANY($2)",
        writers_holding("$1")
    ))
    .bind::<Text, _>(service)
    .bind::<Array<Text>, _>(writers)
    .get_result(listener)
    .await?;
    Ok(left.remaining)
}

/// The rows of `pg_locks` of the transactions holding `service`'s writers lock in this
/// database (`service_param`: the placeholder of the service's name).
fn writers_holding(service_param: &str) -> String {
    format!(
        "pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid = {WRITERS_CLASS}::oid AND objid = hashtext({service_param})::oid \
         AND objsubid = 2"
    )
}

/// Whether `service`'s active relay is busy (polling, so writers do not notify it).
pub async fn relay_is_busy(conn: &mut AsyncPgConnection, service: &str) -> anyhow::Result<bool> {
    let row: Taken = diesel::sql_query(
        "SELECT count(*) > 0 AS taken FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND mode = 'ExclusiveLock' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid = $1::oid AND objid = hashtext($2)::oid AND objsubid = 2",
    )
    .bind::<diesel::sql_types::Integer, _>(BUSY_CLASS)
    .bind::<Text, _>(service)
    .get_result(conn)
    .await?;
    Ok(row.taken)
}
