//! Many records of one object at once (HTTP bulk, `partnernet records import`): written in
//! batches, one transaction and one set of statements per batch ([`upsert_many`]); a bad record
//! is refused alone, with its line.

use super::batch::{Author, Write, upsert_many};
use super::write::{Upsert, Writer};
use super::{Mode, Outcome, WriteError};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Records written per transaction.
pub const BATCH: usize = 500;
/// Most failures listed in a summary (all are counted).
const MAX_FAILURES_LISTED: usize = 1000;

/// One record of a bulk write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRecord {
    pub record_id: String,
    #[serde(default)]
    pub fields: Map<String, Value>,
    pub private: Option<bool>,
}

/// What a bulk write did.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BulkSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// How many lines failed; the first 1000 are listed in `failures`.
    pub failed: u64,
    pub failures: Vec<BulkFailure>,
}

/// A line that was not written.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BulkFailure {
    /// 1-based (for a CSV file: the data row, the header not counted).
    pub line: u64,
    /// The field at fault (`fields.Name`, `record_id`), when there is one.
    pub field: Option<String>,
    pub reason: String,
}

impl BulkSummary {
    pub fn fail(&mut self, line: u64, field: Option<String>, reason: String) {
        self.failed += 1;
        if self.failures.len() < MAX_FAILURES_LISTED {
            self.failures.push(BulkFailure {
                line,
                field,
                reason,
            });
        }
    }

    pub fn lines(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.failed
    }
}

/// A parsed line, or why it could not be parsed.
pub type Parsed = Result<BulkRecord, BulkFailure>;

/// Writes one batch in one transaction, with the set statements of [`upsert_many`] (no
/// savepoint per record: a bad record is refused before anything of it is written). Only a
/// database failure fails the whole batch.
pub async fn write_batch(
    conn: &mut AsyncPgConnection,
    writer: &Writer<'_>,
    object: &str,
    batch: &[(u64, Parsed)],
    summary: &mut BulkSummary,
) -> Result<(), diesel::result::Error> {
    let mut writes = Vec::with_capacity(batch.len());
    let mut lines = Vec::with_capacity(batch.len());
    for (number, parsed) in batch {
        let record = match parsed {
            Ok(record) => record,
            Err(failure) => {
                summary.fail(*number, failure.field.clone(), failure.reason.clone());
                continue;
            }
        };
        if let Err(invalid) = shared::validate::text(
            "record_id",
            &record.record_id,
            shared::message::events::record::RECORD_KEY_MAX,
        ) {
            summary.fail(*number, Some(invalid.field), invalid.reason);
            continue;
        }
        writes.push(Write {
            org: writer.org,
            cause: writer.cause,
            input: Upsert {
                object,
                record_id: &record.record_id,
                fields: &record.fields,
                private: record.private,
                mode: Mode::Upsert,
            },
            synced: None,
        });
        lines.push(*number);
    }
    let author = Author {
        clock: writer.clock,
        changed_by: &writer.changed_by,
    };
    let results = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            upsert_many(conn, &author, &writes).await
        })
        .await?;
    for (number, result) in lines.into_iter().zip(results) {
        match result {
            Ok(Outcome::Created { .. }) => summary.created += 1,
            Ok(Outcome::Updated { .. } | Outcome::Deleted { .. }) => summary.updated += 1,
            Ok(Outcome::Unchanged { .. }) => summary.unchanged += 1,
            Err(WriteError::Database(e)) => return Err(e),
            Err(e) => {
                let problem = e.into_api_error();
                summary.fail(
                    number,
                    problem.problem().field.clone(),
                    problem.problem().detail.clone(),
                );
            }
        }
    }
    Ok(())
}
