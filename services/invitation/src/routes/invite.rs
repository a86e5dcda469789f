//! Inviting partners: one contact, or many at once (each its own connection and email).

use super::AppState;
use super::access::{check_owner, check_template, org_name};
use crate::connection::{ConnectionRow, ConnectionView, Contact, Status};
use crate::history::{self, Kind, NewEntry};
use crate::lifecycle::Side;
use crate::schema::{connections, tokens};
use crate::{NAME, token};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use serde::Serialize;
use shared::http::{ApiError, Auth, Problem, ValidJson, idempotency, require_scope};
use shared::identity::Scope;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::connection::{ConnectionTemplateChosenV1, InvitationSentV1};
use shared::{outbox, validate};
use uuid::Uuid;

/// Invite a partner: one contact, one connection, one invitation email.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// The person invited; the email must be valid, or the invitation reaches the wrong person.
    pub contact: Contact,
    /// The related account, if any (changeable later).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub account: Option<String>,
    /// The user of your org who manages the connection and receives its notifications
    /// (required; must be an active user of your org).
    pub owner_user_id: Uuid,
    /// The connection template to apply, if any: an active template of your org (else 422).
    /// The sharing service applies it: the connection's published objects become the template's.
    pub template_id: Option<Uuid>,
}

/// Invite a partner organization.
#[utoipa::path(
    post,
    path = "/v1/connections",
    tag = "connections",
    request_body = InviteRequest,
    params(idempotency::IdempotencyKey),
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Connection created (status Sent); the invitation email is on its way. With a known `Idempotency-Key` and the same body: the first answer, with `Idempotency-Replayed: true`", body = ConnectionView),
        (status = 409, description = "A request with this Idempotency-Key is still being served", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API key", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks manage_connections", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid; `field` names it", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<InviteRequest>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let contact = valid_contact("contact", &request.contact)?;
    let account = request
        .account
        .as_deref()
        .map(|a| validate::text("account", a, 200))
        .transpose()?;
    let mut conn = state.pool.get().await?;
    check_owner(
        &mut conn,
        principal.org_id,
        "owner_user_id",
        request.owner_user_id,
    )
    .await?;
    check_template(
        &mut conn,
        principal.org_id,
        "template_id",
        request.template_id,
    )
    .await?;
    let invitation = Invitation {
        org_id: principal.org_id,
        inviter_org_name: org_name(&mut conn, principal.org_id).await?,
        contact,
        account,
        owner_user_id: request.owner_user_id,
        template_id: request.template_id,
    };
    let row = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            create(conn, &state, &invitation).await
        })
        .await?;
    Ok((StatusCode::CREATED, Json(row.view(Side::Inviter))))
}

fn valid_contact(field: &str, contact: &Contact) -> Result<Contact, ApiError> {
    Ok(Contact {
        name: validate::text(&format!("{field}.name"), &contact.name, 200)?,
        email: validate::email(&format!("{field}.email"), &contact.email)?,
    })
}

/// Invite many partners at once: one owner and template for all.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInviteRequest {
    /// 1 to 100 contacts; each gets its own connection and invitation email.
    #[schema(min_items = 1, max_items = 100)]
    pub contacts: Vec<Contact>,
    pub owner_user_id: Uuid,
    /// An active connection template of your org, applied to every connection created.
    pub template_id: Option<Uuid>,
}

/// What became of one contact of a bulk invitation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkOutcome {
    /// The contact's position in the request.
    pub index: usize,
    pub email: String,
    /// `created` or `rejected`.
    pub status: String,
    pub connection_id: Option<Uuid>,
    /// Why the contact was rejected (`field` names it, e.g. `contacts[2].email`).
    pub error: Option<Problem>,
}

/// The outcome of each contact, in request order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkInviteResponse {
    pub results: Vec<BulkOutcome>,
}

/// Invite many partners: each valid contact gets a connection of its own (own transaction, own
/// event); invalid ones are reported without stopping the others.
#[utoipa::path(
    post,
    path = "/v1/connections/bulk",
    tag = "connections",
    request_body = BulkInviteRequest,
    params(idempotency::IdempotencyKey),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "One outcome per contact (replayed as first answered for a known `Idempotency-Key`)", body = BulkInviteResponse),
        (status = 409, description = "A request with this Idempotency-Key is still being served", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request as a whole is invalid (`contacts`, `owner_user_id`)", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn bulk_invite(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<BulkInviteRequest>,
) -> Result<Json<BulkInviteResponse>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    if !(1..=100).contains(&request.contacts.len()) {
        return Err(ApiError::invalid_field(
            "contacts",
            "must hold 1 to 100 contacts",
        ));
    }
    let mut conn = state.pool.get().await?;
    check_owner(
        &mut conn,
        principal.org_id,
        "owner_user_id",
        request.owner_user_id,
    )
    .await?;
    check_template(
        &mut conn,
        principal.org_id,
        "template_id",
        request.template_id,
    )
    .await?;
    let inviter_org_name = org_name(&mut conn, principal.org_id).await?;
    let mut results = Vec::with_capacity(request.contacts.len());
    for (index, raw) in request.contacts.iter().enumerate() {
        let outcome = match valid_contact(&format!("contacts[{index}]"), raw) {
            Err(err) => Err(err),
            Ok(contact) => {
                let invitation = Invitation {
                    org_id: principal.org_id,
                    inviter_org_name: inviter_org_name.clone(),
                    contact,
                    account: None,
                    owner_user_id: request.owner_user_id,
                    template_id: request.template_id,
                };
                conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                    create(conn, &state, &invitation).await
                })
                .await
                .map_err(ApiError::from)
            }
        };
        results.push(match outcome {
            Ok(row) => BulkOutcome {
                index,
                email: row.contact_email,
                status: "created".into(),
                connection_id: Some(row.id),
                error: None,
            },
            Err(err) => BulkOutcome {
                index,
                email: raw.email.clone(),
                status: "rejected".into(),
                connection_id: None,
                error: Some(err.problem().clone()),
            },
        });
    }
    Ok(Json(BulkInviteResponse { results }))
}

struct Invitation {
    org_id: OrgId,
    inviter_org_name: String,
    contact: Contact,
    account: Option<String>,
    owner_user_id: Uuid,
    template_id: Option<Uuid>,
}

/// The connection, its token, its first history entry and the event, in one transaction.
async fn create(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    invitation: &Invitation,
) -> QueryResult<ConnectionRow> {
    let connection_id = ConnectionId::new();
    let token = token::issue(&state.config.common);
    let expires_at = chrono::Utc::now() + state.config.token_ttl;
    let row: ConnectionRow = diesel::insert_into(connections::table)
        .values((
            connections::id.eq(connection_id.as_uuid()),
            connections::org_id.eq(invitation.org_id.as_uuid()),
            connections::status.eq(Status::Sent.as_str()),
            connections::contact_name.eq(&invitation.contact.name),
            connections::contact_email.eq(&invitation.contact.email),
            connections::account_name.eq(&invitation.account),
            connections::owner_user_id.eq(invitation.owner_user_id),
            connections::template_id.eq(invitation.template_id),
        ))
        .returning(ConnectionRow::as_returning())
        .get_result(conn)
        .await?;
    diesel::insert_into(tokens::table)
        .values((
            tokens::token_hash.eq(&token.hash),
            tokens::connection_id.eq(row.id),
            tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    history::record(
        conn,
        NewEntry {
            connection_id: row.id,
            kind: Kind::StatusChanged,
            summary: format!("Invitation sent to {}", invitation.contact.name),
            detail: serde_json::json!({ "status": Status::Sent.as_str() }),
            occurred_at: row.invited_at,
            source_message_id: None,
        },
    )
    .await?;
    let event = Envelope::new(
        invitation.org_id,
        InvitationSentV1 {
            connection_id,
            inviter_org_name: invitation.inviter_org_name.clone(),
            contact_name: invitation.contact.name.clone(),
            contact_email: invitation.contact.email.clone(),
            accept_url: token.accept_url.clone(),
            expires_at,
        },
    );
    outbox::enqueue(conn, NAME, &event).await?;
    if let Some(template_id) = invitation.template_id {
        // The sharing service applies the template (same transaction: chosen only if created).
        let chosen = Envelope::caused_by(
            invitation.org_id,
            ConnectionTemplateChosenV1 {
                connection_id,
                template_id,
            },
            &event.head(),
        );
        outbox::enqueue(conn, NAME, &chosen).await?;
    }
    Ok(row)
}
