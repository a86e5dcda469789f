//! RabbitMQ: the topology (declared in one place), connections whose every call is bounded by
//! a timeout, and publishing with confirms.

mod connection;
pub mod dead_letters;
mod declare;
mod headers;
pub mod partitions;
mod publisher;
mod records;
mod topology;
pub mod unrouted;

pub use connection::{BROKER_CALL_TIMEOUT, close_channel, connect, timed};
pub use declare::{ConsumerQueues, declare_all};
pub use headers::{Headers, header_i64, header_str};
pub use publisher::{
    ConfirmedChannel, PendingConfirms, PublishError, PublishSession, Publisher, envelope_properties,
};
pub use topology::{QueueDoc, Topology};
