//! A connection's history as CSV.
//!
//! Columns, always in this order: `occurred_at` (RFC 3339, UTC), `kind`, `summary`, `detail`
//! (the entry's detail as compact JSON). Quoting follows RFC 4180. A cell that a spreadsheet
//! would read as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a
//! leading `'`, so opening the file never runs anything a partner wrote.

use super::AppState;
use super::access::visible_connection;
use super::read::HistoryQuery;
use crate::history::{self, EntryView};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use shared::http::{ApiError, Auth, ValidQuery, require_scope};
use shared::identity::Scope;
use shared::validate;

/// The columns of the export.
pub const COLUMNS: [&str; 4] = ["occurred_at", "kind", "summary", "detail"];

/// The most entries one export holds.
pub const MAX_ROWS: i64 = 100_000;

/// A connection's history as CSV (columns `occurred_at,kind,summary,detail`), oldest first.
/// Takes the same filters as the JSON history; `limit` is ignored (up to 100 000 entries).
#[utoipa::path(
    get,
    path = "/v1/connections/{id}/history.csv",
    tag = "connections",
    params(("id" = Uuid, Path, description = "The connection's id"), HistoryQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "CSV with a header row", body = String, content_type = "text/csv"),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history_csv(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidQuery(query): ValidQuery<HistoryQuery>,
) -> Result<Response, ApiError> {
    require_scope(&principal, Scope::Read)?;
    let id = validate::uuid("id", &id)?;
    let filter = query.filter()?;
    let mut conn = state.pool.get().await?;
    visible_connection(&mut conn, principal.org_id, id).await?;
    let entries = history::list(&mut conn, id, &filter, MAX_ROWS).await?;
    let body = to_csv(&entries).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"connection-{id}-history.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The entries as CSV, header first.
pub fn to_csv(entries: &[EntryView]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for entry in entries {
        writer.write_record([
            defuse(&entry.occurred_at.to_rfc3339()),
            defuse(&entry.kind),
            defuse(&entry.summary),
            defuse(&entry.detail.to_string()),
        ])?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes)?)
}

/// A cell a spreadsheet would take for a formula gets a leading `'`.
pub fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn formulas_are_defused_and_other_cells_kept() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defuse(risky), format!("'{risky}"));
        }
        assert_eq!(defuse("Invitation sent"), "Invitation sent");
        assert_eq!(defuse(""), "");
    }

    #[test]
    fn quotes_commas_and_newlines_survive_a_round_trip() {
        let entry = EntryView {
            id: 1,
            connection_id: Uuid::nil(),
            kind: "StatusChanged".into(),
            summary: "a \"quoted\", multi\nline =cell".into(),
            detail: serde_json::json!({"a": "b,c"}),
            occurred_at: chrono::DateTime::UNIX_EPOCH,
        };
        let text = to_csv(&[entry]).expect("csv");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .expect("headers")
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(headers, COLUMNS);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][2], "a \"quoted\", multi\nline =cell");
        assert_eq!(&rows[0][3], r#"{"a":"b,c"}"#);
    }
}
