//! The HTTP contract, generated from the code: `partnernet openapi` prints `docs/openapi.json`.

use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = invitation::routes::ApiDoc::openapi();
    doc.merge(notification::routes::ApiDoc::openapi());
    doc.merge(sharing::routes::ApiDoc::openapi());
    doc.merge(sharing::routes::subscriptions::ApiDoc::openapi());
    doc.merge(sharing::config::routes::ApiDoc::openapi());
    doc.merge(sync::routes::ApiDoc::openapi());
    doc.info.title = "PartnerNet".to_string();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.info.description = Some(
        "Share CRM records with partner organizations and keep them in sync. \
         Authenticate with an org API key: `Authorization: Bearer pn_...`. \
         A key may act for one of its org's users with `X-Act-As-User: <user id>`: the request \
         then holds only the scopes both hold, and forwarding or stopping a record checks that \
         user's ownership (docs/roles-and-queues.md). \
         Errors are `application/problem+json`; `field` names the request field at fault."
            .to_string(),
    );
    doc.info.license = None;
    doc.info.contact = None;
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "api_key",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    crate::openapi_errors::complete(&mut doc);
    doc
}

/// The document as committed: pretty JSON with a final newline, with the schema fixes utoipa's
/// types cannot hold (they do not read such a document back).
pub fn render() -> anyhow::Result<String> {
    let mut json = serde_json::to_value(document())?;
    crate::openapi_schemas::merge_closed_all_of(&mut json);
    Ok(format!("{}\n", serde_json::to_string_pretty(&json)?))
}
