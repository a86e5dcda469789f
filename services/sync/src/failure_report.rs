//! A partner's update that will not be applied, reported: `SyncUpdateFailedV1` to the org whose
//! copy was not updated, naming its connection owner (sharing's `sharing.connection_owners`
//! view), so the connection's history shows it and the owner's failure digest lists it.

use chrono::Utc;
use diesel::OptionalExtension;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::ids::OrgId;
use shared::message::events::Recipient;
use shared::message::events::field_sync::FieldsUpdatedV1;
use shared::message::events::sync::SyncUpdateFailedV1;
use shared::message::{Envelope, EnvelopeHead};

#[derive(diesel::QueryableByName)]
struct Owner {
    #[diesel(sql_type = sql_types::Text)]
    name: String,
    #[diesel(sql_type = sql_types::Text)]
    email: String,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
    name: Option<String>,
}

/// Queues the report in `conn`'s transaction (the outbox), caused by the message that carried
/// the update to `org` (field values, a tombstone or a touch, as the ledger's update shape).
/// Without a known owner there is no one to tell: the failure stays in the ledger only (logged).
pub async fn report(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    update: &FieldsUpdatedV1,
    cause: &EnvelopeHead,
    error: &str,
    attempts: u32,
) -> diesel::QueryResult<()> {
    let owner: Option<Owner> = diesel::sql_query(
        "SELECT COALESCE(owner_name, owner_email) AS name, owner_email AS email \
         FROM sharing.connection_owners WHERE connection_id = $1 AND org_id = $2 LIMIT 1",
    )
    .bind::<sql_types::Uuid, _>(update.connection_id.0)
    .bind::<sql_types::Uuid, _>(org.as_uuid())
    .get_result(conn)
    .await
    .optional()?;
    let Some(owner) = owner else {
        tracing::warn!(update_id = %update.update_id, "no connection owner to report a failed update to");
        return Ok(());
    };
    // The copy's display name: its Name, else its id.
    let name: Option<Name> = diesel::sql_query(
        "SELECT fields->>'Name' AS name FROM sync.records \
         WHERE org_id = $1 AND object = $2 AND record_id = $3",
    )
    .bind::<sql_types::Uuid, _>(org.as_uuid())
    .bind::<sql_types::Text, _>(&update.object)
    .bind::<sql_types::Text, _>(&update.record_id)
    .get_result(conn)
    .await
    .optional()?;
    let record_name = name
        .and_then(|n| n.name)
        .unwrap_or_else(|| update.record_id.clone());
    let failed = SyncUpdateFailedV1 {
        connection_id: update.connection_id,
        owner: Recipient {
            name: owner.name,
            email: owner.email,
        },
        object: update.object.clone(),
        record_id: update.record_id.clone(),
        record_name,
        error: error.to_string(),
        attempts,
        failed_at: Utc::now(),
    };
    let event = Envelope::caused_by(org, failed, cause);
    shared::outbox::enqueue(conn, crate::NAME, &event).await
}
