//! Offers withdrawn before they arrived. A forward (`RecordForwardedV1`) and the end of the same
//! link (`LinkEndedV1`) travel on different queues, so the end may be handled first: it then
//! finds no inbox entry to withdraw, and the offer would land afterwards and wait for ever for
//! a link its sender has already ended. The end leaves a mark (the partner's record and when
//! it ended, on the partner's clock, like the offer's own time); an offer made before the mark
//! is dropped, and a later forward of the record lands as usual.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::ids::OrgId;
use uuid::Uuid;

/// The partner's record as the receiving org names it on one connection.
pub struct PartnerRecord<'a> {
    pub org: OrgId,
    pub connection_id: Uuid,
    pub object: &'a str,
    pub record_id: &'a str,
}

/// Remembers that the partner ended sharing the record at `ended_at` (the latest end wins).
pub async fn mark(
    conn: &mut AsyncPgConnection,
    record: &PartnerRecord<'_>,
    ended_at: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO sharing.withdrawn_offers \
           (org_id, connection_id, partner_object, partner_record_id, ended_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, connection_id, partner_object, partner_record_id) \
         DO UPDATE SET ended_at = GREATEST(sharing.withdrawn_offers.ended_at, excluded.ended_at)",
    )
    .bind::<SqlUuid, _>(record.org.as_uuid())
    .bind::<SqlUuid, _>(record.connection_id)
    .bind::<Text, _>(record.object)
    .bind::<Text, _>(record.record_id)
    .bind::<Timestamptz, _>(ended_at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Ended {
    #[diesel(sql_type = Timestamptz)]
    ended_at: DateTime<Utc>,
}

/// Whether an offer of the record made at `offered_at` was withdrawn before it arrived.
pub async fn before_arrival(
    conn: &mut AsyncPgConnection,
    record: &PartnerRecord<'_>,
    offered_at: DateTime<Utc>,
) -> diesel::QueryResult<bool> {
    let ended: Option<Ended> = diesel::sql_query(
        "SELECT ended_at FROM sharing.withdrawn_offers \
         WHERE org_id = $1 AND connection_id = $2 AND partner_object = $3 \
           AND partner_record_id = $4",
    )
    .bind::<SqlUuid, _>(record.org.as_uuid())
    .bind::<SqlUuid, _>(record.connection_id)
    .bind::<Text, _>(record.object)
    .bind::<Text, _>(record.record_id)
    .get_result(conn)
    .await
    .optional()?;
    Ok(ended.is_some_and(|e| offered_at <= e.ended_at))
}
