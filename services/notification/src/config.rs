//! The notification service's configuration: [`shared::config::CommonConfig`] plus
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `SMTP_URL` | `smtp://127.0.0.1:1025` | the SMTP server (`smtp://`, `smtps://`, or `smtp://...?tls=required`; credentials in the URL) |
//! | `SMTP_TIMEOUT_SECS` | `15` | the longest one whole send may take |
//! | `SMTP_POOL_SIZE` | `4` | pooled SMTP connections |
//! | `EMAIL_FROM` | `PartnerNet <no-reply@partnernet.localhost>` | the deployment's sender |
//! | `EMAIL_DELIVERY_WORKERS` | `4` | emails sent at once |
//! | `EMAIL_LEASE_SECS` | `300` | how long a delivery worker holds the emails it claimed; an email still unrecorded after it is sent again (longer than 16 sends at `SMTP_TIMEOUT_SECS`: a worker sends the 16 emails it claims one after another) |
//! | `EMAIL_POLL_MS` | `200` | how often an idle delivery worker looks for due emails |
//! | `DIGEST_PERIOD_MS` | `900000` | sync failures of a connection are gathered this long into one email |
//! | `DIGEST_POLL_MS` | `5000` | how often the digest worker looks for due digests |

use shared::config::{CommonConfig, ConfigError, Env, Secret, Source};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub smtp_url: Secret<String>,
    pub smtp_timeout: Duration,
    pub smtp_pool_size: u32,
    pub default_from: String,
    pub delivery_workers: usize,
    pub poll: Duration,
    pub lease: Duration,
    pub digest_period: Duration,
    pub digest_poll: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let default_from =
            src.string_or("EMAIL_FROM", "PartnerNet <no-reply@partnernet.localhost>");
        if default_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError {
                name: "EMAIL_FROM".into(),
                reason: format!("{default_from:?} is not a mailbox (Name <address>)"),
            });
        }
        Ok(Self {
            common: CommonConfig::from_source(src)?,
            smtp_url: Secret::new(src.string_or("SMTP_URL", "smtp://127.0.0.1:1025")),
            smtp_timeout: Duration::from_secs(src.parse_or("SMTP_TIMEOUT_SECS", 15)?),
            smtp_pool_size: src.parse_or("SMTP_POOL_SIZE", 4)?,
            default_from,
            delivery_workers: src.parse_or("EMAIL_DELIVERY_WORKERS", 4)?,
            poll: Duration::from_millis(src.parse_or("EMAIL_POLL_MS", 200)?),
            lease: Duration::from_secs(src.parse_or("EMAIL_LEASE_SECS", 300)?),
            digest_period: Duration::from_millis(src.parse_or("DIGEST_PERIOD_MS", 900_000)?),
            digest_poll: Duration::from_millis(src.parse_or("DIGEST_POLL_MS", 5_000)?),
        })
    }
}
