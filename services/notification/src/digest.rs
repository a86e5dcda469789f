//! The sync-failure digest: failures wait in `digest_items`; once a connection's oldest waiting
//! failure is older than the digest period, every waiting failure of that connection goes out in
//! one email to its owner, and the items are marked with that email, in one transaction per
//! connection. A digest that can never be queued sets its items aside (`failed_reason`) alone.

use crate::intake::{EmailRequest, Intake, queue_rendered};
use crate::schema::digest_items;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use shared::consumer::{Context, Handler};
use shared::db::DbPool;
use shared::error::HandlerError;
use shared::ids::{ConnectionId, MessageId, OrgId};
use shared::message::Envelope;
use shared::message::events::Recipient;
use shared::message::events::sync::SyncUpdateFailedV1;
use shared::telemetry::mask_email;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// `sync.update_failed.v1`: the failure waits for its connection's digest.
pub struct CollectSyncFailure;

impl Handler<SyncUpdateFailedV1> for CollectSyncFailure {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<SyncUpdateFailedV1>,
    ) -> Result<(), HandlerError> {
        let f = &message.payload;
        diesel::insert_into(digest_items::table)
            .values((
                digest_items::org_id.eq(message.org_id.as_uuid()),
                digest_items::connection_id.eq(f.connection_id.as_uuid()),
                digest_items::owner_name.eq(&f.owner.name),
                digest_items::owner_email.eq(&f.owner.email),
                digest_items::object.eq(&f.object),
                digest_items::record_id.eq(&f.record_id),
                digest_items::record_name.eq(&f.record_name),
                digest_items::error.eq(&f.error),
                digest_items::attempts.eq(i32::try_from(f.attempts).unwrap_or(i32::MAX)),
                digest_items::failed_at.eq(f.failed_at),
            ))
            .execute(conn)
            .await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = digest_items)]
struct Item {
    id: i64,
    org_id: Uuid,
    owner_name: String,
    owner_email: String,
    object: String,
    record_id: String,
    record_name: String,
    error: String,
    attempts: i32,
    failed_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

pub struct DigestWorker {
    pub pool: DbPool,
    pub intake: Arc<Intake>,
    pub period: Duration,
    pub poll: Duration,
}

impl DigestWorker {
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            if let Err(err) = self.send_due().await {
                tracing::warn!(error = %format!("{err:#}"), "digest pass failed");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Queues one digest per connection whose oldest waiting failure is due. Returns how many.
    ///
    /// Each connection's digest has its own transaction: a digest that cannot be queued for good
    /// (an owner address no mailer accepts) sets its items aside with the reason, alone, and a
    /// transient failure leaves its items for the next pass; neither holds up the others.
    pub async fn send_due(&self) -> anyhow::Result<usize> {
        let due_before = Utc::now() - chrono::Duration::from_std(self.period)?;
        let mut conn = self.pool.get().await?;
        let due: Vec<Uuid> = digest_items::table
            .filter(digest_items::email_id.is_null())
            .filter(digest_items::failed_reason.is_null())
            .group_by(digest_items::connection_id)
            .having(diesel::dsl::min(digest_items::received_at).le(due_before))
            .select(digest_items::connection_id)
            .limit(50)
            .load(&mut conn)
            .await?;
        let mut sent = 0;
        for connection_id in due {
            match self.send_one(&mut conn, connection_id).await {
                Ok(queued) => sent += queued,
                Err(HandlerError::Permanent(reason)) => {
                    set_aside(&mut conn, connection_id, &reason).await?;
                }
                Err(HandlerError::Transient(err)) => {
                    tracing::warn!(%connection_id, error = %format!("{err:#}"),
                        "digest not queued; it will be tried again on the next pass");
                }
            }
        }
        Ok(sent)
    }

    /// Queues the digests of one connection (one per owner address) in one transaction.
    async fn send_one(
        &self,
        conn: &mut AsyncPgConnection,
        connection_id: Uuid,
    ) -> Result<usize, HandlerError> {
        conn.transaction::<_, HandlerError, _>(async |conn| {
            let items: Vec<Item> = digest_items::table
                .filter(digest_items::email_id.is_null())
                .filter(digest_items::failed_reason.is_null())
                .filter(digest_items::connection_id.eq(connection_id))
                .order(digest_items::id)
                .select(Item::as_select())
                .for_update()
                .skip_locked()
                .load(conn)
                .await?;
            let mut groups: BTreeMap<(Uuid, String), Vec<Item>> = BTreeMap::new();
            for item in items {
                groups
                    .entry((item.org_id, item.owner_email.clone()))
                    .or_default()
                    .push(item);
            }
            let mut sent = 0;
            for ((org_id, _), items) in groups {
                self.queue_digest(conn, OrgId(org_id), ConnectionId(connection_id), &items)
                    .await?;
                sent += 1;
            }
            Ok(sent)
        })
        .await
    }

    async fn queue_digest(
        &self,
        conn: &mut AsyncPgConnection,
        org_id: OrgId,
        connection_id: ConnectionId,
        items: &[Item],
    ) -> Result<(), HandlerError> {
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            return Ok(());
        };
        let stamp = |at: &DateTime<Utc>| at.format("%-d %B %Y %H:%M UTC").to_string();
        let failures: Vec<_> = items
            .iter()
            .map(|i| {
                json!({
                    "object": i.object, "record_id": i.record_id, "record_name": i.record_name,
                    "error": i.error, "attempts": i.attempts, "failed_at": stamp(&i.failed_at),
                })
            })
            .collect();
        let request = EmailRequest {
            kind: "sync_failures",
            connection_id: Some(connection_id),
            recipient: Recipient {
                name: first.owner_name.clone(),
                email: first.owner_email.clone(),
            },
            sender_org_name: "PartnerNet".into(),
            context: json!({
                "owner_name": first.owner_name,
                "failures": failures,
                "period_start": stamp(&first.received_at),
                "period_end": stamp(&last.received_at.max(Utc::now())),
                "connection_url": self.intake.links.connection(connection_id),
            }),
        };
        // A digest is its own source: a fresh id, since it gathers many events.
        let email_id =
            queue_rendered(conn, &self.intake, org_id, MessageId::new(), request).await?;
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        diesel::update(digest_items::table.filter(digest_items::id.eq_any(ids)))
            .set(digest_items::email_id.eq(email_id.map(|e| e.as_uuid())))
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// Sets aside the waiting items of a connection whose digest can never be queued, with the
/// reason: they stay visible in `digest_items` and stop being retried.
async fn set_aside(
    conn: &mut AsyncPgConnection,
    connection_id: Uuid,
    reason: &str,
) -> anyhow::Result<()> {
    let owners: Vec<String> = diesel::update(
        digest_items::table
            .filter(digest_items::connection_id.eq(connection_id))
            .filter(digest_items::email_id.is_null())
            .filter(digest_items::failed_reason.is_null()),
    )
    .set(digest_items::failed_reason.eq(reason))
    .returning(digest_items::owner_email)
    .get_results(conn)
    .await?;
    let owner = <[String]>::first(&owners)
        .map(|o| mask_email(o))
        .unwrap_or_default();
    tracing::warn!(%connection_id, owner, items = owners.len(), reason,
        "sync-failure digest cannot be sent; its items are set aside");
    metrics::counter!("partnernet_digest_items_set_aside_total").increment(owners.len() as u64);
    Ok(())
}
