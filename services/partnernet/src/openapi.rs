//! The HTTP contract, generated from the code: `partnernet openapi` prints `docs/openapi.json`.

use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = invitation::routes::ApiDoc::openapi();
    doc.merge(notification::routes::ApiDoc::openapi());
    doc.info.title = "PartnerNet".to_string();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.info.description = Some(
        "Share CRM records with partner organizations and keep them in sync. \
         Authenticate with an org API key: `Authorization: Bearer pn_...`. \
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
    let mut json = match serde_json::to_value(&doc) {
        Ok(json) => json,
        Err(_) => return doc,
    };
    crate::openapi_schemas::merge_closed_all_of(&mut json);
    serde_json::from_value(json).unwrap_or(doc)
}

/// The document as committed: pretty JSON with a final newline.
pub fn render() -> anyhow::Result<String> {
    Ok(format!("{}\n", document().to_pretty_json()?))
}
