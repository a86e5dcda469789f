//! The live preview of a template: rendered by the API's own preview handler with the kind's
//! sample values, and shown safely: the subject and plain text as escaped text, the HTML in a
//! sandboxed `<iframe srcdoc>` (escaped into the attribute; no scripts, no same origin), never as
//! markup of the page. `POST /email-templates/{kind}/preview` (CSRF-checked) answers the preview
//! alone, for the page's script to put in place as the author types.

use super::template_form::TemplateForm;
use crate::routes::AppState;
use crate::routes::templates::{PreviewRequest, preview as api_preview};
use crate::templates::{Rendered, TemplateSet};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::http::{ApiError, Auth, ValidJson};
use shared::web::notice::problem_text;
use shared::web::{CsrfForm, WebUser, escape};

/// `draft` (or, without one, the template in force) rendered with sample values.
pub async fn render(
    state: &AppState,
    user: &WebUser,
    kind: &str,
    draft: Option<TemplateSet>,
) -> Result<Rendered, ApiError> {
    let Json(rendered) = api_preview(
        State(state.clone()),
        Auth(user.principal()),
        Path(kind.to_string()),
        ValidJson(PreviewRequest { template: draft }),
    )
    .await?;
    Ok(rendered)
}

/// The preview section: the rendered email, or why it could not be rendered.
pub fn section(result: &Result<Rendered, ApiError>) -> String {
    let inner = match result {
        Ok(rendered) => format!(
            "<p class=\"hint\">With sample values, as a recipient would see it.</p>\
             <dl><dt>Subject</dt><dd id=\"preview-subject\">{subject}</dd></dl>\
             <h3>Plain text</h3><pre id=\"preview-text\">{text}</pre>\
             <h3>HTML</h3><iframe class=\"preview\" id=\"preview-html\" sandbox=\"\" \
             title=\"The HTML email, previewed\" srcdoc=\"{html}\"></iframe>",
            subject = escape(&rendered.subject),
            text = escape(&rendered.text),
            html = escape(&rendered.html),
        ),
        Err(err) => format!(
            "<p class=\"notice error\" id=\"preview-error\">No preview: {}</p>",
            escape(&problem_text(err))
        ),
    };
    format!(
        "<section id=\"preview\" aria-labelledby=\"preview-title\">\
         <h2 id=\"preview-title\">Preview</h2>{inner}</section>"
    )
}

/// `POST /email-templates/{kind}/preview`: the preview section of the posted draft alone (422
/// when the draft is refused; the section then says why).
pub async fn fragment(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    CsrfForm(user, form): CsrfForm<TemplateForm>,
) -> Response {
    let result = render(&state, &user, &kind, Some(form.template())).await;
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(err) => err.status(),
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        section(&result),
    )
        .into_response()
}

/// The page's script: posts the form to the preview as the author types (debounced).
pub const SCRIPT: &str = include_str!("email-preview.js");

/// `GET /assets/email-preview.js`.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}
