//! Typed, versioned messages and the envelope that carries them.
//!
//! Every message on PartnerNet's exchanges is an [`Envelope`] around a payload type that
//! implements [`Message`]. The payload type names its kind and version; the routing key is
//! derived from them (`connection.invitation_sent.v1`). A change that is not backward compatible
//! gets a new type with a new version, published beside the old one until no one reads it.

pub mod catalog;
mod envelope;
pub mod events;
pub mod rules;
mod traceparent;

pub use envelope::{DecodeError, Envelope, EnvelopeHead};
pub use traceparent::new_traceparent;

use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};

/// A payload type that can travel in an [`Envelope`].
pub trait Message: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// What happened, as `area.event` (`connection.invitation_sent`).
    const KIND: &'static str;
    /// The payload's schema version.
    const VERSION: u32;
    /// One sentence for the AsyncAPI document.
    const DESCRIPTION: &'static str;

    /// Checks the payload with the rules HTTP input follows (`crate::validate`) before any
    /// handler sees it. An invalid message is dead-lettered with the returned reason.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// What orders this message: messages with the same key (a record, a connection) are
    /// handled one after another, in queue order, by consumers that register the type as
    /// ordered (and routed to the same partition of a partitioned consumer). `None`: any order.
    fn order_key(&self) -> Option<String> {
        None
    }

    /// Whether the routing key ends with the envelope's org id (`record.changed.v1.{org_id}`)
    /// instead of an order bucket, so that a per-org queue (an org's change feed) can bind to
    /// one org's messages.
    const ROUTED_BY_ORG: bool = false;

    /// The routing key on the events exchange: `KIND.vVERSION`.
    fn routing_key() -> String {
        routing_key(Self::KIND, Self::VERSION)
    }
}

pub fn routing_key(kind: &str, version: u32) -> String {
    format!("{kind}.v{version}")
}
