//! A record's record-level stamp (`sync.records.record_stamp`): when and where its last touch,
//! or its delete, happened. A partner's touch or tombstone is ordered against it and against the
//! field stamps ([`latest`]), so neither moves a copy backwards nor goes round a cycle of links.

use super::FieldStamp;
use diesel::OptionalExtension;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::hlc::Hlc;
use shared::ids::OrgId;

/// The record's record-level stamp, if it has one (no row, or never touched nor deleted: none).
pub async fn get(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    record_id: &str,
) -> diesel::QueryResult<Option<FieldStamp>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::Nullable<sql_types::Jsonb>)]
        record_stamp: Option<Value>,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT record_stamp FROM sync.records \
         WHERE org_id = $1 AND object = $2 AND record_id = $3",
    )
    .bind::<sql_types::Uuid, _>(org.as_uuid())
    .bind::<sql_types::Text, _>(object)
    .bind::<sql_types::Text, _>(record_id)
    .get_result(conn)
    .await
    .optional()?;
    Ok(row
        .and_then(|r| r.record_stamp)
        .and_then(|v| serde_json::from_value(v).ok()))
}

/// Sets the record's record-level stamp (the row must exist; call under its lock).
pub async fn set(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    object: &str,
    record_id: &str,
    stamp: &FieldStamp,
) -> diesel::QueryResult<()> {
    let value = serde_json::to_value(stamp)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::sql_query(
        "UPDATE sync.records SET record_stamp = $4 \
         WHERE org_id = $1 AND object = $2 AND record_id = $3",
    )
    .bind::<sql_types::Uuid, _>(org.as_uuid())
    .bind::<sql_types::Text, _>(object)
    .bind::<sql_types::Text, _>(record_id)
    .bind::<sql_types::Jsonb, _>(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest of a record's field stamps (`stamps`, as stored) and its record-level stamp:
/// by stamp, then by origin org id (the same tie-break as field updates).
pub fn latest(stamps: &Value, record: Option<&FieldStamp>) -> Option<(Hlc, uuid::Uuid)> {
    let fields = stamps
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|v| serde_json::from_value::<FieldStamp>(v.clone()).ok());
    fields
        .chain(record.cloned())
        .map(|s| (s.stamp, s.origin))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stamp(millis: u64, origin: u128) -> FieldStamp {
        FieldStamp {
            stamp: format!("{millis:016}-00000").parse().expect("a stamp"),
            origin: uuid::Uuid::from_u128(origin),
        }
    }

    #[test]
    fn the_latest_is_the_newest_of_the_fields_and_the_record_level_stamp() {
        let value = |s: FieldStamp| serde_json::to_value(s).expect("JSON");
        let stamps = json!({ "Name": value(stamp(20, 1)), "Rating": value(stamp(10, 9)) });
        let newest = |s: &FieldStamp| Some((s.stamp, s.origin));
        assert_eq!(latest(&stamps, None), newest(&stamp(20, 1)));
        assert_eq!(latest(&stamps, Some(&stamp(30, 1))), newest(&stamp(30, 1)));
        // The same stamp: the larger origin org id is the newer.
        assert_eq!(latest(&stamps, Some(&stamp(20, 2))), newest(&stamp(20, 2)));
        assert_eq!(latest(&json!({}), None), None);
    }
}
