//! `/email-templates/{kind}`: one kind's template, its form and its preview. `GET` shows the
//! template in force; `POST` (CSRF) either previews the typed draft (the Preview button) or
//! saves it through the API's own handler. A refused template keeps what was typed and shows the
//! error at the part and line it names. `POST /email-templates/{kind}/reset` goes back to the
//! default.

use super::TEMPLATES;
use super::{kind_words, preview, template_form};
use crate::kinds::{self, COMMON_VARIABLES};
use crate::routes::AppState;
use crate::routes::templates::{get as api_get, put as api_put, reset as api_reset};
use crate::templates::TemplateSet;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::api_error_page;
use shared::web::csrf::hidden_field;
use shared::web::redirect::see_other;
use shared::web::{CsrfForm, Page, WebUser, escape};

/// The page's script (the live preview).
const SCRIPT: &str = "/assets/email-preview.js";

#[derive(Deserialize)]
pub struct Shown {
    /// `saved` or `reset`: what was just done.
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct Empty {}

fn back(err: &ApiError, user: &WebUser) -> Response {
    api_error_page(err, Some(user), TEMPLATES)
}

/// The page of `kind` showing `filled` (customised or not), with `error` at its part and the
/// preview section.
fn page(
    kind: &'static kinds::Kind,
    customized: bool,
    filled: &TemplateSet,
    error: Option<&ApiError>,
    preview: &str,
    user: &WebUser,
) -> Page {
    let (title, purpose) = kind_words::of(kind.name);
    let variables = kind
        .variables
        .iter()
        .chain(COMMON_VARIABLES)
        .map(|v| format!("<code>{{{{ {} }}}}</code>", escape(v)))
        .collect::<Vec<_>>()
        .join(", ");
    let status = if customized {
        "Customised: your organization's own template is sent."
    } else {
        "Default: the template shipped with PartnerNet is sent."
    };
    let mut body = format!(
        "<p><a href=\"/email-templates\" id=\"back\">Back to the email templates</a></p>\
         <p>{purpose} Sent to {audience}.</p><p id=\"template-status\">{status}</p>\
         <p>Variables this email offers: {variables}.</p>",
        purpose = escape(purpose),
        audience = escape(kind.audience),
    );
    body.push_str(&template_form::form(
        kind.name,
        filled,
        error,
        &hidden_field(user),
    ));
    body.push_str(&format!(
        "<div id=\"preview-area\" aria-live=\"polite\">{preview}</div>"
    ));
    if customized {
        body.push_str(&format!(
            "<h2>Default template</h2><form method=\"post\" action=\"/email-templates/{kind}/reset\" \
             id=\"reset-form\">{csrf}<button type=\"submit\" class=\"danger\" id=\"reset-template\">\
             Reset to the default template</button></form>",
            kind = kind.name,
            csrf = hidden_field(user),
        ));
    }
    Page::new(&format!("Email: {title}"))
        .push(&body)
        .script(SCRIPT)
        .allow_style_attributes()
}

/// `GET /email-templates/{kind}`.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(kind): Path<String>,
    Query(shown): Query<Shown>,
) -> Response {
    let Json(view) = match api_get(
        State(state.clone()),
        Auth(user.principal()),
        Path(kind.clone()),
    )
    .await
    {
        Ok(view) => view,
        Err(err) => return back(&err, &user),
    };
    let Some(kind) = kinds::find(&view.kind) else {
        return back(&ApiError::not_found("email kind"), &user);
    };
    let rendered = preview::render(&state, &user, kind.name, None).await;
    let mut page = page(
        kind,
        view.customized,
        &view.template,
        None,
        &preview::section(&rendered),
        &user,
    );
    page = match shown.done.as_deref() {
        Some("saved") => page.notice_ok("The template is saved: it is used for the next emails."),
        Some("reset") => page.notice_ok("The default template is used again."),
        _ => page,
    };
    page.render(StatusCode::OK, Some(&user))
}

/// `POST /email-templates/{kind}`: Preview or Save.
pub async fn post(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    CsrfForm(user, form): CsrfForm<template_form::TemplateForm>,
) -> Response {
    let Some(kind) = kinds::find(&kind) else {
        return back(&ApiError::not_found("email kind"), &user);
    };
    let draft = form.template();
    let saved = if form.action.as_deref() == Some("preview") {
        None
    } else {
        Some(
            api_put(
                State(state.clone()),
                Auth(user.principal()),
                Path(kind.name.to_string()),
                ValidJson(draft.clone()),
            )
            .await,
        )
    };
    let refused = match saved {
        Some(Ok(_)) => return see_other(&format!("/email-templates/{}?done=saved", kind.name)),
        Some(Err(err)) if err.status() != StatusCode::UNPROCESSABLE_ENTITY => {
            return back(&err, &user);
        }
        Some(Err(err)) => Some(err),
        None => None,
    };
    // Previewed, or refused: the page again with what was typed.
    let rendered = preview::render(&state, &user, kind.name, Some(draft.clone())).await;
    if let Err(err) = &rendered
        && err.status() == StatusCode::FORBIDDEN
    {
        return back(err, &user);
    }
    // The save's error, or (a preview) the draft's: shown at its part and line.
    let error = refused.as_ref().or(rendered.as_ref().err());
    let customized = customized(&state, &user, kind.name).await;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut page = page(
        kind,
        customized,
        &draft,
        error,
        &preview::section(&rendered),
        &user,
    );
    if let Some(err) = error {
        page = page.notice_error(&match err.problem().line {
            Some(_) => "The template was not saved: see the error at its line below.".to_string(),
            None => "The template was not saved: see the error below.".to_string(),
        });
        if form.action.as_deref() == Some("preview") {
            page = page.notice_error("This draft cannot be previewed as it is.");
        }
    }
    page.render(status, Some(&user))
}

/// Whether the org has its own template of `kind` (for the page's status line).
async fn customized(state: &AppState, user: &WebUser, kind: &str) -> bool {
    api_get(
        State(state.clone()),
        Auth(user.principal()),
        Path(kind.to_string()),
    )
    .await
    .is_ok_and(|Json(view)| view.customized)
}

/// `POST /email-templates/{kind}/reset`.
pub async fn reset(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> Response {
    match api_reset(State(state), Auth(user.principal()), Path(kind.clone())).await {
        Ok(_) => match kinds::find(&kind) {
            Some(kind) => see_other(&format!("/email-templates/{}?done=reset", kind.name)),
            None => back(&ApiError::not_found("email kind"), &user),
        },
        Err(err) => back(&err, &user),
    }
}
