//! `partnernet records`: import a CSV or NDJSON file into an org's records (through sync's
//! bulk write path, with a progress bar on stderr and a summary), and publish one record to
//! the ingest exchange as the org's broker user (what an org's own system does).

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};
use shared::amqp::{ConfirmedChannel, Topology, connect, envelope_properties};
use shared::hlc::Clock;
use shared::ids::OrgId;
use shared::message::events::record::RecordUpsertV1;
use shared::message::events::sync::{ChangeSource, ChangedBy};
use shared::message::{Envelope, Message};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use sync::store::bulk::{BATCH, BulkFailure, BulkRecord, BulkSummary, Parsed, write_batch};
use sync::store::write::Writer;

/// The column of a CSV file that holds the record id.
pub const ID_COLUMN: &str = "record_id";

/// The object a file holds: `--object`, else the file's name without extension
/// (`Account.csv`).
pub fn object_of(path: &Path, object: Option<&str>) -> anyhow::Result<String> {
    match object {
        Some(object) => Ok(object.to_string()),
        None => path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_owned)
            .context("name the object with --object"),
    }
}

/// Imports `path` (`.csv` with a header row and a `record_id` column, or `.ndjson`/`.jsonl`
/// with one `{"record_id", "fields"}` per line) into the org's `object` records.
pub async fn import(
    database_url: &str,
    org: OrgId,
    object: &str,
    path: &Path,
) -> anyhow::Result<BulkSummary> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = ProgressBar::new(size);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let reader = progress.wrap_read(file);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let records: Box<dyn Iterator<Item = Parsed>> = match extension.as_str() {
        "csv" => Box::new(csv_records(reader)?),
        "ndjson" | "jsonl" => Box::new(ndjson_records(reader)),
        other => anyhow::bail!("{other:?}: import takes .csv, .ndjson or .jsonl files"),
    };
    let pool = shared::db::pool(database_url, 1)?;
    let mut conn = pool.get().await.context("connecting to PostgreSQL")?;
    let clock = Clock::new();
    let writer = Writer {
        clock: &clock,
        org,
        changed_by: ChangedBy::Org {
            source: ChangeSource::Bulk,
        },
        cause: None,
    };
    let mut summary = BulkSummary::default();
    let mut batch: Vec<(u64, Parsed)> = Vec::with_capacity(BATCH);
    for (number, parsed) in (1u64..).zip(records) {
        batch.push((number, parsed));
        if batch.len() >= BATCH {
            write_batch(&mut conn, &writer, object, &batch, &mut summary).await?;
            batch.clear();
            progress.set_message(format!("{} records", summary.lines()));
        }
    }
    if !batch.is_empty() {
        write_batch(&mut conn, &writer, object, &batch, &mut summary).await?;
    }
    progress.finish_with_message(format!("{} records", summary.lines()));
    Ok(summary)
}

fn csv_records(reader: impl Read + 'static) -> anyhow::Result<impl Iterator<Item = Parsed>> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers = csv.headers().context("reading the header row")?.clone();
    let id = headers
        .iter()
        .position(|h| h == ID_COLUMN)
        .with_context(|| format!("the header row has no {ID_COLUMN} column"))?;
    Ok(csv.into_records().map(move |row| {
        let row = row.map_err(|e| BulkFailure {
            line: 0,
            field: None,
            reason: format!("not a CSV row: {e}"),
        })?;
        let mut fields = Map::new();
        for (i, (name, value)) in headers.iter().zip(row.iter()).enumerate() {
            // An empty cell says nothing: it neither sets nor clears the field.
            if i != id && !value.is_empty() {
                fields.insert(name.to_string(), Value::String(value.to_string()));
            }
        }
        Ok(BulkRecord {
            record_id: row.get(id).unwrap_or_default().to_string(),
            fields,
            private: None,
        })
    }))
}

fn ndjson_records(reader: impl Read + 'static) -> impl Iterator<Item = Parsed> {
    BufReader::new(reader)
        .lines()
        .filter(|line| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(|line| {
            let line = line.map_err(|e| BulkFailure {
                line: 0,
                field: None,
                reason: format!("reading: {e}"),
            })?;
            shared::strict_json::from_str::<BulkRecord>(&line).map_err(|e| BulkFailure {
                line: 0,
                field: None,
                reason: format!("not a record: {e}"),
            })
        })
}

/// Prints a summary on stdout: counts, then each failure with its line.
pub fn print_summary(summary: &BulkSummary) {
    println!(
        "created: {}  updated: {}  unchanged: {}  failed: {}",
        summary.created, summary.updated, summary.unchanged, summary.failed
    );
    for failure in &summary.failures {
        match &failure.field {
            Some(field) => println!("  line {}: {field}: {}", failure.line, failure.reason),
            None => println!("  line {}: {}", failure.line, failure.reason),
        }
    }
}

/// `key=value` pairs as record fields; `key=` clears the field.
pub fn fields_of(pairs: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut fields = Map::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("{pair:?}: write fields as Name=value"))?;
        let value = if value.is_empty() {
            Value::Null
        } else {
            Value::String(value.to_string())
        };
        fields.insert(name.to_string(), value);
    }
    Ok(fields)
}

/// Publishes `record.upsert.v1` to the ingest exchange as the org's broker user, confirmed.
pub async fn publish(
    amqp_url: &str,
    topology: &Topology,
    org: OrgId,
    user: &str,
    password: &str,
    record: RecordUpsertV1,
) -> anyhow::Result<Envelope<RecordUpsertV1>> {
    let envelope = Envelope::new(org, record);
    let body = serde_json::to_vec(&envelope)?;
    let url = with_credentials(amqp_url, user, password);
    let connection = connect(&url, "partnernet records publish").await?;
    let channel = ConfirmedChannel::open(&connection).await?;
    // The broker checks `user_id` against the connection's user: the org is proven by it.
    let properties = envelope_properties(&envelope.head(), "partnernet records publish")
        .with_user_id(user.into());
    let result = channel
        .publish(
            &topology.ingest_exchange(),
            &Topology::ingest_routing_key(org, &RecordUpsertV1::routing_key()),
            &body,
            properties,
        )
        .await;
    let _ = connection.close(200, "published".into()).await;
    result?;
    Ok(envelope)
}

/// `amqp_url` with `user:password@` in place of its credentials.
fn with_credentials(amqp_url: &str, user: &str, password: &str) -> String {
    let (scheme, rest) = amqp_url.split_once("://").unwrap_or(("amqp", amqp_url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!("{scheme}://{}:{}@{host}", enc(user), enc(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_credentials_are_read_as_written() {
        let fields = fields_of(&["Name=Acme".into(), "Industry=".into()]).expect("pairs");
        assert_eq!(fields["Name"], "Acme");
        assert!(fields["Industry"].is_null());
        assert!(fields_of(&["Name".into()]).is_err());
        assert_eq!(
            with_credentials("amqp://guest:guest@127.0.0.1:5672/%2f", "pn-org-1", "a/b"),
            "amqp://pn-org-1:a%2Fb@127.0.0.1:5672/%2f"
        );
    }
}
