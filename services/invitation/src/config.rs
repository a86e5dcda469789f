//! The invitation service's configuration: [`shared::config::CommonConfig`] plus
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `INVITATION_TOKEN_TTL_DAYS` | `30` | how long an invitation link works |

use shared::config::{CommonConfig, ConfigError, Env, Source};

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub token_ttl: chrono::Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn from_source(src: &impl Source) -> Result<Self, ConfigError> {
        let days: i64 = src.parse_or("INVITATION_TOKEN_TTL_DAYS", 30)?;
        if !(1..=365).contains(&days) {
            return Err(ConfigError {
                name: "INVITATION_TOKEN_TTL_DAYS".into(),
                reason: "must be between 1 and 365".into(),
            });
        }
        Ok(Self {
            common: CommonConfig::from_source(src)?,
            token_ttl: chrono::Duration::days(days),
        })
    }
}
