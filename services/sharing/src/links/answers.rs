//! The consumers that move links: an offer arriving at the receiver (into the inbox, or
//! accepted at once by Auto-Accept), the sync service's answer to an accept, and the
//! receiver's answer reaching the sender.

use super::held;
use super::inbox::{self, Acceptance, NewEntry};
use super::rules;
use super::status::Status;
use super::store::{self, Received};
use super::withdrawn;
use crate::connections::{self, Connection, Side};
use crate::subscriptions::store::{self as subscriptions, Key};
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::link_ends::{EndReason, LinkEndedV1};
use shared::message::events::links::{
    CopyCreatedV1, CopyRefusedV1, RecordAcceptedV1, RecordForwardedV1, RecordHeldV1,
    RecordRejectedV1,
};
use shared::message::events::sharing::{AcceptMode, RecordAcceptFailedV1};

/// Handles every message of the `links` consumer.
pub struct MoveLinks;

/// The connection and the org's side, the org being a party to it.
async fn party(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: ConnectionId,
) -> Result<(Connection, Side), HandlerError> {
    connections::party_to(conn, org, id.as_uuid(), false)
        .await?
        .ok_or_else(|| {
            HandlerError::permanent(format!("org {org} is not a party to connection {id}"))
        })
}

fn partner(connection: &Connection, side: Side) -> Result<OrgId, HandlerError> {
    connection.partner_of(side).map(OrgId).ok_or_else(|| {
        HandlerError::permanent(format!("connection {} has no partner", connection.id))
    })
}

impl Handler<RecordForwardedV1> for MoveLinks {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordForwardedV1>,
    ) -> Result<(), HandlerError> {
        let offer = &message.payload;
        let org = message.org_id;
        let (connection, side) = party(conn, org, offer.connection_id).await?;
        if partner(&connection, side)? != offer.sender_org_id {
            return Err(HandlerError::permanent(format!(
                "org {} is not the partner on connection {}",
                offer.sender_org_id, offer.connection_id
            )));
        }
        let reject = |reason: String| RecordRejectedV1 {
            connection_id: offer.connection_id,
            sender_link_id: offer.sender_link_id,
            reason: Some(reason),
            rejected_at: Utc::now(),
        };
        if connection.status != "accepted" {
            let reason = format!("the connection is {}", connection.status);
            return ctx
                .emit(conn, message, offer.sender_org_id, reject(reason))
                .await;
        }
        let record = withdrawn::PartnerRecord {
            org,
            connection_id: connection.id,
            object: &offer.object,
            record_id: &offer.record_id,
        };
        if withdrawn::before_arrival(conn, &record, message.occurred_at).await? {
            // The sender's link has ended already: there is nothing to answer.
            tracing::info!(
                connection_id = %offer.connection_id,
                record_id = %offer.record_id,
                "an offer withdrawn before it arrived was dropped"
            );
            return Ok(());
        }
        let key = Key {
            connection_id: connection.id,
            org_id: org.as_uuid(),
        };
        let Some(subscription) = subscriptions::one(conn, key, &offer.object).await? else {
            let reason = format!(
                "{} no longer subscribes to {}",
                connection.name_of(side),
                offer.object
            );
            return ctx
                .emit(conn, message, offer.sender_org_id, reject(reason))
                .await;
        };
        if let Some(parent) = &offer.parent {
            held::lock_parent(conn, org, connection.id, &parent.object, &parent.record_id).await?;
        }
        let entry = inbox::add(
            conn,
            NewEntry {
                org,
                connection_id: connection.id,
                sender_link_id: offer.sender_link_id,
                partner_object: &offer.object,
                partner_record_id: &offer.record_id,
                name: &offer.name,
                object: &subscription.target_object,
                fields: rules::mapped(&offer.fields, &subscription),
                send_closed_tasks: offer.send_closed_tasks,
                send_open_tasks: offer.send_open_tasks,
                send_emails: offer.send_emails,
                parent: offer.parent.as_ref(),
                sender_currency: offer.currency.as_deref(),
            },
        )
        .await?;
        let Some(entry) = entry else {
            return Ok(());
        };
        if offer.parent.is_some() {
            // A child follows its parent: accepted now under the parent's copy, or when the
            // copy exists; never by its own object's Auto-Accept.
            if let Some(parent) = held::parent_of(conn, &entry).await? {
                // A product line the org's records refuse waits with its error.
                let _ = held::accept_under(
                    conn,
                    &entry,
                    &parent,
                    AcceptMode::Automatically,
                    Acceptance::default(),
                )
                .await?;
            }
        } else if subscription.auto_accept {
            inbox::accept(
                conn,
                &entry,
                AcceptMode::Automatically,
                &Acceptance::default(),
            )
            .await?;
        }
        Ok(())
    }
}

impl Handler<CopyCreatedV1> for MoveLinks {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<CopyCreatedV1>,
    ) -> Result<(), HandlerError> {
        let created = &message.payload;
        let org = message.org_id;
        // Gone: this answer was handled already.
        let Some(entry) = inbox::one(conn, org, created.inbox_id).await? else {
            return Ok(());
        };
        let (connection, side) = party(conn, org, created.connection_id).await?;
        let sender = partner(&connection, side)?;
        let now = Utc::now();
        inbox::remove(conn, entry.id).await?;
        // A child's link names its parent's copy.
        let parent = held::parent_of(conn, &entry).await?;
        store::open_received(
            conn,
            &Received {
                org,
                connection_id: connection.id,
                object: &created.object,
                local_record_id: &created.record_id,
                partner_object: &entry.partner_object,
                partner_record_id: &entry.partner_record_id,
                send_closed_tasks: entry.send_closed_tasks,
                send_open_tasks: entry.send_open_tasks,
                send_emails: entry.send_emails,
                start_date: now,
                parent_record_id: parent.as_ref().map(|p| p.local_record_id.as_str()),
            },
        )
        .await?;
        // The children that waited for this copy are accepted under it.
        held::lock_parent(
            conn,
            org,
            connection.id,
            &entry.partner_object,
            &entry.partner_record_id,
        )
        .await?;
        let copy = held::parent_copy(
            conn,
            org,
            connection.id,
            &entry.partner_object,
            &entry.partner_record_id,
        )
        .await?;
        if let Some(copy) = copy {
            held::release(conn, &entry, &copy).await?;
        }
        let accepted = RecordAcceptedV1 {
            connection_id: created.connection_id,
            sender_link_id: entry.sender_link_id,
            partner_object: created.object.clone(),
            partner_record_id: created.record_id.clone(),
            mode: entry.mode(),
            accepted_at: now,
        };
        ctx.emit(conn, message, sender, accepted).await
    }
}

impl Handler<CopyRefusedV1> for MoveLinks {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<CopyRefusedV1>,
    ) -> Result<(), HandlerError> {
        let refused = &message.payload;
        let org = message.org_id;
        let Some(entry) = inbox::one(conn, org, refused.inbox_id).await? else {
            return Ok(());
        };
        inbox::failed(conn, &entry, &refused.error).await?;
        // The connection history shows it as an error on a record accepted by hand or
        // automatically.
        let failure = RecordAcceptFailedV1 {
            connection_id: refused.connection_id,
            mode: entry.mode(),
            object: entry.partner_object.clone(),
            record_id: entry.partner_record_id.clone(),
            error: refused.error.clone(),
            failed_at: Utc::now(),
        };
        ctx.emit(conn, message, org, failure).await
    }
}

impl Handler<RecordAcceptedV1> for MoveLinks {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordAcceptedV1>,
    ) -> Result<(), HandlerError> {
        let accepted = &message.payload;
        let link = sent_link(
            conn,
            message.org_id,
            accepted.sender_link_id,
            accepted.connection_id,
        )
        .await?;
        if link.status() == Some(Status::PendingSent) {
            store::activate_sent(
                conn,
                link.id,
                &accepted.partner_object,
                &accepted.partner_record_id,
                accepted.accepted_at,
            )
            .await?;
        } else if link.status() == Some(Status::Inactive) {
            // Stopped while the partner was accepting (the stop's notice found no link yet):
            // tell it again, so that its new link ends too.
            let notice = LinkEndedV1 {
                connection_id: accepted.connection_id,
                object: link.object.clone(),
                record_id: link.local_record_id.clone(),
                reason: EndReason::Stopped,
                ended_at: link.end_date.unwrap_or(accepted.accepted_at),
            };
            let partner = partner_on(conn, message.org_id, accepted.connection_id).await?;
            ctx.emit(conn, message, partner, notice).await?;
        }
        Ok(())
    }
}

/// The partner of `org` on the connection.
async fn partner_on(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: ConnectionId,
) -> Result<OrgId, HandlerError> {
    let (connection, side) = party(conn, org, id).await?;
    partner(&connection, side)
}

impl Handler<RecordHeldV1> for MoveLinks {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordHeldV1>,
    ) -> Result<(), HandlerError> {
        let held = &message.payload;
        let link = sent_link(
            conn,
            message.org_id,
            held.sender_link_id,
            held.connection_id,
        )
        .await?;
        store::receiver_error(conn, link.id, &held.error, held.held_at).await?;
        Ok(())
    }
}

impl Handler<RecordRejectedV1> for MoveLinks {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<RecordRejectedV1>,
    ) -> Result<(), HandlerError> {
        let rejected = &message.payload;
        let link = sent_link(
            conn,
            message.org_id,
            rejected.sender_link_id,
            rejected.connection_id,
        )
        .await?;
        if link.status() == Some(Status::PendingSent) {
            store::end(conn, link.id, Status::Inactive, rejected.rejected_at).await?;
        }
        Ok(())
    }
}

/// The org's sent link `id` on the connection, or a permanent error: an answer that names no
/// link of the org was not meant for it.
async fn sent_link(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: uuid::Uuid,
    connection_id: ConnectionId,
) -> Result<store::LinkRow, HandlerError> {
    store::sent_by_id(conn, org, id)
        .await?
        .filter(|l| l.connection_id == connection_id.as_uuid())
        .ok_or_else(|| HandlerError::permanent(format!("org {org} has no sent link {id}")))
}
