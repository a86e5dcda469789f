//! The consumer runtime: written once, used by every service.
//!
//! A service describes a consumer with a [`ConsumerSpec`] (its name and a [`Handlers`] table);
//! [`run`] does the rest: declares the topology, consumes with an explicit prefetch, decodes,
//! runs the handler in a transaction with the inbox row, acknowledges after commit, and follows
//! the failure policy of [`crate::error`]. On any broker error it rebuilds the connection, the
//! channel, the qos and the consumer, with every call under a timeout.

mod delivery;
mod handlers;
mod runner;

pub use handlers::{Handler, Handlers};
pub use runner::{ConsumerContext, component_name, run};

/// One consumer of a service: a work queue bound to the events its handlers take.
pub struct ConsumerSpec {
    /// The owning service (`notification`): names the dead-letter queue.
    pub service: &'static str,
    /// The consumer's name within the service (`emails`): names the work queue.
    pub name: &'static str,
    pub handlers: Handlers,
}
