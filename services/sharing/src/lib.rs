//! The sharing service: org object schemas, published and subscribed objects and fields, field
//! mappings, connection templates, forwarded records, the inbox and the record links.
//!
//! It owns the `sharing` schema. It keeps a read model of connections from `connection.*`
//! events, applies templates chosen for connections, and publishes `sharing.*` events
//! (schema changes, publication changes, template changes) through the outbox.

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shared::config::{CommonConfig, ConfigError};
use shared::consumer::{ConsumerSpec, Handlers, Order};
use shared::message::events::connection::{
    ConnectionDeactivatedV1, ConnectionTemplateChosenV1, InvitationAcceptedV1,
    InvitationCancelledV1, InvitationDeclinedV1, InvitationResentV1, InvitationSentV1,
};
use shared::message::events::link_ends::LinkEndedV1;
use shared::message::events::links::{
    CopyCreatedV1, CopyRefusedV1, RecordAcceptedV1, RecordForwardedV1, RecordHeldV1,
    RecordRejectedV1,
};
use shared::message::events::sync::{RecordChangedV1, RecordLinksMayEndV1};
use shared::service::{Platform, ServiceParts};
use tokio_util::sync::CancellationToken;

pub mod config;
pub mod connections;
pub mod links;
pub mod objects;
pub mod org_settings;
pub mod pages_config;
pub mod pages_records;
pub mod publications;
pub mod routes;
pub mod schema;
pub mod subscriptions;
pub mod templates;

pub const NAME: &str = "sharing";

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The sharing service's configuration: [`CommonConfig`] only, for now.
#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env()?,
        })
    }
}

pub fn parts(platform: &Platform, _config: &Config) -> ServiceParts {
    ServiceParts {
        name: NAME,
        router: routes::router(routes::AppState::new(platform))
            .merge(config::routes::router(platform.pool.clone())),
        consumers: consumers(),
        workers: Vec::new(),
        publishes: true,
    }
}

/// The service's consumers: `connections` keeps the read model of connections; `templates`
/// applies a template chosen for a connection; `links` moves record links (offers arriving,
/// sync's answers to accepts, the partner's answers to forwards, links ended by the partner);
/// `record_ends` ends the links of records deleted or converted (sync's change feed).
pub fn consumers() -> Vec<ConsumerSpec> {
    let track = || connections::TrackConnections;
    vec![
        ConsumerSpec {
            service: NAME,
            name: "connections",
            handlers: Handlers::new()
                .on::<InvitationSentV1, _>(track())
                .on::<InvitationResentV1, _>(track())
                .on::<InvitationAcceptedV1, _>(track())
                .on::<InvitationDeclinedV1, _>(track())
                .on::<InvitationCancelledV1, _>(track())
                .on::<ConnectionDeactivatedV1, _>(track()),
        },
        ConsumerSpec {
            service: NAME,
            name: "templates",
            handlers: Handlers::new().on_ordered::<ConnectionTemplateChosenV1, _>(
                templates::chosen::ApplyChosenTemplate,
            ),
        },
        ConsumerSpec {
            service: NAME,
            name: "links",
            handlers: Handlers::new()
                .on::<RecordForwardedV1, _>(links::answers::MoveLinks)
                .on::<CopyCreatedV1, _>(links::answers::MoveLinks)
                .on::<CopyRefusedV1, _>(links::answers::MoveLinks)
                .on::<RecordAcceptedV1, _>(links::answers::MoveLinks)
                .on::<RecordRejectedV1, _>(links::answers::MoveLinks)
                .on::<RecordHeldV1, _>(links::answers::MoveLinks)
                .on::<LinkEndedV1, _>(links::answers::MoveLinks),
        },
        ConsumerSpec {
            service: NAME,
            name: "record_ends",
            // Takes the changes sync marks as able to end links; every change before that
            // (retired: what an older version queued is still handled).
            handlers: Handlers::new()
                .on_batch::<RecordLinksMayEndV1, _>(
                    links::record_ends::EndOnRecordChange,
                    Order::Any,
                )
                .on_batch::<RecordChangedV1, _>(links::record_ends::EndOnRecordChange, Order::Any)
                .retire::<RecordChangedV1>(),
        },
    ]
}

pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let platform = Platform::new(config.common.clone())?;
    let listener = shared::service::bind(&config.common).await?;
    let parts = parts(&platform, &config);
    shared::service::serve(platform, vec![parts], listener, shutdown).await
}
