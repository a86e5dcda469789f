//! The invitation service: connections between organizations and their lifecycle, invitation
//! tokens, and each connection's history.
//!
//! It owns the `invitation` schema. It publishes `connection.*` events through the outbox and
//! consumes `notification.*`, `sharing.*` and `sync.*` events into the connection history.

pub mod config;
pub mod connection;
pub mod history;
pub mod history_events;
pub mod lifecycle;
pub mod org_users;
pub mod queue_owned_records;
pub mod routes;
pub mod schema;
pub mod sign_in;
pub mod sign_in_limit;
pub mod templates;
pub mod token;

pub use config::Config;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use history_events::RecordInHistory;
use shared::consumer::{ConsumerSpec, Handlers};
use shared::message::events::notification::{EmailFailedV1, EmailSentV1};
use shared::message::events::sharing::{
    ConnectionTemplateChangedV1, PublicationsChangedV1, RecordAcceptFailedV1,
};
use shared::message::events::sync::SyncUpdateFailedV1;
use shared::service::{Platform, ServiceParts};
use tokio_util::sync::CancellationToken;

/// The service's name: its outbox rows, queues and logs carry it.
pub const NAME: &str = "invitation";

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The service's routes, consumers and workers, for [`shared::service::serve`].
pub fn parts(platform: &Platform, config: &Config) -> ServiceParts {
    ServiceParts {
        name: NAME,
        router: routes::router(routes::AppState::new(platform, config)),
        consumers: consumers(),
        workers: Vec::new(),
        publishes: true,
    }
}

/// The service's consumers: `history` writes other services' events into connection histories
/// (emails sent or failed, published fields changed, record accept and update failures);
/// `templates` keeps the read model of the sharing service's connection templates.
pub fn consumers() -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            service: NAME,
            name: "templates",
            handlers: Handlers::new()
                .on_ordered::<ConnectionTemplateChangedV1, _>(templates::TrackTemplate),
        },
        ConsumerSpec {
            service: NAME,
            name: "history",
            handlers: Handlers::new()
                .on::<EmailSentV1, _>(RecordInHistory)
                .on::<EmailFailedV1, _>(RecordInHistory)
                .on::<PublicationsChangedV1, _>(RecordInHistory)
                .on::<RecordAcceptFailedV1, _>(RecordInHistory)
                .on::<SyncUpdateFailedV1, _>(RecordInHistory),
        },
    ]
}

/// Runs the service alone until `shutdown`.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let platform = Platform::new(config.common.clone())?;
    let listener = shared::service::bind(&config.common).await?;
    let parts = parts(&platform, &config);
    shared::service::serve(platform, vec![parts], listener, shutdown).await
}
