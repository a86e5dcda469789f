//! The sharing service's HTTP routes: object schemas, publications, connection templates,
//! forwarding records, the inbox and record links.

mod errors;
pub(crate) mod forward;
pub(crate) mod inbox;
pub(crate) mod links;
pub(crate) mod objects;
pub(crate) mod publications;
mod settings;
pub(crate) mod stop;
pub mod subscriptions;
pub(crate) mod templates;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post, put};
use shared::db::DbPool;
use shared::service::Platform;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
}

impl AppState {
    pub fn new(platform: &Platform) -> Self {
        Self {
            pool: platform.pool.clone(),
        }
    }
}

impl FromRef<AppState> for DbPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/objects", get(objects::list).post(objects::create))
        .route(
            "/v1/objects/{api_name}",
            get(objects::get).delete(objects::delete),
        )
        .route("/v1/objects/{api_name}/fields", post(objects::add_field))
        .route(
            "/v1/objects/{api_name}/fields/{field}",
            axum::routing::patch(objects::change_field).delete(objects::delete_field),
        )
        .route(
            "/v1/connections/{id}/publications",
            get(publications::list).put(publications::put_all),
        )
        .route(
            "/v1/connections/{id}/publications/{object}",
            put(publications::put_one).delete(publications::delete_one),
        )
        .route(
            "/v1/connection-templates",
            get(templates::list).post(templates::create),
        )
        .route(
            "/v1/connection-templates/{id}",
            get(templates::get)
                .put(templates::replace)
                .delete(templates::delete),
        )
        .route(
            "/v1/connection-templates/{id}/apply",
            post(templates::apply),
        )
        .route("/v1/sharing/forward", post(forward::forward))
        .route(
            "/v1/sharing/settings",
            get(settings::get).put(settings::put),
        )
        .route("/v1/sharing/inbox", get(inbox::list))
        .route("/v1/sharing/inbox/accept", post(inbox::accept))
        .route("/v1/sharing/inbox/reject", post(inbox::reject))
        .route(
            "/v1/sharing/records/{object}/{record_id}",
            get(links::sharing_list),
        )
        .route(
            "/v1/sharing/records/{object}/{record_id}/stop",
            post(stop::stop),
        )
        .route(
            "/v1/sharing/connections/{id}/partner-records/{object}/{partner_record_id}",
            get(links::translate),
        )
        .merge(subscriptions::routes())
        // The record pages (HTML: the inbox, a record's External Sharing; not in the API document).
        .merge(crate::pages_records::router())
        .merge(crate::pages_config::router())
        .with_state(state)
}

/// The service's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        objects::list,
        objects::get,
        objects::create,
        objects::delete,
        objects::add_field,
        objects::change_field,
        objects::delete_field,
        publications::list,
        publications::put_one,
        publications::put_all,
        publications::delete_one,
        templates::list,
        templates::get,
        templates::create,
        templates::replace,
        templates::delete,
        templates::apply,
        forward::forward,
        inbox::list,
        inbox::accept,
        inbox::reject,
        links::sharing_list,
        links::translate,
        stop::stop,
        settings::get,
        settings::put,
    ),
    components(schemas(
        shared::crm::ObjectDef,
        shared::crm::FieldDef,
        shared::crm::FieldType,
        objects::ObjectList,
        crate::objects::changes::NewObject,
        crate::objects::changes::FieldChange,
        crate::publications::resolve::ObjectToPublish,
        crate::publications::view::PublicationsView,
        crate::publications::view::PublishedObjectView,
        crate::publications::change::PublicationChange,
        crate::publications::change::ObjectChange,
        crate::templates::apply::TemplateApplication,
        publications::PublicationsPage,
        publications::PublishObject,
        publications::PublishAll,
        publications::PublicationResult,
        crate::templates::store::Template,
        crate::templates::store::TemplateRequest,
        templates::TemplateList,
        templates::ApplyRequest,
        templates::ApplyOutcome,
        templates::ApplyResponse,
        crate::links::forward::ForwardRequest,
        crate::links::forward::RecordRef,
        crate::links::forward::ForwardResult,
        crate::links::forward::Outcome,
        crate::links::rules::Refusal,
        crate::links::status::Status,
        crate::links::status::Direction,
        crate::links::inbox::EntryView,
        forward::ForwardResponse,
        inbox::InboxPage,
        inbox::AcceptRequest,
        inbox::AcceptItem,
        inbox::RejectRequest,
        inbox::ItemResult,
        inbox::ItemResults,
        links::SharingList,
        links::SharingEntry,
        links::Translation,
        stop::StopRequest,
        stop::StopResponse,
        stop::EndedLink,
        shared::http::Problem,
    )),
    tags(
        (name = "objects", description = "Your organization's object schemas: standard objects, custom objects and fields"),
        (name = "publications", description = "What each side publishes to a connection"),
        (name = "connection templates", description = "Published sets to apply to connections"),
        (name = "record sharing", description = "Forwarding records, the inbox of records partners forwarded, and record links"),
    )
)]
pub struct ApiDoc;
