//! The notification service: templated emails to partners and connection owners.
//!
//! It consumes events (an invitation sent, ...), renders the email kind's template into a row of
//! its email outbox in the same transaction as the inbox row, and a delivery worker sends due
//! rows over SMTP, retrying temporary failures on the shared schedule. Every email sent or failed
//! for good becomes an event, which the invitation service writes into the connection history.

pub mod config;
pub mod delivery;
pub mod intake;
pub mod mailer;
pub mod schema;
pub mod templates;

pub use config::Config;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use shared::consumer::{ConsumerSpec, Handlers};
use shared::service::{Platform, ServiceParts, Worker};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub const NAME: &str = "notification";

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The service's consumers: `emails` turns events into queued emails.
pub fn consumers(config: &Config) -> anyhow::Result<Vec<ConsumerSpec>> {
    let templates = Arc::new(templates::Templates::defaults()?);
    Ok(vec![ConsumerSpec {
        service: NAME,
        name: "emails",
        handlers: Handlers::new().on(intake::InvitationEmail {
            templates,
            sender: config.default_from.clone(),
        }),
    }])
}

pub fn parts(platform: &Platform, config: &Config) -> anyhow::Result<ServiceParts> {
    let mailer = mailer::Mailer::new(config)?;
    let mut workers: Vec<Worker> = Vec::new();
    for worker_index in 0..config.delivery_workers {
        let delivery = delivery::Delivery {
            pool: platform.pool.clone(),
            mailer: mailer.clone(),
            retry: platform.config.retry.clone(),
            poll: config.poll,
        };
        workers.push(Box::new(move |shutdown| {
            Box::pin(async move { delivery.run(worker_index, shutdown).await })
        }));
    }
    Ok(ServiceParts {
        name: NAME,
        router: axum::Router::new(),
        consumers: consumers(config)?,
        workers,
        publishes: true,
    })
}

pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let platform = Platform::new(config.common.clone())?;
    let listener = shared::service::bind(&config.common).await?;
    let parts = parts(&platform, &config)?;
    shared::service::serve(platform, vec![parts], listener, shutdown).await
}
