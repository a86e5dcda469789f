//! Every change of a subscription (subscribed, remapped, Auto-Accept switched, ended by the
//! subscriber or by the partner unpublishing) is announced as `SubscriptionChangedV1`, through
//! the outbox in the changing transaction, with the subscription's whole current mapping.

use super::store::{self, Key};
use crate::NAME;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::ids::{ConnectionId, OrgId};
use shared::message::events::sharing::{MappedField, SubscriptionChangedV1};
use shared::message::{Envelope, EnvelopeHead};
use shared::outbox;
use uuid::Uuid;

/// Announces the subscription of `key`'s org to `object` (published by `publisher`) as it is
/// now in this transaction: active with its usable mappings, or ended.
pub async fn announce(
    conn: &mut AsyncPgConnection,
    key: Key,
    publisher: Uuid,
    object: &str,
    cause: Option<&EnvelopeHead>,
) -> diesel::QueryResult<()> {
    let subscription = store::one(conn, key, object).await?;
    let version = next_version(conn, key, object).await?;
    let event = SubscriptionChangedV1 {
        connection_id: ConnectionId(key.connection_id),
        publisher_org_id: OrgId(publisher),
        object: object.to_string(),
        active: subscription.is_some(),
        target_object: subscription.as_ref().map(|s| s.target_object.clone()),
        auto_accept: subscription.as_ref().is_some_and(|s| s.auto_accept),
        sync_deletes: subscription.as_ref().is_some_and(|s| s.sync_deletes),
        // Only what flows: a mapped field the partner still publishes.
        fields: subscription
            .iter()
            .flat_map(|s| &s.mappings)
            .filter(|(_, m)| m.problem.is_none())
            .filter_map(|(field, m)| {
                Some(MappedField {
                    field: field.clone(),
                    target_field: m.target.clone()?,
                    picklist_values: m.picklist_values.clone(),
                })
            })
            .collect(),
        version,
    };
    let org = OrgId(key.org_id);
    let envelope = match cause {
        Some(cause) => Envelope::caused_by(org, event, cause),
        None => Envelope::new(org, event),
    };
    outbox::enqueue(conn, NAME, &envelope).await
}

async fn next_version(
    conn: &mut AsyncPgConnection,
    key: Key,
    object: &str,
) -> diesel::QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = sql_types::BigInt)]
        version: i64,
    }
    let row: Version = diesel::sql_query(
        "INSERT INTO sharing.subscription_versions (connection_id, org_id, object, version) \
         VALUES ($1, $2, $3, 1) ON CONFLICT (connection_id, org_id, object) \
         DO UPDATE SET version = sharing.subscription_versions.version + 1 RETURNING version",
    )
    .bind::<sql_types::Uuid, _>(key.connection_id)
    .bind::<sql_types::Uuid, _>(key.org_id)
    .bind::<sql_types::Text, _>(object)
    .get_result(conn)
    .await?;
    Ok(row.version)
}
