//! How a consumer runs: concurrency, batching, limits and timeouts.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CONSUMER_LANES` | `4` | most batches of one consumer handled at once (each on its own PostgreSQL connection); beyond the eager ones, a lane starts only while every running batch is overdue (`lanes.rs`) |
//! | `CONSUMER_EAGER_LANES` | `1` | lanes that start as soon as messages wait (at most `CONSUMER_LANES`); `CONSUMER_LANES` makes every lane eager, for handlers that make a round trip per message |
//! | `CONSUMER_BATCH` | `128` | most messages handled in one transaction |
//! | `CONSUMER_LINGER_MS` | `0` | how long a batch may wait for more messages before it starts |
//! | `HANDLER_TIMEOUT_MS` | `30000` | most time one batch's transaction may take; then it is a transient failure |
//! | `DB_LOCK_TIMEOUT_MS` | `5000` | PostgreSQL `lock_timeout` inside a handler's transaction |
//! | `DB_STATEMENT_TIMEOUT_MS` | `15000` | PostgreSQL `statement_timeout` inside a handler's transaction |
//! | `DELIVERY_LIMIT` | `10` | deliveries of one message (crash loops included) before it is dead-lettered |
//! | `MAX_MESSAGE_BYTES` | `262144` | larger message bodies are dead-lettered without being decoded |

use crate::config::{ConfigError, Source};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSettings {
    pub lanes: usize,
    pub eager_lanes: usize,
    pub batch_size: usize,
    pub linger: Duration,
    pub handler_timeout: Duration,
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub delivery_limit: u32,
    pub max_message_bytes: usize,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            lanes: 4,
            eager_lanes: 1,
            batch_size: 128,
            linger: Duration::ZERO,
            handler_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
            delivery_limit: 10,
            max_message_bytes: 256 * 1024,
        }
    }
}

impl ConsumerSettings {
    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let d = Self::default();
        let ms = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
            let millis = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
            Ok(Duration::from_millis(src.parse_or(name, millis)?))
        };
        let settings = Self {
            lanes: src.parse_or("CONSUMER_LANES", d.lanes)?,
            eager_lanes: src.parse_or("CONSUMER_EAGER_LANES", d.eager_lanes)?,
            batch_size: src.parse_or("CONSUMER_BATCH", d.batch_size)?,
            linger: ms("CONSUMER_LINGER_MS", d.linger)?,
            handler_timeout: ms("HANDLER_TIMEOUT_MS", d.handler_timeout)?,
            lock_timeout: ms("DB_LOCK_TIMEOUT_MS", d.lock_timeout)?,
            statement_timeout: ms("DB_STATEMENT_TIMEOUT_MS", d.statement_timeout)?,
            delivery_limit: src.parse_or("DELIVERY_LIMIT", d.delivery_limit)?,
            max_message_bytes: src.parse_or("MAX_MESSAGE_BYTES", d.max_message_bytes)?,
        };
        for (name, value) in [
            ("CONSUMER_LANES", settings.lanes),
            ("CONSUMER_EAGER_LANES", settings.eager_lanes),
            ("CONSUMER_BATCH", settings.batch_size),
            ("DELIVERY_LIMIT", settings.delivery_limit as usize),
        ] {
            if value == 0 {
                return Err(ConfigError {
                    name: name.into(),
                    reason: "must be at least 1".into(),
                });
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn settings_are_read_from_the_environment_and_zero_lanes_are_refused() {
        let env = HashMap::from([
            ("HANDLER_TIMEOUT_MS".to_string(), "200".to_string()),
            ("CONSUMER_LANES".to_string(), "2".to_string()),
        ]);
        let settings = ConsumerSettings::from_source(&env).expect("valid");
        assert_eq!(settings.handler_timeout, Duration::from_millis(200));
        assert_eq!(settings.lanes, 2);
        assert_eq!(settings.batch_size, ConsumerSettings::default().batch_size);
        let zero = HashMap::from([("CONSUMER_LANES".to_string(), "0".to_string())]);
        assert!(ConsumerSettings::from_source(&zero).is_err());
    }
}
