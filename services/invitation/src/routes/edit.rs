//! Editing a connection: account, contact, owner, template. Each change is a history entry.
//! The inviting org edits all four; the invited org edits only its own owner.

use super::AppState;
use super::access::{check_owner, check_template, locked_connection};
use crate::NAME;
use crate::connection::{ConnectionRow, ConnectionView, Contact, Status};
use crate::history::{self, Kind, NewEntry};
use crate::lifecycle::Side;
use crate::schema::connections;
use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use serde_json::json;
use shared::http::{ApiError, Auth, ValidJson, require_scope};
use shared::identity::Scope;
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::connection::ConnectionTemplateChosenV1;
use shared::{outbox, validate};
use uuid::Uuid;

/// The fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub account: Option<String>,
    pub contact: Option<Contact>,
    /// Your side's connection owner: an active user of your org.
    pub owner_user_id: Option<Uuid>,
    /// An active connection template of your org (inviting org only); naming one applies it,
    /// even when it is already the connection's.
    pub template_id: Option<Uuid>,
}

/// Edit a connection (account, contact, owner, template).
#[utoipa::path(
    patch,
    path = "/v1/connections/{id}",
    tag = "connections",
    params(("id" = Uuid, Path, description = "The connection's id")),
    request_body = EditRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Edited; each change is in the history", body = ConnectionView),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A cancelled or rejected connection cannot be edited", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, or only the inviting org may change it", body = shared::http::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn edit(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    ValidJson(request): ValidJson<EditRequest>,
) -> Result<Json<ConnectionView>, ApiError> {
    require_scope(&principal, Scope::ManageConnections)?;
    let id = validate::uuid("id", &id)?;
    let account = request
        .account
        .as_deref()
        .map(|a| validate::text("account", a, 200))
        .transpose()?;
    let contact = request
        .contact
        .as_ref()
        .map(|c| -> Result<Contact, ApiError> {
            Ok(Contact {
                name: validate::text("contact.name", &c.name, 200)?,
                email: validate::email("contact.email", &c.email)?,
            })
        })
        .transpose()?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    if let Some(owner) = request.owner_user_id {
        check_owner(&mut conn, org, "owner_user_id", owner).await?;
    }
    check_template(&mut conn, org, "template_id", request.template_id).await?;
    let (row, side) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let (row, side) = locked_connection(conn, org, id).await?;
            let current = row.stored_status()?;
            if matches!(current, Status::Cancelled | Status::Rejected) {
                return Err(ApiError::conflict(
                    "a cancelled or rejected connection cannot be edited",
                    current.as_str(),
                ));
            }
            if side == Side::Invitee {
                for (field, given) in [
                    ("account", account.is_some()),
                    ("contact", contact.is_some()),
                    ("template_id", request.template_id.is_some()),
                ] {
                    if given {
                        return Err(ApiError::invalid_field(
                            field,
                            "only the inviting organization can change it",
                        ));
                    }
                }
            }
            let mut changes = Vec::new();
            if let Some(new) = &account
                && row.account_name.as_ref() != Some(new)
            {
                changes.push((
                    Kind::AccountChanged,
                    format!("Account changed to {new}"),
                    json!({ "from": row.account_name, "to": new }),
                ));
            }
            if let Some(new) = &contact
                && (row.contact_name != new.name || row.contact_email != new.email)
            {
                changes.push((
                    Kind::ContactChanged,
                    format!("Contact changed to {}", new.name),
                    json!({
                        "from": { "name": row.contact_name, "email": row.contact_email },
                        "to": new,
                    }),
                ));
            }
            let old_owner = match side {
                Side::Inviter => row.owner_user_id,
                Side::Invitee => row.partner_owner_user_id,
            };
            if let Some(new) = request.owner_user_id
                && old_owner != Some(new)
            {
                changes.push((
                    Kind::OwnerChanged,
                    "Connection owner changed".to_string(),
                    json!({ "from": old_owner, "to": new, "by_org_id": org }),
                ));
            }
            if let Some(new) = request.template_id
                && row.template_id != Some(new)
            {
                changes.push((
                    Kind::TemplateChanged,
                    "Connection template changed".to_string(),
                    json!({ "from": row.template_id, "to": new }),
                ));
            }
            if let Some(template_id) = request.template_id {
                // Naming a template applies it, even the one already chosen: the sharing service
                // makes the published set exactly the template's again.
                let chosen = ConnectionTemplateChosenV1 {
                    connection_id: ConnectionId(row.id),
                    template_id,
                };
                outbox::enqueue(conn, NAME, &Envelope::new(org, chosen)).await?;
            }
            if changes.is_empty() {
                return Ok((row, side));
            }
            let now = Utc::now();
            let (owner, partner_owner) = match side {
                Side::Inviter => (
                    request.owner_user_id.or(row.owner_user_id),
                    row.partner_owner_user_id,
                ),
                Side::Invitee => (
                    row.owner_user_id,
                    request.owner_user_id.or(row.partner_owner_user_id),
                ),
            };
            let updated: ConnectionRow = diesel::update(connections::table.find(row.id))
                .set((
                    connections::account_name.eq(account.clone().or(row.account_name.clone())),
                    connections::contact_name
                        .eq(contact.as_ref().map_or(&row.contact_name, |c| &c.name)),
                    connections::contact_email
                        .eq(contact.as_ref().map_or(&row.contact_email, |c| &c.email)),
                    connections::owner_user_id.eq(owner),
                    connections::partner_owner_user_id.eq(partner_owner),
                    connections::template_id.eq(request.template_id.or(row.template_id)),
                    connections::updated_at.eq(now),
                ))
                .returning(ConnectionRow::as_returning())
                .get_result(conn)
                .await?;
            for (kind, summary, detail) in changes {
                history::record(
                    conn,
                    NewEntry {
                        connection_id: row.id,
                        kind,
                        summary,
                        detail,
                        occurred_at: now,
                        source_message_id: None,
                    },
                )
                .await?;
            }
            Ok((updated, side))
        })
        .await?;
    Ok(Json(row.view(side)))
}
