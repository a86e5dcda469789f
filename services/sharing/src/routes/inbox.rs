//! `/v1/sharing/inbox`: records partners forwarded to your org and you have not accepted yet
//! (`read`), and accepting (`accept`) or rejecting them, one or many. An entry that is not
//! yours gets 404 for the whole request, which then changes nothing.

use super::AppState;
use crate::connections;
use crate::links::held;
use crate::links::inbox::{self, Acceptance, EntryView, MAX_ITEMS};
use crate::links::status::{Direction, Status};
use crate::links::store;
use axum::Json;
use axum::extract::State;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, Auth, ValidJson, ValidQuery, require_scope};
use shared::identity::{Scope, users};
use shared::ids::OrgId;
use shared::message::events::sharing::AcceptMode;
use shared::roles;
use shared::validate::{self, Invalid};
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only the entries of this connection.
    pub connection_id: Option<Uuid>,
    /// Only the entries arriving as this object of yours.
    pub object: Option<String>,
}

/// Your inbox, by connection, object and arrival (at most 500 entries).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InboxPage {
    pub items: Vec<EntryView>,
}

/// The records forwarded to you and not accepted yet, with the fields each copy would have.
#[utoipa::path(
    get,
    path = "/v1/sharing/inbox",
    tag = "record sharing",
    params(InboxQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, body = InboxPage),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "inbox_list"
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidQuery(query): ValidQuery<InboxQuery>,
) -> Result<Json<InboxPage>, ApiError> {
    require_scope(&principal, Scope::Read)?;
    if let Some(object) = &query.object {
        validate::text("object", object, 255)?;
    }
    let mut conn = state.pool.get().await?;
    let items = inbox::list(
        &mut conn,
        principal.org_id,
        query.connection_id,
        query.object.as_deref(),
    )
    .await?;
    Ok(Json(InboxPage {
        items: items.into_iter().map(EntryView::from).collect(),
    }))
}

/// Accept inbox entries.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// 1 to 500 entries.
    pub items: Vec<AcceptItem>,
}

/// One entry to accept: create the copy (assigned to a user of yours, if named), or relate it
/// to an existing record of yours instead.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptItem {
    #[schema(format = Uuid)]
    pub id: String,
    /// An active user of your org who owns the copy.
    #[schema(format = Uuid)]
    pub assign_to: Option<String>,
    /// A queue of users of your org (`/v1/queues`) that owns the copy (its id is the copy's
    /// owner); not with `assign_to` or `relate_to`.
    #[schema(format = Uuid)]
    pub assign_to_queue: Option<String>,
    /// The id of your existing record (of the entry's object) the partner's record is linked
    /// to; nothing is created.
    pub relate_to: Option<String>,
}

/// Reject inbox entries.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// 1 to 500 entry ids.
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub ids: Vec<String>,
}

/// What happened to one entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub id: Uuid,
    /// `accepting` (the copy is being made: the entry leaves the inbox once it exists, or
    /// shows the error), `already_accepting`, `rejected`, or `refused` (`detail` says why).
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResults {
    pub results: Vec<ItemResult>,
}

fn count(field: &str, n: usize) -> Result<(), Invalid> {
    if n == 0 || n > MAX_ITEMS {
        return Err(Invalid::new(
            field,
            format!("must hold 1 to {MAX_ITEMS} entries"),
        ));
    }
    Ok(())
}

/// The acceptance asked for, its ids checked (422 naming the member).
/// With the queue asked for, checked as the org's in the transaction (its id then owns the
/// copy, as `assign_to` would).
fn acceptance(i: usize, item: &AcceptItem) -> Result<(Uuid, Acceptance, Option<Uuid>), Invalid> {
    let id = validate::uuid(&format!("items[{i}].id"), &item.id)?;
    let assign_to = item
        .assign_to
        .as_deref()
        .map(|u| validate::uuid(&format!("items[{i}].assign_to"), u))
        .transpose()?;
    let relate_to = item
        .relate_to
        .as_deref()
        .map(|r| validate::text(&format!("items[{i}].relate_to"), r, 255))
        .transpose()?;
    let queue = item
        .assign_to_queue
        .as_deref()
        .map(|q| validate::uuid(&format!("items[{i}].assign_to_queue"), q))
        .transpose()?;
    if assign_to.is_some() && relate_to.is_some() {
        return Err(Invalid::new(
            format!("items[{i}].relate_to"),
            "relate to an existing record or assign a new copy, not both",
        ));
    }
    if queue.is_some() && (assign_to.is_some() || relate_to.is_some()) {
        return Err(Invalid::new(
            format!("items[{i}].assign_to_queue"),
            "assign the copy to a queue, or to a user, or relate it: only one",
        ));
    }
    Ok((
        id,
        Acceptance {
            assign_to,
            relate_to,
            ..Acceptance::default()
        },
        queue,
    ))
}

/// Whether `user` is an active person of the org (not its Connection User).
async fn assignable(conn: &mut AsyncPgConnection, org: OrgId, user: Uuid) -> QueryResult<bool> {
    let found: Option<Uuid> = users::table
        .find(user)
        .filter(users::org_id.eq(org.as_uuid()))
        .filter(users::active.eq(true))
        .filter(users::is_connection_user.eq(false))
        .select(users::id)
        .first(conn)
        .await
        .optional()?;
    Ok(found.is_some())
}

/// Whether the org's record `existing` already has a live link received on the entry's
/// connection: relating a second partner record to it would take that link over.
async fn linked_already(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    entry: &inbox::Entry,
    existing: &str,
) -> QueryResult<bool> {
    let link = store::one(
        conn,
        org,
        entry.connection_id,
        Direction::Received,
        &entry.object,
        existing,
    )
    .await?;
    Ok(link.and_then(|l| l.status()).is_some_and(Status::is_live))
}

/// Accept entries: each copy is created by the sync service from the mapped fields, last
/// modified by your Connection User; a copy that breaks your validation rules is not created,
/// the entry stays with the error and the connection history records it.
#[utoipa::path(
    post,
    path = "/v1/sharing/inbox/accept",
    tag = "record sharing",
    request_body = AcceptRequest,
    security(("api_key" = [])),
    responses(
        (status = 202, body = ItemResults),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "An entry that is not in your inbox", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`field` names the member at fault (`items[0].assign_to`)", body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "inbox_accept"
)]
pub async fn accept(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<AcceptRequest>,
) -> Result<(axum::http::StatusCode, Json<ItemResults>), ApiError> {
    require_scope(&principal, Scope::Accept)?;
    count("items", request.items.len())?;
    let wanted = request
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| acceptance(i, item))
        .collect::<Result<Vec<_>, _>>()?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let results = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let mut results = Vec::new();
            for (i, (id, how, queue)) in wanted.iter().enumerate() {
                let entry = inbox::one(conn, org, *id)
                    .await?
                    .ok_or_else(|| ApiError::not_found(&format!("inbox entry (items[{i}].id)")))?;
                if let Some(user) = how.assign_to
                    && !assignable(conn, org, user).await?
                {
                    return Err(ApiError::invalid_field(
                        format!("items[{i}].assign_to"),
                        "is not an active user of your organization",
                    ));
                }
                if let Some(existing) = &how.relate_to
                    && linked_already(conn, org, &entry, existing).await?
                {
                    return Err(ApiError::invalid_field(
                        format!("items[{i}].relate_to"),
                        "is linked to another record of this partner already",
                    ));
                }
                let mut how = how.clone();
                if let Some(queue) = *queue {
                    if !roles::queue_of_org(conn, org, queue).await? {
                        return Err(ApiError::invalid_field(
                            format!("items[{i}].assign_to_queue"),
                            "is not a queue of your organization",
                        ));
                    }
                    how.assign_to = Some(queue);
                }
                let how = &how;
                if entry.accepting() {
                    results.push(ItemResult {
                        id: *id,
                        outcome: "already_accepting",
                        detail: None,
                    });
                    continue;
                }
                if entry.parent_record_id.is_some() {
                    // A child is created only under its parent's copy.
                    let Some(parent) = held::parent_of(conn, &entry).await? else {
                        results.push(ItemResult {
                            id: *id,
                            outcome: "refused",
                            detail: Some(
                                "a child record is accepted with its parent: accept the parent"
                                    .into(),
                            ),
                        });
                        continue;
                    };
                    let held_back =
                        held::accept_under(conn, &entry, &parent, AcceptMode::ByHand, how.clone())
                            .await?;
                    if let Err(refusal) = held_back {
                        results.push(ItemResult {
                            id: *id,
                            outcome: "refused",
                            detail: Some(refusal.detail),
                        });
                        continue;
                    }
                } else {
                    inbox::accept(conn, &entry, AcceptMode::ByHand, how).await?;
                }
                results.push(ItemResult {
                    id: *id,
                    outcome: "accepting",
                    detail: None,
                });
            }
            Ok(results)
        })
        .await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(ItemResults { results }),
    ))
}

/// Reject entries: each leaves the inbox and the partner's link becomes Inactive.
#[utoipa::path(
    post,
    path = "/v1/sharing/inbox/reject",
    tag = "record sharing",
    request_body = RejectRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, body = ItemResults),
        (status = 401, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 403, body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "An entry that is not in your inbox", body = shared::http::Problem, content_type = "application/problem+json"),
        (status = 422, body = shared::http::Problem, content_type = "application/problem+json"),
    ),
    operation_id = "inbox_reject"
)]
pub async fn reject(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ValidJson(request): ValidJson<RejectRequest>,
) -> Result<Json<ItemResults>, ApiError> {
    require_scope(&principal, Scope::Accept)?;
    count("ids", request.ids.len())?;
    let ids = request
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| validate::uuid(&format!("ids[{i}]"), id))
        .collect::<Result<Vec<_>, _>>()?;
    let org = principal.org_id;
    let mut conn = state.pool.get().await?;
    let results = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let mut results = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let entry = inbox::one(conn, org, *id)
                    .await?
                    .ok_or_else(|| ApiError::not_found(&format!("inbox entry (ids[{i}])")))?;
                if entry.accepting() {
                    results.push(ItemResult {
                        id: *id,
                        outcome: "refused",
                        detail: Some("the record is being accepted".into()),
                    });
                    continue;
                }
                let (connection, side) =
                    connections::party_to(conn, org, entry.connection_id, false)
                        .await?
                        .ok_or_else(|| ApiError::not_found(&format!("inbox entry (ids[{i}])")))?;
                let sender = connection
                    .partner_of(side)
                    .ok_or_else(|| ApiError::not_found(&format!("inbox entry (ids[{i}])")))?;
                inbox::reject(conn, &entry, OrgId(sender), None).await?;
                held::reject_with(conn, &entry, OrgId(sender)).await?;
                results.push(ItemResult {
                    id: *id,
                    outcome: "rejected",
                    detail: None,
                });
            }
            Ok(results)
        })
        .await?;
    Ok(Json(ItemResults { results }))
}
