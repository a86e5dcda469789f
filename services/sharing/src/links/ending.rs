//! Ending links: an org stops sharing a record on a connection (its live links there become
//! `Inactive` with an end date) and tells the partner with [`LinkEndedV1`]; the partner's link
//! to that record ends the same way and a forward still waiting in its inbox is withdrawn.
//! Copies are never touched: each side keeps and edits its own record.

use super::answers::MoveLinks;
use super::status::Status;
use super::store::{self, LinkRow};
use crate::connections::{Connection, Side};
use crate::schema::{inbox, record_links};
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::link_ends::{EndReason, LinkEndedV1};
use uuid::Uuid;

const LIVE: [&str; 3] = ["Pending (sent)", "Active (sent)", "Active (received)"];

/// The status both sides' links take for `reason`.
pub fn status_for(reason: EndReason) -> Status {
    match reason {
        EndReason::Stopped => Status::Inactive,
        EndReason::Deleted => Status::InactiveDeleted,
        EndReason::Converted => Status::InactiveConverted,
    }
}

/// Why a stop was refused.
#[derive(Debug)]
pub enum StopRefused {
    /// The record was never shared on the connection.
    NotLinked,
    /// Its links there have ended already (their status).
    Ended(String),
}

/// Call inside a transaction: ends the org's live links of its record on the connection (both
/// directions) and queues the partner's notice. Answers the ended rows.
pub async fn stop(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection: &Connection,
    side: Side,
    object: &str,
    record_id: &str,
) -> Result<Result<Vec<LinkRow>, StopRefused>, diesel::result::Error> {
    let links: Vec<LinkRow> = record_links::table
        .filter(record_links::org_id.eq(org.as_uuid()))
        .filter(record_links::connection_id.eq(connection.id))
        .filter(record_links::object.eq(object))
        .filter(record_links::local_record_id.eq(record_id))
        .select(LinkRow::as_select())
        .for_update()
        .load(conn)
        .await?;
    if links.is_empty() {
        return Ok(Err(StopRefused::NotLinked));
    }
    let live: Vec<LinkRow> = links
        .iter()
        .filter(|l| l.status().is_some_and(Status::is_live))
        .cloned()
        .collect();
    if live.is_empty() {
        return Ok(Err(StopRefused::Ended(links[0].status.clone())));
    }
    // As stored (microseconds), so that the answer and both lists show the same end date.
    let now = Utc::now().trunc_subsecs(6);
    let mut ended = Vec::with_capacity(live.len());
    for mut link in live {
        store::end(conn, link.id, Status::Inactive, now).await?;
        link.status = Status::Inactive.as_str().to_string();
        link.end_date = Some(now);
        ended.push(link);
    }
    if let Some(partner) = connection.partner_of(side) {
        tell_partner(
            conn,
            OrgId(partner),
            connection.id,
            object,
            record_id,
            EndReason::Stopped,
            now,
        )
        .await?;
    }
    Ok(Ok(ended))
}

/// Queues [`LinkEndedV1`] to the partner org.
pub async fn tell_partner(
    conn: &mut AsyncPgConnection,
    partner: OrgId,
    connection_id: Uuid,
    object: &str,
    record_id: &str,
    reason: EndReason,
    ended_at: DateTime<Utc>,
) -> QueryResult<()> {
    let notice = LinkEndedV1 {
        connection_id: ConnectionId(connection_id),
        object: object.to_string(),
        record_id: record_id.to_string(),
        reason,
        ended_at,
    };
    shared::outbox::enqueue(conn, crate::NAME, &Envelope::new(partner, notice)).await
}

/// Ends the org's live links to the partner's record on the connection, and withdraws the
/// partner's forward of it from the org's inbox if it still waits there. Answers how many
/// links ended.
pub async fn end_partner_side(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    partner_object: &str,
    partner_record_id: &str,
    status: Status,
    ended_at: DateTime<Utc>,
) -> QueryResult<usize> {
    let ended = diesel::update(
        record_links::table
            .filter(record_links::org_id.eq(org.as_uuid()))
            .filter(record_links::connection_id.eq(connection_id))
            .filter(record_links::partner_object.eq(partner_object))
            .filter(record_links::partner_record_id.eq(partner_record_id))
            .filter(record_links::status.eq_any(LIVE)),
    )
    .set((
        record_links::status.eq(status.as_str()),
        record_links::end_date.eq(ended_at),
        record_links::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    // An offer still on its way is dropped when it arrives.
    let record = super::withdrawn::PartnerRecord {
        org,
        connection_id,
        object: partner_object,
        record_id: partner_record_id,
    };
    super::withdrawn::mark(conn, &record, ended_at).await?;
    // An entry being accepted is left to finish: its copy will exist and be the org's.
    diesel::delete(
        inbox::table
            .filter(inbox::org_id.eq(org.as_uuid()))
            .filter(inbox::connection_id.eq(connection_id))
            .filter(inbox::partner_object.eq(partner_object))
            .filter(inbox::partner_record_id.eq(partner_record_id))
            .filter(inbox::state.eq("waiting")),
    )
    .execute(conn)
    .await?;
    Ok(ended)
}

impl Handler<LinkEndedV1> for MoveLinks {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<LinkEndedV1>,
    ) -> Result<(), HandlerError> {
        let notice = &message.payload;
        let org = message.org_id;
        crate::connections::party_to(conn, org, notice.connection_id.as_uuid(), false)
            .await?
            .ok_or_else(|| {
                HandlerError::permanent(format!(
                    "org {org} is not a party to connection {}",
                    notice.connection_id
                ))
            })?;
        end_partner_side(
            conn,
            org,
            notice.connection_id.as_uuid(),
            &notice.object,
            &notice.record_id,
            status_for(notice.reason),
            notice.ended_at,
        )
        .await?;
        Ok(())
    }
}
