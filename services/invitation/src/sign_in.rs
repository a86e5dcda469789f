//! Signing in to the web pages by emailed link. A request names an email address; each active
//! user with that address (not a Connection User) gets a single-use token that expires in 15
//! minutes. Like invitation tokens ([`crate::token`]), the token is derived from a sealed
//! reference with the deployment's key: only its SHA-256 is stored, and the event carries the
//! sealed reference, which the notification service unseals as it sends the email. The token
//! row and the event commit together.

use crate::NAME;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::config::CommonConfig;
use shared::identity::{orgs, users};
use shared::ids::{OrgId, UserId};
use shared::message::Envelope;
use shared::message::events::Recipient;
use shared::message::events::identity::SignInLinkRequestedV1;
use shared::outbox;
use shared::sealed_link;
use shared::web::session;
use shared::web::tables::sign_in_tokens;
use uuid::Uuid;

/// How long a sign-in link works.
pub const LINK_LIFETIME: chrono::Duration = chrono::Duration::minutes(15);

/// The link the user follows, built from configuration (never from a request's Host header).
pub fn link_url(public_base_url: &str, token: &str) -> String {
    format!("{public_base_url}/sign-in/link?token={token}")
}

/// Sends a sign-in link to every active user with `email` (compared case-insensitively).
/// Returns how many links were issued; the caller never tells the visitor.
pub async fn request_links(
    conn: &mut AsyncPgConnection,
    config: &CommonConfig,
    email: &str,
) -> anyhow::Result<usize> {
    let found: Vec<(Uuid, Uuid, String, String, String)> = users::table
        .inner_join(orgs::table.on(orgs::id.eq(users::org_id)))
        .filter(users::active)
        .filter(users::is_connection_user.eq(false))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(identity.users.email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .select((
            users::id,
            users::org_id,
            users::name,
            users::email,
            orgs::name,
        ))
        .load(conn)
        .await?;
    for (user_id, org_id, name, address, org_name) in &found {
        let reference = sealed_link::new_reference();
        let token =
            sealed_link::token_for(config.invitation_link_key.expose().as_bytes(), &reference);
        let expires_at = Utc::now() + LINK_LIFETIME;
        let event = Envelope::new(
            OrgId(*org_id),
            SignInLinkRequestedV1 {
                user: Recipient {
                    name: name.clone(),
                    email: address.clone(),
                },
                org_name: org_name.clone(),
                sign_in_url: link_url(&config.public_base_url, &sealed_link::sealed(&reference)),
                expires_at,
            },
        );
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            diesel::insert_into(sign_in_tokens::table)
                .values((
                    sign_in_tokens::token_hash.eq(session::hash(&token)),
                    sign_in_tokens::user_id.eq(user_id),
                    sign_in_tokens::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .await?;
            outbox::enqueue(conn, NAME, &event).await
        })
        .await?;
    }
    Ok(found.len())
}

/// Why a presented sign-in token signs no one in.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Used,
    Expired,
}

impl Refused {
    pub fn words(&self) -> &'static str {
        match self {
            Refused::Unknown => {
                "This sign-in link is not valid. Open it again from the email, whole, or ask for a new one."
            }
            Refused::Used => "This sign-in link was already used. Ask for a new one.",
            Refused::Expired => "This sign-in link has expired. Ask for a new one.",
        }
    }
}

/// A sign-in token's user, expiry and use, with the user's org and whether they are active.
type TokenRow = (Uuid, DateTime<Utc>, Option<DateTime<Utc>>, Uuid, bool);

/// Consumes `token` and starts a session for its user, in one transaction.
pub async fn redeem(
    conn: &mut AsyncPgConnection,
    token: &str,
) -> anyhow::Result<Result<session::NewSession, Refused>> {
    let hash = session::hash(token);
    let outcome = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            let found: Option<TokenRow> = sign_in_tokens::table
                .inner_join(users::table.on(users::id.eq(sign_in_tokens::user_id)))
                .filter(sign_in_tokens::token_hash.eq(&hash))
                .select((
                    sign_in_tokens::user_id,
                    sign_in_tokens::expires_at,
                    sign_in_tokens::used_at,
                    users::org_id,
                    users::active,
                ))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some((user_id, expires_at, used_at, org_id, active)) = found else {
                return Ok(Err(Refused::Unknown));
            };
            if used_at.is_some() {
                return Ok(Err(Refused::Used));
            }
            if expires_at <= Utc::now() || !active {
                return Ok(Err(Refused::Expired));
            }
            diesel::update(sign_in_tokens::table.find(&hash))
                .set(sign_in_tokens::used_at.eq(Utc::now()))
                .execute(conn)
                .await?;
            session::create(conn, UserId(user_id), OrgId(org_id))
                .await
                .map(Ok)
        })
        .await?;
    Ok(outcome)
}
