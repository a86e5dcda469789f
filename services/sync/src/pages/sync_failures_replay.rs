//! `POST /connections/{id}/sync-failures` (CSRF-checked): replays one failed update
//! (`update_id`) or, without it, every failure of the connection, through the API's own replay
//! handler, then shows the connection's failures page with each replayed update's outcome.

use super::{error_page, known_connection};
use crate::ledger::{self, Filter};
use crate::routes::AppState;
use crate::routes::replay::{ReplayRequest, replay as api_replay};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, WebUser};
use uuid::Uuid;

/// At most this many replayed updates have their outcome shown.
const SHOWN: usize = 25;

#[derive(Deserialize)]
pub struct ReplayForm {
    update_id: Option<String>,
}

pub async fn replay(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<ReplayForm>,
) -> Response {
    match run(state, &user, &id, form).await {
        Ok(response) => response,
        Err(err) => error_page(&err, &user),
    }
}

async fn run(
    state: AppState,
    user: &WebUser,
    id: &str,
    form: ReplayForm,
) -> Result<Response, ApiError> {
    let connection = {
        let mut conn = state.pool.get().await?;
        known_connection::of_org(&mut conn, user.org_id, id).await?
    };
    let update = match form.update_id.as_deref().filter(|u| !u.is_empty()) {
        None => None,
        Some(text) => Some(
            Uuid::parse_str(text)
                .map_err(|_| ApiError::invalid_field("update_id", "must be a UUID"))?,
        ),
    };
    // The updates whose outcome the page will show: the one, or the connection's failures
    // the org received (only those are the org's to replay).
    let shown: Vec<Uuid> = match update {
        Some(update) => vec![update],
        None => {
            let mut conn = state.pool.get().await?;
            ledger::list(
                &mut conn,
                &Filter {
                    org: user.org_id,
                    connection_id: Some(connection),
                    record_id: None,
                    failed_only: true,
                    after: None,
                    limit: 500,
                },
            )
            .await?
            .into_iter()
            .filter(|e| e.receiver_org_id == user.org_id.as_uuid())
            .map(|e| e.update_id)
            .take(SHOWN)
            .collect()
        }
    };
    let request = match update {
        Some(update) => ReplayRequest {
            update_id: Some(update),
            record_id: None,
            connection_id: None,
        },
        None => ReplayRequest {
            update_id: None,
            record_id: None,
            connection_id: Some(connection),
        },
    };
    let since = chrono::Utc::now().timestamp_millis();
    let Json(result) = api_replay(State(state), Auth(user.principal()), ValidJson(request)).await?;
    let ids: Vec<String> = shown.iter().map(Uuid::to_string).collect();
    Ok(see_other(&format!(
        "/connections/{connection}/sync-failures?count={}&replayed={}&since={since}",
        result.replayed,
        ids.join(",")
    )))
}
