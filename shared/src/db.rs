//! The PostgreSQL pool and the migration runner.

use anyhow::Context;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// The runtime's own tables: `messaging` (outbox, inbox) and `identity` (orgs, users, keys).
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A pool whose waits are bounded, so a down database is an error, not a hang.
pub fn pool(database_url: &str, size: usize) -> anyhow::Result<DbPool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .context("building the PostgreSQL pool")
}

/// `SELECT 1` on a pooled connection, under a timeout.
pub async fn ping(pool: &DbPool) -> bool {
    let attempt = async {
        let mut conn = pool.get().await.ok()?;
        diesel_async::RunQueryDsl::execute(diesel::sql_query("SELECT 1"), &mut conn)
            .await
            .ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(3), attempt).await,
        Ok(Some(_))
    )
}

/// Waits until PostgreSQL answers again (or shutdown). Returns false on shutdown.
pub async fn wait_until_reachable(pool: &DbPool, shutdown: &CancellationToken) -> bool {
    let mut delay = Duration::from_millis(200);
    loop {
        if ping(pool).await {
            return true;
        }
        tracing::warn!("PostgreSQL unreachable; consumption paused");
        tokio::select! {
            _ = shutdown.cancelled() => return false,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Applies every pending migration of each set, in order. Needs a multi-thread runtime.
pub async fn run_migrations(
    database_url: &str,
    sets: Vec<EmbeddedMigrations>,
) -> anyhow::Result<Vec<String>> {
    use diesel_async::AsyncConnection;
    let conn = AsyncPgConnection::establish(database_url)
        .await
        .context("connecting to PostgreSQL to migrate")?;
    let mut harness = diesel_async::AsyncMigrationHarness::new(conn);
    let mut applied = Vec::new();
    for set in sets {
        let versions = harness
            .run_pending_migrations(set)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        applied.extend(versions.iter().map(|v| v.to_string()));
    }
    Ok(applied)
}

/// Creates a database if it does not exist (used by `partnernet migrate` and tests).
pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(admin_url)
        .await
        .context("connecting to the PostgreSQL admin database")?;
    let exists: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name),
        &mut conn,
    )
    .await
    .map(|row: CountRow| row.n)
    .context("looking up the database")?;
    if exists == 0 {
        let quoted = name.replace('"', "\"\"");
        conn.batch_execute(&format!("CREATE DATABASE \"{quoted}\""))
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
pub struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}
