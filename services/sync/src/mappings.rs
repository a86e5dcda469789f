//! Sync's read model of subscriptions: which partner takes which fields of an org's object, and
//! into which of its own objects and fields (from sharing's `SubscriptionChangedV1`, which
//! carries the whole current mapping). Field sync reads it to propagate a change.

use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::message::events::sharing::{MappedField, SubscriptionChangedV1};
use uuid::Uuid;

/// Keeps the read model: replaces the subscription's row unless the event is older than it.
pub struct KeepMapping;

impl Handler<SubscriptionChangedV1> for KeepMapping {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<SubscriptionChangedV1>,
    ) -> Result<(), HandlerError> {
        let event = &message.payload;
        let fields = serde_json::to_value(&event.fields)
            .map_err(|e| HandlerError::permanent(format!("mapped fields: {e}")))?;
        diesel::sql_query(
            "INSERT INTO sync.subscription_mappings (connection_id, subscriber_org_id, object, \
               publisher_org_id, active, target_object, auto_accept, fields, version, \
               sync_deletes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (connection_id, subscriber_org_id, object) DO UPDATE SET \
               publisher_org_id = excluded.publisher_org_id, active = excluded.active, \
               target_object = excluded.target_object, auto_accept = excluded.auto_accept, \
               fields = excluded.fields, version = excluded.version, \
               sync_deletes = excluded.sync_deletes, updated_at = now() \
             WHERE sync.subscription_mappings.version < excluded.version",
        )
        .bind::<sql_types::Uuid, _>(event.connection_id.0)
        .bind::<sql_types::Uuid, _>(message.org_id.as_uuid())
        .bind::<sql_types::Text, _>(&event.object)
        .bind::<sql_types::Uuid, _>(event.publisher_org_id.as_uuid())
        .bind::<sql_types::Bool, _>(event.active)
        .bind::<sql_types::Nullable<sql_types::Text>, _>(event.target_object.as_deref())
        .bind::<sql_types::Bool, _>(event.auto_accept)
        .bind::<sql_types::Jsonb, _>(&fields)
        .bind::<sql_types::BigInt, _>(event.version)
        .bind::<sql_types::Bool, _>(event.sync_deletes)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// One active subscription to a publisher's object: who takes it and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub connection_id: Uuid,
    pub subscriber_org_id: OrgId,
    pub target_object: String,
    pub auto_accept: bool,
    /// The subscriber takes deletes: a deleted record's tombstone goes to it.
    pub sync_deletes: bool,
    pub fields: Vec<MappedField>,
}

/// The active subscriptions of partners to `publisher`'s `object`.
pub async fn subscribers_of(
    conn: &mut AsyncPgConnection,
    publisher: OrgId,
    object: &str,
) -> diesel::QueryResult<Vec<Subscriber>> {
    let all = subscribers_of_many(conn, &[(publisher, object)]).await?;
    Ok(all
        .into_iter()
        .map(|(_, _, subscriber)| subscriber)
        .collect())
}

/// The active subscriptions to each of the (publisher, object) pairs, in one statement: the
/// publisher and object of each, then who takes it.
pub async fn subscribers_of_many(
    conn: &mut AsyncPgConnection,
    pairs: &[(OrgId, &str)],
) -> diesel::QueryResult<Vec<(OrgId, String, Subscriber)>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = sql_types::Uuid)]
        publisher_org_id: Uuid,
        #[diesel(sql_type = sql_types::Text)]
        object: String,
        #[diesel(sql_type = sql_types::Uuid)]
        connection_id: Uuid,
        #[diesel(sql_type = sql_types::Uuid)]
        subscriber_org_id: Uuid,
        #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
        target_object: Option<String>,
        #[diesel(sql_type = sql_types::Bool)]
        auto_accept: bool,
        #[diesel(sql_type = sql_types::Bool)]
        sync_deletes: bool,
        #[diesel(sql_type = sql_types::Jsonb)]
        fields: serde_json::Value,
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let publishers: Vec<Uuid> = pairs.iter().map(|(org, _)| org.as_uuid()).collect();
    let objects: Vec<&str> = pairs.iter().map(|(_, object)| *object).collect();
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT m.publisher_org_id, m.object, m.connection_id, m.subscriber_org_id, \
           m.target_object, m.auto_accept, m.sync_deletes, m.fields \
         FROM sync.subscription_mappings m \
         JOIN (SELECT DISTINCT * FROM unnest($1::uuid[], $2::text[])) AS p(publisher, object) \
           ON m.publisher_org_id = p.publisher AND m.object = p.object \
         WHERE m.active \
         ORDER BY m.connection_id, m.subscriber_org_id",
    )
    .bind::<sql_types::Array<sql_types::Uuid>, _>(&publishers)
    .bind::<sql_types::Array<sql_types::Text>, _>(&objects)
    .load(conn)
    .await?;
    rows.into_iter()
        .filter_map(|row| {
            let target_object = row.target_object?;
            Some(
                serde_json::from_value::<Vec<MappedField>>(row.fields)
                    .map(|fields| {
                        let subscriber = Subscriber {
                            connection_id: row.connection_id,
                            subscriber_org_id: OrgId(row.subscriber_org_id),
                            target_object,
                            auto_accept: row.auto_accept,
                            sync_deletes: row.sync_deletes,
                            fields,
                        };
                        (OrgId(row.publisher_org_id), row.object, subscriber)
                    })
                    // Stored by us from a validated event: unreadable means a bug.
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e))),
            )
        })
        .collect()
}
