//! Test support (feature `test-support`): real servers, isolated per test.
//!
//! - [`TestDatabase`]: a fresh PostgreSQL database per test, cloned from a migrated template;
//! - [`SmtpSink`]: a real SMTP server in process, on its own port, with scripted answers;
//! - [`unique_prefix`]: queue and exchange names no other test uses;
//! - [`eventually`]: wait for a condition with a deadline, never a bare sleep.

mod database;
mod proxy;
mod smtp;
mod wait;

pub use database::TestDatabase;
pub use proxy::TcpProxy;
pub use smtp::{ReceivedEmail, SmtpReply, SmtpSink};
pub use wait::eventually;

/// A prefix for exchange and queue names that no other test (or deployment) uses.
pub fn unique_prefix() -> String {
    format!("test{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// The servers tests run against: `TEST_DATABASE_URL`/`DATABASE_URL` (admin database) and
/// `AMQP_URL`, with this machine's defaults.
pub fn admin_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

pub fn amqp_url() -> String {
    std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string())
}
