//! What an action brings with it besides the new status: token changes and the event.
//!
//! Domain code: it returns [`EffectError`], not an HTTP answer, so a message handler can run it
//! as well as a route; the route maps it at the edge (`From<EffectError> for ApiError`).

use super::AppState;
use super::access;
use crate::connection::ConnectionRow;
use crate::lifecycle::{Action, Side};
use crate::schema::tokens;
use crate::{NAME, token};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::http::ApiError;
use shared::ids::{ConnectionId, OrgId};
use shared::message::events::Recipient;
use shared::message::events::connection::{
    ConnectionDeactivatedV1, InvitationAcceptedV1, InvitationAnswer, InvitationCancelledV1,
    InvitationDeclinedV1, InvitationResentV1,
};
use shared::message::{Envelope, Message};
use shared::outbox;
use uuid::Uuid;

/// Why an action's effects could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EffectError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// A stored row breaks an invariant (e.g. an accepted connection without a partner).
    #[error("broken connection {connection}: {what}")]
    Broken {
        connection: Uuid,
        what: &'static str,
    },
}

impl From<EffectError> for ApiError {
    fn from(err: EffectError) -> Self {
        match err {
            EffectError::Database(err) => err.into(),
            broken @ EffectError::Broken { .. } => ApiError::internal(broken),
        }
    }
}

/// The tokens and the event an action brings with it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn effects(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    row: &ConnectionRow,
    org: OrgId,
    side: Side,
    action: Action,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), EffectError> {
    let connection_id = ConnectionId(row.id);
    let inviter = OrgId(row.org_id);
    match action {
        Action::Claim | Action::DecideLater => Ok(()),
        Action::Accept | Action::Decline => {
            let answer = InvitationAnswer {
                connection_id,
                partner_org_id: org,
                partner_org_name: actor.to_string(),
                owner: owner_recipient(conn, row.id, row.owner_user_id).await?,
                response_date: now,
            };
            if action == Action::Accept {
                publish(conn, inviter, InvitationAcceptedV1(answer)).await
            } else {
                publish(conn, inviter, InvitationDeclinedV1(answer)).await
            }
        }
        Action::Resend => {
            revoke_tokens(conn, row.id, now).await?;
            let new_token = token::issue(&state.config.common);
            let expires_at = now + state.config.token_ttl;
            diesel::insert_into(tokens::table)
                .values((
                    tokens::token_hash.eq(&new_token.hash),
                    tokens::connection_id.eq(row.id),
                    tokens::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .await?;
            let event = InvitationResentV1 {
                connection_id,
                inviter_org_name: actor.to_string(),
                contact_name: row.contact_name.clone(),
                contact_email: row.contact_email.clone(),
                accept_url: new_token.accept_url.clone(),
                expires_at,
            };
            publish(conn, inviter, event).await
        }
        Action::Cancel => {
            revoke_tokens(conn, row.id, now).await?;
            let event = InvitationCancelledV1 {
                connection_id,
                inviter_org_name: actor.to_string(),
                contact_name: row.contact_name.clone(),
                contact_email: row.contact_email.clone(),
            };
            publish(conn, inviter, event).await
        }
        Action::Deactivate => {
            let (other_org, notify) = match side {
                Side::Inviter => {
                    let partner_owner = match row.partner_owner_user_id {
                        Some(user) => access::recipient(conn, user).await?,
                        None => None,
                    };
                    let contact = Recipient {
                        name: row.contact_name.clone(),
                        email: row.contact_email.clone(),
                    };
                    (row.partner_org_id, partner_owner.unwrap_or(contact))
                }
                Side::Invitee => (
                    Some(row.org_id),
                    owner_recipient(conn, row.id, row.owner_user_id).await?,
                ),
            };
            let other_org_id = other_org.map(OrgId).ok_or(EffectError::Broken {
                connection: row.id,
                what: "accepted without a partner",
            })?;
            let event = ConnectionDeactivatedV1 {
                connection_id,
                deactivated_by_org_id: org,
                deactivated_by_org_name: actor.to_string(),
                other_org_id,
                notify,
                deactivated_at: now,
            };
            publish(conn, org, event).await
        }
    }
}

async fn publish<M: Message>(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    payload: M,
) -> Result<(), EffectError> {
    outbox::enqueue(conn, NAME, &Envelope::new(org, payload)).await?;
    Ok(())
}

/// The recipient of a required owner; a connection without one is a broken row.
async fn owner_recipient(
    conn: &mut AsyncPgConnection,
    connection: Uuid,
    owner: Option<Uuid>,
) -> Result<Recipient, EffectError> {
    let found = match owner {
        Some(user) => access::recipient(conn, user).await?,
        None => None,
    };
    found.ok_or(EffectError::Broken {
        connection,
        what: "no owner to notify",
    })
}

/// Every token of the connection that still works stops working.
pub(crate) async fn revoke_tokens(
    conn: &mut AsyncPgConnection,
    connection: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::connection_id.eq(connection))
            .filter(tokens::used_at.is_null())
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(now))
    .execute(conn)
    .await
}
