//! Whether sync knows a connection as the org's: a subscription over it (the org subscribing or
//! publishing) or an update over it the org sent or received. Another org's connection, or one
//! that does not exist, is "not found" (the same answer, so nothing leaks).

use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::http::ApiError;
use shared::ids::OrgId;
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Known {
    #[diesel(sql_type = sql_types::Bool)]
    known: bool,
}

/// The connection `id` (text from the address) if it is the org's, else a 404 error.
pub async fn of_org(conn: &mut AsyncPgConnection, org: OrgId, id: &str) -> Result<Uuid, ApiError> {
    let not_found = || ApiError::not_found("connection");
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let row: Known = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM sync.subscription_mappings WHERE connection_id = $2 \
                          AND (subscriber_org_id = $1 OR publisher_org_id = $1)) \
             OR EXISTS (SELECT 1 FROM sync.ledger WHERE connection_id = $2 \
                          AND (sender_org_id = $1 OR receiver_org_id = $1)) AS known",
    )
    .bind::<sql_types::Uuid, _>(org.as_uuid())
    .bind::<sql_types::Uuid, _>(id)
    .get_result(conn)
    .await?;
    if row.known { Ok(id) } else { Err(not_found()) }
}
