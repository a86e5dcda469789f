//! The sync service: applies subscribed-field updates between partners' copies of records, in
//! order, with retries on the shared schedule and dead letters for what cannot be applied.
//!
//! Today it owns the `sync` schema and runs with the shared runtime (health, readiness,
//! metrics, graceful shutdown); its routes and consumers come with the sync issues.

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shared::config::{CommonConfig, ConfigError};
use shared::service::{Platform, ServiceParts};
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

pub fn parts(_platform: &Platform, _config: &Config) -> ServiceParts {
    ServiceParts {
        name: NAME,
        router: axum::Router::new(),
        consumers: Vec::new(),
        workers: Vec::new(),
        publishes: false,
    }
}

pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let platform = Platform::new(config.common.clone())?;
    let listener = shared::service::bind(&config.common).await?;
    let parts = parts(&platform, &config);
    shared::service::serve(platform, vec![parts], listener, shutdown).await
}
