//! The read model of the invitation service's connections: who the two sides are, the status,
//! and who on each side hears of the other's publication changes. Fed by `connection.*` events;
//! read by every route and consumer that acts on a connection.

use crate::schema::connections;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::message::events::Recipient;
use shared::message::events::connection::{
    ConnectionDeactivatedV1, InvitationAcceptedV1, InvitationCancelledV1, InvitationDeclinedV1,
    InvitationResentV1, InvitationSentV1,
};
use uuid::Uuid;

/// A connection as the sharing service knows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = connections)]
pub struct Connection {
    pub id: Uuid,
    pub inviter_org_id: Uuid,
    pub inviter_org_name: String,
    pub invitee_org_id: Option<Uuid>,
    pub invitee_org_name: Option<String>,
    pub status: String,
    pub inviter_recipient_name: Option<String>,
    pub inviter_recipient_email: Option<String>,
    pub invitee_recipient_name: Option<String>,
    pub invitee_recipient_email: Option<String>,
}

/// One of the two sides of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Inviter,
    Invitee,
}

impl Connection {
    /// The side `org` is on: the inviter always, the invitee once it accepted (before that it
    /// is only a contact, not a party).
    pub fn side_of(&self, org: OrgId) -> Option<Side> {
        if self.inviter_org_id == org.as_uuid() {
            Some(Side::Inviter)
        } else if self.invitee_org_id == Some(org.as_uuid()) && self.status != "invited" {
            Some(Side::Invitee)
        } else {
            None
        }
    }

    /// Publications change only while the connection is invited or accepted.
    pub fn open_for_publishing(&self) -> bool {
        matches!(self.status.as_str(), "invited" | "accepted")
    }

    /// The other side's org, once known.
    pub fn partner_of(&self, side: Side) -> Option<Uuid> {
        match side {
            Side::Inviter => self.invitee_org_id,
            Side::Invitee => Some(self.inviter_org_id),
        }
    }

    /// `side`'s display name.
    pub fn name_of(&self, side: Side) -> String {
        match side {
            Side::Inviter => self.inviter_org_name.clone(),
            Side::Invitee => self.invitee_org_name.clone().unwrap_or_default(),
        }
    }

    /// Who on the other side of `side` hears of `side`'s publication changes.
    pub fn partner_recipient(&self, side: Side) -> Option<Recipient> {
        let (name, email) = match side {
            Side::Inviter => (&self.invitee_recipient_name, &self.invitee_recipient_email),
            Side::Invitee => (&self.inviter_recipient_name, &self.inviter_recipient_email),
        };
        Some(Recipient {
            name: name.clone()?,
            email: email.clone()?,
        })
    }
}

/// The connection `id` if `org` is a party to it; `lock` takes its row lock until the
/// transaction ends, so changes to one connection's publications run one after the other.
pub async fn party_to(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    id: Uuid,
    lock: bool,
) -> QueryResult<Option<(Connection, Side)>> {
    let query = connections::table.find(id).select(Connection::as_select());
    let row = if lock {
        query.for_update().first(conn).await.optional()?
    } else {
        query.first(conn).await.optional()?
    };
    Ok(row.and_then(|c| c.side_of(org).map(|side| (c, side))))
}

/// Every connection `org` is a party to.
pub async fn of_org(conn: &mut AsyncPgConnection, org: OrgId) -> QueryResult<Vec<Connection>> {
    let rows: Vec<Connection> = connections::table
        .filter(
            connections::inviter_org_id
                .eq(org.as_uuid())
                .or(connections::invitee_org_id.eq(org.as_uuid())),
        )
        .select(Connection::as_select())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|c| c.side_of(org).is_some())
        .collect())
}

/// Keeps `sharing.connections` in step with the invitation service.
pub struct TrackConnections;

impl Handler<InvitationSentV1> for TrackConnections {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<InvitationSentV1>,
    ) -> Result<(), HandlerError> {
        let event = &message.payload;
        // A redelivery or a late copy must not move a connection back to `invited`.
        diesel::insert_into(connections::table)
            .values((
                connections::id.eq(event.connection_id.as_uuid()),
                connections::inviter_org_id.eq(message.org_id.as_uuid()),
                connections::inviter_org_name.eq(&event.inviter_org_name),
                connections::status.eq("invited"),
                connections::invitee_recipient_name.eq(&event.contact_name),
                connections::invitee_recipient_email.eq(&event.contact_email),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// The row of `id`, which `inviter` must have sent. Missing: the invitation event has not
/// been handled yet (another queue, a retry), so try again later.
async fn sent_by(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    inviter: OrgId,
) -> Result<Connection, HandlerError> {
    let row = connections::table
        .find(id)
        .select(Connection::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| HandlerError::transient(anyhow::anyhow!("connection {id} not known yet")))?;
    if row.inviter_org_id != inviter.as_uuid() {
        return Err(HandlerError::permanent(format!(
            "connection {id} was not sent by org {inviter}"
        )));
    }
    Ok(row)
}

async fn set_status(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: &str,
) -> Result<(), HandlerError> {
    diesel::update(connections::table.find(id))
        .set((
            connections::status.eq(status),
            connections::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

impl Handler<InvitationResentV1> for TrackConnections {
    /// A resend goes to the contact as it is now (the inviter may have changed it).
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<InvitationResentV1>,
    ) -> Result<(), HandlerError> {
        let event = &message.payload;
        let id = event.connection_id.as_uuid();
        sent_by(conn, id, message.org_id).await?;
        diesel::update(connections::table.find(id))
            .set((
                connections::invitee_recipient_name.eq(&event.contact_name),
                connections::invitee_recipient_email.eq(&event.contact_email),
                connections::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        Ok(())
    }
}

impl Handler<InvitationAcceptedV1> for TrackConnections {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<InvitationAcceptedV1>,
    ) -> Result<(), HandlerError> {
        let answer = &message.payload.0;
        let id = answer.connection_id.as_uuid();
        sent_by(conn, id, message.org_id).await?;
        diesel::update(connections::table.find(id))
            .set((
                connections::invitee_org_id.eq(answer.partner_org_id.as_uuid()),
                connections::invitee_org_name.eq(&answer.partner_org_name),
                connections::inviter_recipient_name.eq(&answer.owner.name),
                connections::inviter_recipient_email.eq(&answer.owner.email),
                connections::status.eq("accepted"),
                connections::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        Ok(())
    }
}

impl Handler<InvitationDeclinedV1> for TrackConnections {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<InvitationDeclinedV1>,
    ) -> Result<(), HandlerError> {
        let id = message.payload.0.connection_id.as_uuid();
        sent_by(conn, id, message.org_id).await?;
        set_status(conn, id, "declined").await
    }
}

impl Handler<InvitationCancelledV1> for TrackConnections {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<InvitationCancelledV1>,
    ) -> Result<(), HandlerError> {
        let id = message.payload.connection_id.as_uuid();
        sent_by(conn, id, message.org_id).await?;
        set_status(conn, id, "cancelled").await
    }
}

impl Handler<ConnectionDeactivatedV1> for TrackConnections {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<ConnectionDeactivatedV1>,
    ) -> Result<(), HandlerError> {
        let id = message.payload.connection_id.as_uuid();
        let row = connections::table
            .find(id)
            .select(Connection::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or_else(|| {
                HandlerError::transient(anyhow::anyhow!("connection {id} not known yet"))
            })?;
        let org = Some(message.org_id.as_uuid());
        let party = row.inviter_org_id == message.org_id.as_uuid() || row.invitee_org_id == org;
        if !party && row.invitee_org_id.is_none() {
            // The acceptance naming the invitee has not been handled yet.
            return Err(HandlerError::transient(anyhow::anyhow!(
                "connection {id}: invitee not known yet"
            )));
        }
        if !party {
            return Err(HandlerError::permanent(format!(
                "org {} is not a party to connection {id}",
                message.org_id
            )));
        }
        set_status(conn, id, "inactive").await?;
        crate::links::deactivation::end_all(conn, id, message.occurred_at).await?;
        Ok(())
    }
}
