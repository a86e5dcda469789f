//! The PartnerNet runtime: everything the four services share, written once.
//!
//! - [`config`]: typed configuration from environment variables;
//! - [`telemetry`]: tracing set-up (text or JSON) and log-safe masking;
//! - [`error`]: the failure policy every handler follows;
//! - [`message`]: typed, versioned envelopes and the catalogue of every message;
//! - [`amqp`]: topology, connections and confirmed publishing;
//! - [`outbox`] and [`inbox`]: exactly-once effects over an at-least-once broker;
//!   [`inbox_retention`] keeps the inbox bounded;
//! - [`consumer`]: the supervised consume loop (decode, handle, ack, retry, dead-letter);
//! - [`db`]: the diesel-async pool and the migration runner;
//! - [`http`]: problem+json errors, API-key authentication, health, readiness and metrics;
//! - [`identity`]: orgs, users and API keys;
//! - [`strict_json`]: JSON read as the contracts write it (a struct is an object, not an array);
//! - [`service`]: how a service's parts are started, served and stopped.

pub mod amqp;
pub mod config;
pub mod consumer;
pub mod crm;
pub mod db;
pub mod error;
pub mod health;
pub mod hlc;
pub mod http;
pub mod identity;
pub mod ids;
pub mod inbox;
pub mod inbox_retention;
pub mod message;
pub mod metrics;
pub mod outbox;
pub mod retry;
pub mod roles;
pub mod sealed_link;
pub mod service;
pub mod shutdown;
pub mod strict_json;
pub mod telemetry;
pub mod validate;
pub mod web;

#[cfg(feature = "test-support")]
pub mod testing;
