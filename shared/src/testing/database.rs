use anyhow::Context;
use diesel::migration::MigrationSource;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::EmbeddedMigrations;
use sha2::{Digest, Sha256};

/// A database of its own for one test, cloned from a template migrated once per set of
/// migrations. Dropped when the value is dropped.
pub struct TestDatabase {
    pub url: String,
    name: String,
    admin_url: String,
}

/// Serialises template creation across test processes.
const TEMPLATE_LOCK: i64 = 0x0070_6172_746e_6574; // "partnet" in ASCII

impl TestDatabase {
    pub async fn create(migrations: Vec<EmbeddedMigrations>) -> anyhow::Result<Self> {
        let admin_url = super::admin_database_url();
        ensure_admin_database(&admin_url).await?;
        let template = ensure_template(&admin_url, migrations).await?;
        let name = format!("pn_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .context("connecting to the admin database")?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .with_context(|| format!("cloning {template}"))?;
        Ok(Self {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
        let _ = dropped;
    }
}

/// The template for this set of migrations, created and migrated if missing.
async fn ensure_template(
    admin_url: &str,
    migrations: Vec<EmbeddedMigrations>,
) -> anyhow::Result<String> {
    let mut fingerprint = Sha256::new();
    for set in &migrations {
        let found = MigrationSource::<diesel::pg::Pg>::migrations(set)
            .map_err(|e| anyhow::anyhow!("reading migrations: {e}"))?;
        for migration in found {
            fingerprint.update(migration.name().to_string().as_bytes());
        }
    }
    // diesel does not expose an embedded migration's SQL, so the files are read from the
    // workspace: an edited migration then builds a new template instead of reusing a stale one.
    for file in migration_files(&workspace_root()) {
        fingerprint.update(file.to_string_lossy().as_bytes());
        fingerprint.update(std::fs::read(&file).unwrap_or_default());
    }
    let digest: String = fingerprint
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let template = format!("pn_template_{digest}");

    let mut admin = AsyncPgConnection::establish(admin_url)
        .await
        .context("connecting to the admin database")?;
    admin
        .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .await?;
    let result = async {
        let exists: i64 = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(&template),
            &mut admin,
        )
        .await
        .map(|row: crate::db::CountRow| row.n)?;
        if exists == 0 {
            // Build under another name and rename when complete: a crash never leaves a
            // half-migrated template behind under the real name.
            let building = format!("{template}_building");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .await?;
            admin
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .await?;
            crate::db::run_migrations(&with_database(admin_url, &building), migrations).await?;
            admin
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
                .await?;
        }
        anyhow::Ok(())
    }
    .await;
    admin
        .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .await?;
    result?;
    Ok(template)
}

/// The workspace this crate is built in (`shared/` is one of its members).
fn workspace_root() -> std::path::PathBuf {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    shared.parent().unwrap_or(shared).to_path_buf()
}

/// Every file under a `migrations` folder of the workspace's crates, sorted.
fn migration_files(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut crates = vec![root.join("shared")];
    if let Ok(services) = std::fs::read_dir(root.join("services")) {
        crates.extend(services.flatten().map(|entry| entry.path()));
    }
    let mut files = Vec::new();
    for krate in crates {
        let Ok(migrations) = std::fs::read_dir(krate.join("migrations")) else {
            continue;
        };
        for migration in migrations.flatten() {
            if let Ok(entries) = std::fs::read_dir(migration.path()) {
                files.extend(entries.flatten().map(|entry| entry.path()));
            }
        }
    }
    files.sort();
    files
}

/// Creates the admin database itself when it does not exist yet (a fresh server, or CI pointing
/// `TEST_DATABASE_URL` at a new name), from the server's `postgres` database.
async fn ensure_admin_database(admin_url: &str) -> anyhow::Result<()> {
    if AsyncPgConnection::establish(admin_url).await.is_ok() {
        return Ok(());
    }
    let base = admin_url.split_once('?').map_or(admin_url, |(b, _)| b);
    let authority = base.find("://").map_or(0, |i| i + 3);
    let Some((_, name)) = base[authority..].split_once('/') else {
        return Ok(());
    };
    if name.is_empty() || name == "postgres" {
        return Ok(());
    }
    let created = crate::db::ensure_database(&with_database(admin_url, "postgres"), name).await;
    // Tests start in parallel: another one may have created it in the meantime.
    if created.is_err() && AsyncPgConnection::establish(admin_url).await.is_ok() {
        return Ok(());
    }
    created.with_context(|| format!("creating the test admin database {name}"))
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{migration_files, with_database, workspace_root};

    #[test]
    fn the_fingerprint_reads_every_migrations_sql() {
        let files = migration_files(&workspace_root());
        assert!(
            files
                .iter()
                .any(|f| f.ends_with("2026-11-23-000100_messaging/up.sql")),
            "{files:?}"
        );
        assert!(
            files
                .iter()
                .any(|f| f.ends_with("2026-11-23-000300_emails/up.sql"))
        );
    }

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
