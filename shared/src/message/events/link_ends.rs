//! A record link ending: one org stopped sharing a record (or deleted or converted its copy)
//! and tells the partner, whose side of the link ends too. Addressed to the partner org, like
//! everything that crosses a connection.

use crate::ids::ConnectionId;
use crate::message::Message;
use crate::message::events::record::RECORD_KEY_MAX;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a link ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// A user stopped sharing the record: both links become `Inactive`.
    Stopped,
    /// The receiver deleted its copy: both links become `Inactive (deleted)`.
    Deleted,
    /// The receiver converted its copy (a lead): both links become `Inactive (converted)`.
    Converted,
}

/// The org's link of its record on a connection ended. Addressed to the partner org: its link
/// whose partner record is `object`/`record_id` ends the same way (a forward still waiting in
/// its inbox is withdrawn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LinkEndedV1 {
    pub connection_id: ConnectionId,
    /// The ending org's object and record.
    pub object: String,
    pub record_id: String,
    pub reason: EndReason,
    pub ended_at: DateTime<Utc>,
}

impl Message for LinkEndedV1 {
    const KIND: &'static str = "sharing.link_ended";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "The partner stopped sharing a record, or deleted or converted its copy: the organization's link to it becomes Inactive, Inactive (deleted) or Inactive (converted), with an end date; its copy stays.";

    fn validate(&self) -> Result<(), String> {
        for (field, value) in [("object", &self.object), ("record_id", &self.record_id)] {
            if value.trim().is_empty() || value.chars().count() > RECORD_KEY_MAX {
                return Err(format!(
                    "{field} must have 1 to {RECORD_KEY_MAX} characters"
                ));
            }
        }
        Ok(())
    }
}
