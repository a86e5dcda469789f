//! The notification service: templated emails to partners and connection owners.
//!
//! It consumes events (an invitation sent, a connection deactivated, records forwarded, ...),
//! renders the email kind's template (the org's own, or the default) into a row of its email
//! outbox in the same transaction as the inbox row, and delivery workers send due rows over SMTP,
//! retrying temporary failures on the shared schedule. Sync failures are gathered into one digest
//! per connection and period. Every email sent, or failed for good, becomes an event, which the
//! invitation service writes into the connection history.

pub mod config;
pub mod delivery;
pub mod delivery_record;
pub mod digest;
pub mod intake;
pub mod kinds;
pub mod lease;
pub mod mailer;
pub mod masking;
pub mod pages;
pub mod requests;
pub mod routes;
pub mod schema;
pub mod sender;
pub mod smtp_pool;
pub mod template_position;
pub mod templates;

pub use config::Config;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use intake::{EmailOnEvent, Intake, Links};
use shared::consumer::{ConsumerSpec, Handlers};
use shared::message::events::{connection, identity, sharing, sync as sync_events};
use shared::service::{Platform, ServiceParts, Worker};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub const NAME: &str = "notification";

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

fn intake(config: &Config) -> Arc<Intake> {
    Arc::new(Intake {
        templates: Arc::new(templates::Templates::defaults()),
        default_from: config.default_from.clone(),
        links: Links {
            base_url: config.common.public_base_url.clone(),
        },
    })
}

/// The service's consumers: `emails` turns events into queued emails (or digest items).
pub fn consumers(config: &Config) -> Vec<ConsumerSpec> {
    let intake = intake(config);
    let email = || EmailOnEvent(intake.clone());
    vec![ConsumerSpec {
        service: NAME,
        name: "emails",
        handlers: Handlers::new()
            .on::<connection::InvitationSentV1, _>(email())
            .on::<connection::InvitationResentV1, _>(email())
            .on::<connection::InvitationCancelledV1, _>(email())
            .on::<connection::InvitationAcceptedV1, _>(email())
            .on::<connection::InvitationDeclinedV1, _>(email())
            .on::<connection::ConnectionDeactivatedV1, _>(email())
            .on::<sharing::PublicationsChangedV1, _>(email())
            .on::<sharing::RecordsForwardedV1, _>(email())
            .on::<identity::SignInLinkRequestedV1, _>(email())
            .on::<sync_events::SyncUpdateFailedV1, _>(digest::CollectSyncFailure),
    }]
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
            lease: config.lease,
            link_key: platform.config.invitation_link_key.clone(),
        };
        workers.push(Box::new(move |shutdown| {
            Box::pin(async move { delivery.run(worker_index, shutdown).await })
        }));
    }
    let digest = digest::DigestWorker {
        pool: platform.pool.clone(),
        intake: intake(config),
        period: config.digest_period,
        poll: config.digest_poll,
    };
    workers.push(Box::new(move |shutdown| Box::pin(digest.run(shutdown))));
    Ok(ServiceParts {
        name: NAME,
        router: routes::router(routes::AppState::new(platform, config)),
        consumers: consumers(config),
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
