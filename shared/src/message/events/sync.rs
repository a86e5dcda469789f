//! Events published by the sync service. Defined ahead of the service so their consumers
//! (connection history, the failure digest email) can be built and tested by publishing them.

use super::Recipient;
use crate::ids::ConnectionId;
use crate::message::Message;
use crate::message::rules;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An update by the Connection User could not be applied to a record, after every attempt.
/// Addressed to the org whose copy was not updated; its connection owner gets it in a digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyncUpdateFailedV1 {
    pub connection_id: ConnectionId,
    /// The connection owner, who receives the digest.
    pub owner: Recipient,
    pub object: String,
    pub record_id: String,
    /// The record's display name.
    pub record_name: String,
    pub error: String,
    pub attempts: u32,
    pub failed_at: DateTime<Utc>,
}

impl Message for SyncUpdateFailedV1 {
    const KIND: &'static str = "sync.update_failed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "An update by the Connection User could not be applied to a record after every attempt.";

    fn validate(&self) -> Result<(), String> {
        rules::recipient("owner", &self.owner)
    }
}
