//! The `partnernet` operator CLI, as a library so tests drive the same code:
//! migrations, orgs and keys, serving one or all services, the generated contracts.

pub mod asyncapi;

mod asyncapi_records;
pub mod config_cli;

pub mod openapi;

mod openapi_errors;

mod openapi_schemas;

pub mod database_url;

pub mod broker_users;

pub mod records;

use diesel_migrations::EmbeddedMigrations;
use shared::amqp::{ConsumerQueues, Topology, declare_all};
use shared::config::ConfigError;
use shared::service::{Platform, ServiceParts};
use tokio_util::sync::CancellationToken;

/// Every migration set, in the order they must run: the runtime's, then each service's.
pub fn all_migrations() -> Vec<EmbeddedMigrations> {
    vec![
        shared::db::MIGRATIONS,
        invitation::MIGRATIONS,
        notification::MIGRATIONS,
        sharing::MIGRATIONS,
        sync::MIGRATIONS,
    ]
}

/// The configuration of all four services, read from one environment.
#[derive(Debug, Clone)]
pub struct AllConfig {
    pub invitation: invitation::Config,
    pub notification: notification::Config,
    pub sharing: sharing::Config,
    pub sync: sync::Config,
}

impl AllConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            invitation: invitation::Config::from_env()?,
            notification: notification::Config::from_env()?,
            sharing: sharing::Config::from_env()?,
            sync: sync::Config::from_env()?,
        })
    }

    pub fn from_source(src: &impl shared::config::Source) -> Result<Self, ConfigError> {
        let common = shared::config::CommonConfig::from_source(src)?;
        Ok(Self {
            invitation: invitation::Config::from_source(src)?,
            notification: notification::Config::from_source(src)?,
            sharing: sharing::Config {
                common: common.clone(),
            },
            sync: sync::Config { common },
        })
    }
}

/// The parts of all four services, to serve in one process.
pub fn all_parts(platform: &Platform, config: &AllConfig) -> anyhow::Result<Vec<ServiceParts>> {
    Ok(vec![
        invitation::parts(platform, &config.invitation),
        notification::parts(platform, &config.notification)?,
        sharing::parts(platform, &config.sharing),
        sync::parts(platform, &config.sync),
    ])
}

/// Every consumer of every service (for documentation: builds no connection).
pub fn all_consumers(config: &AllConfig) -> anyhow::Result<Vec<shared::consumer::ConsumerSpec>> {
    let mut consumers = invitation::consumers();
    consumers.extend(notification::consumers(&config.notification));
    consumers.extend(sharing::consumers());
    consumers.extend(sync::consumers());
    Ok(consumers)
}

/// The queues of every consumer of every service, to declare them all at once.
pub fn all_consumer_queues(config: &AllConfig) -> anyhow::Result<Vec<ConsumerQueues>> {
    Ok(all_consumers(config)?
        .iter()
        // Ingest consumers are bound to the ingest exchange: see `declare_topology`.
        .filter(|spec| spec.handlers.source() == shared::consumer::Source::Events)
        .map(|spec| ConsumerQueues {
            service: spec.service.to_string(),
            consumer: spec.name.to_string(),
            routing_keys: spec.handlers.routing_keys(),
            unbound_keys: spec.handlers.unbound_keys(),
        })
        .collect())
}

/// Declares the whole topology (exchanges, every consumer's queues and bindings): run by
/// `partnernet migrate`, and again at `partnernet serve`, so no event published by one service
/// is unrouted because another service has not started yet.
pub async fn declare_topology(config: &AllConfig) -> anyhow::Result<()> {
    let common = &config.invitation.common;
    let topology = Topology::new(&common.queue_prefix, common.retry.clone());
    declare_all(
        common.amqp_url.expose(),
        &topology,
        &all_consumer_queues(config)?,
    )
    .await?;
    declare_ingest_consumers(common.amqp_url.expose(), &topology, config).await
}

/// The work queues of the ingest exchange's consumers, so that records an org publishes
/// before sync first runs wait for it.
async fn declare_ingest_consumers(
    amqp_url: &str,
    topology: &Topology,
    config: &AllConfig,
) -> anyhow::Result<()> {
    let connection = shared::amqp::connect(amqp_url, "partnernet topology").await?;
    let result = async {
        let channel = shared::amqp::timed("opening a channel", connection.create_channel()).await?;
        for spec in all_consumers(config)?
            .iter()
            .filter(|spec| spec.handlers.source() == shared::consumer::Source::Ingest)
        {
            shared::consumer::declare(&channel, topology, spec).await?;
        }
        shared::amqp::close_channel(channel).await
    }
    .await;
    let _ = shared::amqp::timed("closing", connection.close(200, "declared".into())).await;
    result
}

/// Runs all four services in one process, on one port, until `shutdown`.
pub async fn serve_all(
    config: AllConfig,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let platform = Platform::new(config.invitation.common.clone())?;
    let parts = all_parts(&platform, &config)?;
    shared::service::serve(platform, parts, listener, shutdown).await
}
