//! Helpers for the end-to-end tests: the whole system in this process, on real PostgreSQL,
//! RabbitMQ and SMTP, isolated per test (own database, own queue prefix, own SMTP port).

pub mod amqp;
pub mod app;
pub mod bench_env;
pub mod browser;
pub mod email;
pub mod events;
pub mod gateway;
pub mod linked_orgs;
pub mod private_postgres;
pub mod private_rabbit;
pub mod probe;
pub mod records;
pub mod span_collector;
pub mod steps;

pub use app::{TestApp, TestOrg};
