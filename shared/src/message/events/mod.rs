//! Every event PartnerNet publishes, one module per publishing service.

pub mod connection;
pub mod notification;
