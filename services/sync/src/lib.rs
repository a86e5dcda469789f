//! The sync service: owns records. Its record store keeps every org's records with a version
//! and per-field stamps; records come in three ways (the AMQP ingest exchange, HTTP, bulk
//! NDJSON), all through one write path; every change goes to the org's change feed.
//!
//! It owns the `sync` schema: records, the read model of org schemas (from sharing's
//! `ObjectSchemaChangedV1`), the read model of subscriptions (from `SubscriptionChangedV1`),
//! and the org broker users.

pub mod apply_batch;
pub mod apply_delete;
pub mod apply_touch;
pub mod apply_update;
pub mod broker_users;
pub mod copies;
pub mod failed;
pub mod failure_report;
pub mod feed;
pub mod ingest;
pub mod ledger;
pub mod ledger_batch;
pub mod lookups;
pub mod mappings;
pub mod pages;
pub mod propagate;
pub mod propagate_batch;
pub mod record_events;
pub mod replay;
pub mod routes;
pub mod schema;
pub mod schemas;
pub mod store;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shared::config::{CommonConfig, ConfigError};
use shared::consumer::{ConsumerSpec, Handlers, Order};
use shared::hlc::Clock;
use shared::message::events::field_sync::{FieldsUpdatedV1, RecordDeletedV1, RecordTouchedV1};
use shared::message::events::links::CopyRequestedV1;
use shared::message::events::record::{RecordDeleteV1, RecordUpsertV1};
use shared::message::events::sharing::{ObjectSchemaChangedV1, SubscriptionChangedV1};
use shared::message::events::sync::RecordChangedV1;
use shared::service::{Platform, ServiceParts};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub const NAME: &str = "sync";

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The sync service's configuration: [`CommonConfig`] only, for now.
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

pub fn parts(platform: &Platform, config: &Config) -> ServiceParts {
    let clock = Arc::new(Clock::new());
    ServiceParts {
        name: NAME,
        router: routes::router(routes::AppState {
            pool: platform.pool.clone(),
            clock: clock.clone(),
            amqp_url: config.common.amqp_url.expose().to_string(),
            topology: platform.topology.clone(),
        }),
        consumers: consumers_with(clock, Some(platform.pool.clone())),
        workers: vec![feed::at_start(
            platform.pool.clone(),
            config.common.amqp_url.expose().to_string(),
            platform.topology.clone(),
        )],
        publishes: true,
    }
}

/// The service's consumers: `schemas` keeps the read model of org schemas, `mappings` that of
/// subscriptions; `ingest` takes the records orgs' own systems publish to the ingest exchange;
/// `copies` creates the copies of records accepted from partners; `propagate` sends changes of
/// linked records to partners and `field_updates` applies theirs (field sync).
pub fn consumers() -> Vec<ConsumerSpec> {
    consumers_with(Arc::new(Clock::new()), None)
}

fn consumers_with(clock: Arc<Clock>, pool: Option<shared::db::DbPool>) -> Vec<ConsumerSpec> {
    let copies = copies::CreateCopies {
        clock: clock.clone(),
    };
    let apply = apply_update::ApplyUpdates {
        clock: clock.clone(),
        pool: pool.clone(),
    };
    let deletes = apply_delete::ApplyDeletes {
        clock: clock.clone(),
        pool: pool.clone(),
    };
    let touches = apply_touch::ApplyTouches {
        clock: clock.clone(),
        pool,
    };
    let ingest = ingest::Ingest {
        clock,
        directory: Arc::default(),
    };
    vec![
        ConsumerSpec {
            service: NAME,
            name: "schemas",
            handlers: Handlers::new().on_ordered::<ObjectSchemaChangedV1, _>(schemas::KeepSchema),
        },
        ConsumerSpec {
            service: NAME,
            name: "mappings",
            handlers: Handlers::new().on_ordered::<SubscriptionChangedV1, _>(mappings::KeepMapping),
        },
        ConsumerSpec {
            service: NAME,
            name: "ingest",
            // One queue with a single active consumer: per-record order holds across
            // replicas (one takes the queue, others stand by); lanes by record key inside it.
            handlers: Handlers::new()
                .on_ingest_batch::<RecordUpsertV1, _>(ingest.clone())
                .on_ingest_batch::<RecordDeleteV1, _>(ingest),
        },
        ConsumerSpec {
            service: NAME,
            name: "copies",
            // In order per copy (object and record id): a retried request keeps its place.
            handlers: Handlers::new().on_ordered::<CopyRequestedV1, _>(copies),
        },
        ConsumerSpec {
            service: NAME,
            name: "propagate",
            // Field sync, sending, used to run here on every `record.changed`; the store now
            // propagates a change in the transaction that writes it. Unbound: the queue gets no
            // new messages, and changes queued before an upgrade are still propagated.
            handlers: Handlers::new()
                .on_batch::<RecordChangedV1, _>(propagate::Propagate, Order::ByKey)
                .unbound(),
        },
        ConsumerSpec {
            service: NAME,
            name: "field_updates",
            // Field sync, receiving: in order per copy (updates, tombstones and touches of one
            // copy share the order); the stamps make any order safe anyway.
            handlers: Handlers::new()
                .on_refusing_batch::<FieldsUpdatedV1, _>(apply, Order::ByKey)
                .on_ordered::<RecordDeletedV1, _>(deletes)
                .on_ordered::<RecordTouchedV1, _>(touches),
        },
    ]
}

pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let platform = Platform::new(config.common.clone())?;
    let listener = shared::service::bind(&config.common).await?;
    let parts = parts(&platform, &config);
    shared::service::serve(platform, vec![parts], listener, shutdown).await
}
