//! Keeping the inbox bounded: at 10k messages/s it would gain 864M rows a day.
//!
//! `messaging.inbox` is range-partitioned on `message_id`. Message ids are UUIDv7: their first 48
//! bits are the publication time in ms, so one partition holds the ids of one time span
//! (`INBOX_PARTITION_SECS`). The janitor creates partitions ahead of time and drops whole
//! partitions whose span ended more than `INBOX_RETENTION_SECS` ago; ids that fall in no
//! partition (not v7, or older than every partition) live in the default partition and are
//! deleted once handled longer ago than the retention.
//!
//! **Guarantee:** a message is recognised as a duplicate for at least the retention after it
//! was published (v7 ids) or handled (other ids). The retention (7 days by default) must exceed
//! the longest redelivery window: the retry schedule (about 13 minutes by default) plus the
//! longest broker or consumer outage after which an already handled message could come back.
//! (A dead letter replayed later is no duplicate: it was never handled.)

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use std::time::Duration;

/// Partitions created ahead of the current span, so inserts never wait for the janitor.
const SPANS_AHEAD: i64 = 2;
/// Rows deleted per statement from the default partition.
const DELETE_BATCH: i64 = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct InboxRetention {
    pub retention: Duration,
    pub partition_span: Duration,
}

/// What one janitor pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct JanitorReport {
    pub created: usize,
    pub dropped: usize,
    pub deleted_from_default: usize,
}

/// One janitor pass as of `now`: create the coming partitions, drop expired ones, clean the
/// default partition. Several processes may run it: the partition work is serialised by an
/// advisory lock (a pass that does not get it skips that part).
pub async fn maintain(
    conn: &mut AsyncPgConnection,
    policy: InboxRetention,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<JanitorReport> {
    let span_ms = i64::try_from(policy.partition_span.as_millis())?.max(1);
    let retention_ms = i64::try_from(policy.retention.as_millis())?;
    let now_ms = now.timestamp_millis();
    let mut report = JanitorReport::default();
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        let locked: bool = diesel::select(pg_try_advisory_xact_lock(JANITOR_LOCK))
            .get_result(conn)
            .await?;
        if !locked {
            return Ok(());
        }
        let current = now_ms.div_euclid(span_ms) * span_ms;
        for start in (0..=SPANS_AHEAD).map(|i| current + i * span_ms) {
            let end = start + span_ms;
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS messaging.inbox_p{start}_{end} PARTITION OF messaging.inbox \
                 FOR VALUES FROM ('{}') TO ('{}')",
                uuid_at(start),
                uuid_at(end)
            );
            // A span whose ids already sit in the default partition (a fresh deployment)
            // cannot become a partition: its rows stay in the default one, cleaned by age.
            let created = conn
                .transaction::<_, diesel::result::Error, _>(async |conn| {
                    conn.batch_execute(&sql).await
                })
                .await;
            match created {
                Ok(()) => report.created += 1,
                Err(err) => tracing::debug!(start, error = %err, "inbox partition not created"),
            }
        }
        for (name, end) in partitions(conn).await? {
            if end < now_ms - retention_ms {
                conn.batch_execute(&format!("DROP TABLE messaging.{name}"))
                    .await?;
                report.dropped += 1;
            }
        }
        Ok(())
    })
    .await?;
    let cutoff = now - chrono::Duration::milliseconds(retention_ms);
    loop {
        let deleted = diesel::sql_query(
            "DELETE FROM messaging.inbox_default WHERE ctid IN \
             (SELECT ctid FROM messaging.inbox_default WHERE handled_at < $1 LIMIT $2)",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(cutoff)
        .bind::<diesel::sql_types::BigInt, _>(DELETE_BATCH)
        .execute(conn)
        .await?;
        report.deleted_from_default += deleted;
        if (deleted as i64) < DELETE_BATCH {
            break;
        }
    }
    Ok(report)
}

/// Runs [`maintain`] every `every` until shutdown; errors are logged and retried next time.
pub async fn janitor(
    pool: crate::db::DbPool,
    policy: InboxRetention,
    every: Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        let pass = async {
            let mut conn = pool.get().await?;
            maintain(&mut conn, policy, chrono::Utc::now()).await
        };
        match pass.await {
            Ok(report) => tracing::debug!(?report, "inbox janitor pass"),
            Err(err) => tracing::warn!(error = %format!("{err:#}"), "inbox janitor pass failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// The smallest UUIDv7 of millisecond `ms`: a partition bound.
fn uuid_at(ms: i64) -> uuid::Uuid {
    let ms = u64::try_from(ms).unwrap_or_default() & 0xFFFF_FFFF_FFFF;
    uuid::Uuid::from_u128(u128::from(ms) << 80)
}

/// The time partitions of the inbox and the end (ms) of each one's span, from their names.
async fn partitions(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<(String, i64)>> {
    #[derive(QueryableByName)]
    struct Partition {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let rows: Vec<Partition> = diesel::sql_query(
        "SELECT c.relname AS name FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'messaging.inbox'::regclass AND c.relname LIKE 'inbox\\_p%'",
    )
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            let end = p.name.rsplit('_').next()?.parse().ok()?;
            Some((p.name, end))
        })
        .collect())
}

const JANITOR_LOCK: i64 = 0x0070_6e69_6e62_6f78; // "pninbox"

diesel::define_sql_function! {
    fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

#[cfg(test)]
mod tests {
    use super::uuid_at;

    #[test]
    fn a_bound_is_the_first_v7_id_of_its_millisecond() {
        let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            1_800_000_000,
            0,
        ));
        assert!(uuid_at(1_800_000_000_000) <= id);
        assert!(id < uuid_at(1_800_000_000_001));
    }
}
