//! What an action brings with it besides the new status: token changes and the event.

use super::AppState;
use super::access::{self, owner_recipient};
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
) -> Result<(), ApiError> {
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
            let other_org_id = other_org.map(OrgId).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!(
                    "accepted connection {} has no partner",
                    row.id
                ))
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
) -> Result<(), ApiError> {
    outbox::enqueue(conn, NAME, &Envelope::new(org, payload)).await?;
    Ok(())
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
