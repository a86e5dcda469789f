//! Every event PartnerNet publishes, one module per publishing service.
//!
//! The envelope's `org_id` is the org the event is about: the org that acted, or the org whose
//! object changed. Recipients of emails are resolved by the publisher, which owns the data, and
//! travel in the event as [`Recipient`]s.

pub mod connection;
pub mod field_sync;
pub mod identity;
pub mod link_ends;
pub mod links;
pub mod notification;
pub mod record;
pub mod sharing;
pub mod sync;

use serde::{Deserialize, Serialize};

/// A person an email goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Recipient {
    pub name: String,
    pub email: String,
}
