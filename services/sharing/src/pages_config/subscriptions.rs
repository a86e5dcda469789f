//! `/connections/{id}/subscriptions`: the objects the partner publishes to this org on an
//! accepted connection; subscribe and unsubscribe, and each subscription's mapping (see
//! [`super::subscription_form`]). Changes go through the API's own handlers; an error of the
//! API is shown in words at the field it names.

use super::render::{error_page, value};
use super::subscription_form::{self, section};
use crate::routes::subscriptions as api;
use crate::routes::{AppState, objects};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::csrf::hidden_field;
use shared::web::escape::{escape, url_encode};
use shared::web::notice::problem_text;
use shared::web::pagination::{links, slice};
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser};

#[derive(Deserialize)]
pub struct Params {
    page: Option<usize>,
    done: Option<String>,
    object: Option<String>,
}

fn done_words(done: &str, object: &str) -> Option<String> {
    match done {
        "subscribe" => Some(format!("You subscribed to {object}.")),
        "save" => Some(format!("The mapping of {object} is saved.")),
        "automap" => Some(format!("{object}'s undecided fields were auto-mapped.")),
        "unsubscribe" => Some(format!("You unsubscribed from {object}.")),
        _ => None,
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let notice = params
        .done
        .as_deref()
        .zip(params.object.as_deref())
        .and_then(|(done, object)| done_words(done, object));
    let page = params.page.unwrap_or(1).max(1);
    render(&state, &user, &id, page, notice, None).await
}

async fn render(
    state: &AppState,
    user: &WebUser,
    id: &str,
    page_number: usize,
    notice: Option<String>,
    failed: Option<(&str, ApiError)>,
) -> Response {
    let back = format!("/connections/{}", escape(id));
    let auth = || Auth(user.principal());
    let subscriptions = match api::list(State(state.clone()), auth(), Path(id.to_string())).await {
        Ok(Json(list)) => list,
        Err(err) => return error_page(&err, user, &back),
    };
    let id = subscriptions.connection_id;
    let (page, status) = Page::new("Subscriptions")
        .with_outcome(notice.as_deref(), failed.as_ref().map(|(_, err)| err));
    let mut body = format!(
        "<p><a href=\"/connections/{id}\" id=\"back\">Back to the connection</a> · \
         <a href=\"/connections/{id}/publications\" id=\"to-publications\">Publications</a></p>"
    );
    let available = match api::available(State(state.clone()), auth(), Path(id.to_string())).await {
        Ok(Json(available)) => available.objects,
        // Not accepted yet: nothing to subscribe to; the API's reason, in words.
        Err(err) => {
            body.push_str(&format!(
                "<p id=\"unavailable\">{}</p>",
                escape(&problem_text(&err))
            ));
            return page.push(&body).render(status, Some(user));
        }
    };
    let mine = match objects::list(State(state.clone()), auth()).await {
        Ok(Json(list)) => list.items,
        Err(err) => return error_page(&err, user, &back),
    };
    if available.is_empty() {
        body.push_str("<p id=\"nothing-published\">The partner publishes nothing to you yet.</p>");
    }
    let action = format!("/connections/{id}/subscriptions");
    let csrf = hidden_field(user);
    let (objects, has_next) = slice(available, page_number);
    for object in &objects {
        let subscription = subscriptions
            .subscriptions
            .iter()
            .find(|s| s.object == object.object);
        let error = failed
            .as_ref()
            .filter(|(name, _)| *name == object.object)
            .map(|(_, err)| err);
        body.push_str(&section(object, subscription, &mine, error, &action, &csrf));
    }
    body.push_str(&links(&action, &[], page_number, has_next));
    page.push(&body).render(status, Some(user))
}

/// `POST /connections/{id}/subscriptions`: `action` `subscribe`, `save`, `automap` or
/// `unsubscribe`, of `object`.
pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, form): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let object = value(&form, "object").unwrap_or_default().to_string();
    let action = value(&form, "action").unwrap_or_default().to_string();
    let path = Path((id.clone(), object.clone()));
    let request = match action.as_str() {
        "subscribe" => Some(subscription_form::subscribe(&form)),
        "save" => Some(subscription_form::save(&form)),
        "automap" => Some(subscription_form::auto_map()),
        _ => None,
    };
    let result = match request {
        Some(request) => api::put(
            State(state.clone()),
            Auth(user.principal()),
            path,
            ValidJson(request),
        )
        .await
        .map(|_| ()),
        None if action == "unsubscribe" => {
            api::delete(State(state.clone()), Auth(user.principal()), path)
                .await
                .map(|_| ())
        }
        None => Err(ApiError::invalid_field(
            "action",
            "must be subscribe, save, automap or unsubscribe",
        )),
    };
    match result {
        Ok(()) => see_other(&format!(
            "/connections/{id}/subscriptions?done={action}&object={}",
            url_encode(&object)
        )),
        Err(err) => render(&state, &user, &id, 1, None, Some((&object, err))).await,
    }
}
