//! Configuration shared by every service, read from environment variables.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/partnernet` | PostgreSQL (one database, a schema per service) |
//! | `AMQP_URL` | `amqp://guest:guest@127.0.0.1:5672/%2f` | RabbitMQ |
//! | `HTTP_ADDR` | `0.0.0.0:8080` | where the HTTP API listens |
//! | `PUBLIC_BASE_URL` | `http://localhost:8080` | the address users reach; links in emails are built from it, never from a request's Host header |
//! | `QUEUE_PREFIX` | `partnernet` | prefix of every exchange and queue name (a deployment or a test gets its own) |
//! | `AMQP_PREFETCH` | `512` | unacknowledged deliveries a consumer holds at once; keep it at least `CONSUMER_LANES` × `CONSUMER_BATCH`, else a lane taking a full batch leaves the others waiting for its acks |
//! | `DB_POOL_SIZE` | `16` | PostgreSQL connections per process |
//! | `OUTBOX_POLL_MS` | `100` | how often the outbox relay looks for new rows when idle |
//! | `RETRY_INITIAL_MS` | `1000` | first retry delay |
//! | `RETRY_MULTIPLIER` | `5` | each retry waits this many times longer than the one before |
//! | `RETRY_MAX_DELAY_MS` | `600000` | no retry waits longer than this |
//! | `RETRY_COUNT` | `5` | retries after the first attempt; then the message is dead-lettered |
//! | `CONSUMER_*`, `HANDLER_TIMEOUT_MS`, `DB_*_TIMEOUT_MS`, `DELIVERY_LIMIT`, `MAX_MESSAGE_BYTES` | | see `consumer::settings` |
//! | `INBOX_RETENTION_SECS` | `604800` | how long a handled message is remembered as handled (7 days); longer than any redelivery window |
//! | `INBOX_PARTITION_SECS` | `86400` | the time span of one inbox partition (dropped whole once past the retention) |
//! | `INVITATION_LINK_KEY` | a development key (logged as a warning) | the key invitation tokens are derived from at send time; the same in the invitation and notification services; never stored in the database |
//! | `HTTP_HEADER_TIMEOUT_MS` | `10000` | a request's headers must arrive within this, or the connection is closed |
//! | `HTTP_BODY_TIMEOUT_MS` | `10000` | the longest pause allowed between two pieces of a request body (then 408 and close) |
//! | `LOG_FORMAT` | `text` | `text` or `json` |
//! | `RUST_LOG` | `info` | tracing filter |

use crate::http::HttpTimeouts;
use crate::retry::RetrySchedule;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// A value that must never be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A variable was set to something that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub reason: String,
}

/// Where configuration comes from: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;

    /// The value of `name` parsed as `T`, or `default` when unset or empty.
    fn parse_or<T: FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.get(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|e: T::Err| ConfigError {
                name: name.to_string(),
                reason: format!("cannot parse {raw:?}: {e}"),
            }),
        }
    }

    fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_string())
    }
}

/// The process environment.
pub struct Env;

impl Source for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Source for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name).cloned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("expected text or json, got {other}")),
        }
    }
}

/// What every service needs to reach PostgreSQL, RabbitMQ and its users.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub database_url: Secret<String>,
    pub amqp_url: Secret<String>,
    pub http_addr: SocketAddr,
    pub public_base_url: String,
    pub queue_prefix: String,
    pub prefetch: u16,
    pub db_pool_size: usize,
    pub outbox_poll: Duration,
    pub retry: RetrySchedule,
    pub inbox_retention: crate::inbox_retention::InboxRetention,
    /// See [`crate::sealed_link`].
    pub invitation_link_key: Secret<String>,
    pub http_timeouts: HttpTimeouts,
    pub log_format: LogFormat,
    /// Lanes, batches, limits and timeouts of every consumer (`consumer::settings` lists them).
    pub consumer: crate::consumer::ConsumerSettings,
}

/// Used when `INVITATION_LINK_KEY` is not set: fine on a laptop, never in production.
pub const DEVELOPMENT_LINK_KEY: &str = "partnernet-development-link-key";

impl CommonConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let retry = RetrySchedule::exponential(
            Duration::from_millis(src.parse_or("RETRY_INITIAL_MS", 1000)?),
            src.parse_or("RETRY_MULTIPLIER", 5.0)?,
            Duration::from_millis(src.parse_or("RETRY_MAX_DELAY_MS", 600_000)?),
            src.parse_or("RETRY_COUNT", 5)?,
        );
        let public_base_url = src
            .string_or("PUBLIC_BASE_URL", "http://localhost:8080")
            .trim_end_matches('/')
            .to_string();
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(ConfigError {
                name: "PUBLIC_BASE_URL".into(),
                reason: "must start with http:// or https://".into(),
            });
        }
        Ok(Self {
            database_url: Secret::new(src.string_or(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/partnernet",
            )),
            amqp_url: Secret::new(
                src.string_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            ),
            http_addr: src.parse_or("HTTP_ADDR", SocketAddr::from(([0, 0, 0, 0], 8080)))?,
            public_base_url,
            queue_prefix: src.string_or("QUEUE_PREFIX", "partnernet"),
            prefetch: src.parse_or("AMQP_PREFETCH", 512)?,
            db_pool_size: src.parse_or("DB_POOL_SIZE", 16)?,
            outbox_poll: Duration::from_millis(src.parse_or("OUTBOX_POLL_MS", 100)?),
            retry,
            inbox_retention: crate::inbox_retention::InboxRetention {
                retention: Duration::from_secs(src.parse_or("INBOX_RETENTION_SECS", 604_800)?),
                partition_span: Duration::from_secs(
                    src.parse_or("INBOX_PARTITION_SECS", 86_400)?.max(1),
                ),
            },
            invitation_link_key: Secret::new(
                src.string_or("INVITATION_LINK_KEY", DEVELOPMENT_LINK_KEY),
            ),
            http_timeouts: HttpTimeouts {
                header_read: Duration::from_millis(src.parse_or("HTTP_HEADER_TIMEOUT_MS", 10_000)?),
                body_idle: Duration::from_millis(src.parse_or("HTTP_BODY_TIMEOUT_MS", 10_000)?),
            },
            log_format: src.parse_or("LOG_FORMAT", LogFormat::Text)?,
            consumer: crate::consumer::ConsumerSettings::from_source(src)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cfg = CommonConfig::from_source(&HashMap::new()).expect("defaults are valid");
        assert_eq!(cfg.queue_prefix, "partnernet");
        assert_eq!(cfg.prefetch, 512);
        assert_eq!(cfg.retry.max_attempts(), 6);
        assert_eq!(cfg.http_timeouts.header_read, Duration::from_secs(10));
        assert_eq!(cfg.http_timeouts.body_idle, Duration::from_secs(10));
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let env = HashMap::from([("AMQP_PREFETCH".to_string(), "many".to_string())]);
        let err = CommonConfig::from_source(&env).expect_err("must be refused");
        assert_eq!(err.name, "AMQP_PREFETCH");
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("postgres://user:pw@host/db".to_string());
        assert_eq!(format!("{s:?}"), "[redacted]");
    }
}
