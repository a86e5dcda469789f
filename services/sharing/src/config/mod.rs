//! Configuration as code: an org's object schemas, connection templates, publications and
//! subscriptions as one document, exported and imported. The HTTP routes and the CLI
//! (`partnernet config export|import`) run the same [`export`] and [`import`].
//!
//! - [`document`]: the document's types and JSON Schema;
//! - [`parse`]: reading YAML or JSON, with paths that name elements by their keys;
//! - [`context`]: the org's partners and what they publish to it;
//! - [`export`]: the stored configuration as a document;
//! - [`checks`], [`definitions`]: every rule a document keeps (pure);
//! - [`plan`]: the items added, changed and removed (pure);
//! - [`apply`]: writing the plan, events through the outbox, in one transaction;
//! - [`routes`]: `GET /v1/config`, `POST /v1/config/import`.

pub mod apply;
pub mod checks;
pub mod context;
pub mod definitions;
pub mod document;
pub mod export;
pub mod parse;
pub mod plan;
pub mod problems;
pub mod routes;

pub use document::ConfigDocument;
pub use export::export;
pub use parse::{Format, parse};
pub use plan::Change;
pub use problems::{ImportError, Problem};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Serialize;
use uuid::Uuid;

/// What an import did, or would do on a dry run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    /// Whether the changes were made (false on a dry run, and when there was nothing to do).
    pub applied: bool,
    pub dry_run: bool,
    /// Every item added, changed or removed, with its path.
    pub changes: Vec<Change>,
}

/// Makes the org's configuration exactly `document`'s: checks it against the org's partners and
/// its own objects, plans it, and unless `dry_run` applies it, all in one transaction (a dry run
/// or a failure changes nothing).
pub async fn import(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    document: ConfigDocument,
    dry_run: bool,
) -> Result<ImportOutcome, ImportError> {
    let desired = document.canonical();
    conn.transaction::<_, ImportError, _>(async |conn| {
        apply::lock(conn, org).await?;
        let context = context::load(conn, org).await?;
        let problems = checks::check(&desired, &context);
        if !problems.is_empty() {
            return Err(ImportError::Invalid(problems));
        }
        let current = export::current(conn, org, &context).await?;
        let changes = plan::plan(&current, &desired, &context);
        let applied = !dry_run && !changes.is_empty();
        if applied {
            apply::apply(conn, org, &context, &current, &desired).await?;
        }
        Ok(ImportOutcome {
            applied,
            dry_run,
            changes,
        })
    })
    .await
}
