//! What PostgreSQL writes per update: each table's row inserts, updates (and how many of them
//! were HOT: written on the same page with no index entry) and deletes, from
//! `pg_stat_user_tables`, and the WAL the whole server wrote (`pg_stat_wal`: other databases'
//! writes count too), between two snapshots. A non-HOT update writes a new entry in every
//! index of its table; a HOT one in none. The counters lag a backend's commit: PostgreSQL
//! flushes a backend's counts at most once a second, and up to 10 s later when the flush is
//! contended. So a phase's last counts may be missing: the per-update figures can read a little
//! low, and the HOT shares are those of the updates counted.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::BTreeMap;

#[derive(QueryableByName)]
struct Wal {
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    inserted: i64,
    #[diesel(sql_type = BigInt)]
    updated: i64,
    #[diesel(sql_type = BigInt)]
    hot: i64,
    #[diesel(sql_type = BigInt)]
    deleted: i64,
}

/// Row writes of one table: inserted, updated, of which HOT, deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Writes {
    pub inserted: i64,
    pub updated: i64,
    pub hot: i64,
    pub deleted: i64,
}

/// Every user table of the database (`schema.table`) and its writes so far, and the server's
/// WAL bytes so far.
pub struct Snapshot {
    tables: BTreeMap<String, Writes>,
    wal_bytes: i64,
}

/// What was written between two snapshots.
pub struct Written {
    /// The tables written, most rows first.
    pub tables: Vec<(String, Writes)>,
    pub wal_bytes: i64,
}

impl Snapshot {
    pub async fn take(database_url: &str) -> anyhow::Result<Self> {
        let mut conn = AsyncPgConnection::establish(database_url).await?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT schemaname || '.' || relname AS name, n_tup_ins AS inserted, \
                    n_tup_upd AS updated, n_tup_hot_upd AS hot, n_tup_del AS deleted \
             FROM pg_stat_user_tables",
        )
        .load(&mut conn)
        .await?;
        let wal: Wal = diesel::sql_query("SELECT wal_bytes::bigint AS bytes FROM pg_stat_wal")
            .get_result(&mut conn)
            .await?;
        Ok(Self {
            wal_bytes: wal.bytes,
            tables: rows
                .into_iter()
                .map(|r| {
                    let writes = Writes {
                        inserted: r.inserted,
                        updated: r.updated,
                        hot: r.hot,
                        deleted: r.deleted,
                    };
                    (r.name, writes)
                })
                .collect(),
        })
    }

    /// What was written since `before`.
    pub fn since(&self, before: &Snapshot) -> Written {
        let mut tables: Vec<(String, Writes)> = self
            .tables
            .iter()
            .map(|(name, now)| {
                let then = before.tables.get(name).copied().unwrap_or_default();
                let delta = Writes {
                    inserted: now.inserted - then.inserted,
                    updated: now.updated - then.updated,
                    hot: now.hot - then.hot,
                    deleted: now.deleted - then.deleted,
                };
                (name.clone(), delta)
            })
            .filter(|(_, w)| *w != Writes::default())
            .collect();
        tables.sort_by_key(|(_, w)| -(w.inserted + w.updated + w.deleted));
        Written {
            tables,
            wal_bytes: self.wal_bytes - before.wal_bytes,
        }
    }
}

/// Prints each table's writes per settled update.
pub fn print(phase: &str, written: &Written, settled: i64) {
    let per = |n: i64| n as f64 / settled.max(1) as f64;
    println!(
        "  {phase}: WAL {:.0} bytes per settled update; rows written per settled update (inserted / updated, HOT share / deleted):",
        per(written.wal_bytes)
    );
    for (name, w) in &written.tables {
        let hot = if w.updated > 0 {
            format!("{:.0} %", 100.0 * w.hot as f64 / w.updated as f64)
        } else {
            "–".to_string()
        };
        println!(
            "    {name:<32} {:>6.2} / {:>6.2}, {hot:>5} / {:>6.2}",
            per(w.inserted),
            per(w.updated),
            per(w.deleted)
        );
    }
}
