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

/// Who made a change to a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangedBy {
    /// The org itself: its own system over AMQP, its API over HTTP, a bulk import.
    Org { source: ChangeSource },
    /// A partner's update, written by the org's Connection User over a connection.
    ConnectionUser {
        connection_id: ConnectionId,
        /// The partner org whose update it was (the last hop). Absent in messages from before
        /// it was added, and on copies created by accepting a forwarded record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partner_org_id: Option<crate::ids::OrgId>,
    },
}

/// How the org's own change came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Amqp,
    Http,
    Bulk,
}

/// A record of the org changed. Published to the org's change feed (and the events exchange),
/// once per change, whatever its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordChangedV1 {
    pub object: String,
    pub record_id: String,
    /// The record's version after the change (1 when created, +1 per change).
    pub version: i64,
    /// The record was deleted; `fields` is empty.
    #[serde(default)]
    pub deleted: bool,
    /// The fields that changed, with their new values (`null`: cleared).
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The record was saved without changing a value (an explicit touch, or a partner's touch
    /// applied): a new version and last-modified, `fields` empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub touched: bool,
    // Read from a JSON object only: serde's tagged reader alone would take `["org", "amqp"]`.
    #[serde(deserialize_with = "crate::strict_json::tagged_object")]
    pub changed_by: ChangedBy,
    pub changed_at: DateTime<Utc>,
}

impl Message for RecordChangedV1 {
    const KIND: &'static str = "record.changed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A record of the org changed: what changed, the new version and who changed it. Published to the org's change feed.";
    // `record.changed.v1.{org_id}`: the org's change-feed queue binds to its own org only.
    const ROUTED_BY_ORG: bool = true;

    fn order_key(&self) -> Option<String> {
        Some(format!("{}/{}", self.object, self.record_id))
    }
}

/// A record change that may end or move the record's shared links (a delete, a lookup changed,
/// a Lead's status, a case comment's or an attachment's sharing flags: see
/// [`crate::crm::link_fields`]). The same change as the `record.changed.v1` published beside it,
/// under a key of its own, so that the sharing service takes these changes and no others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct RecordLinksMayEndV1(pub RecordChangedV1);

impl Message for RecordLinksMayEndV1 {
    const KIND: &'static str = "record.links_may_end";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A record change that may end or move the record's shared links (a delete, a lookup, a Lead's status, a comment's or attachment's sharing flags): the record.changed.v1 published beside it, for the sharing service.";

    fn order_key(&self) -> Option<String> {
        self.0.order_key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgId;
    use crate::message::{DecodeError, Envelope};

    fn change() -> Envelope<RecordLinksMayEndV1> {
        Envelope::new(
            OrgId::new(),
            RecordLinksMayEndV1(RecordChangedV1 {
                object: "Account".into(),
                record_id: "a1".into(),
                version: 2,
                deleted: true,
                fields: Default::default(),
                touched: false,
                changed_by: ChangedBy::Org {
                    source: ChangeSource::Amqp,
                },
                changed_at: Utc::now(),
            }),
        )
    }

    #[test]
    fn who_changed_a_record_is_read_from_an_object_only() {
        let good = change();
        let body = serde_json::to_vec(&good).expect("JSON");
        let decoded = Envelope::<RecordLinksMayEndV1>::decode(&body).expect("as written");
        assert_eq!(decoded.payload, good.payload);

        let mut tag_first = serde_json::to_value(&good).expect("JSON");
        tag_first["payload"]["changed_by"] = serde_json::json!(["org", "amqp"]);
        let body = serde_json::to_vec(&tag_first).expect("JSON");
        match Envelope::<RecordLinksMayEndV1>::decode(&body) {
            Err(DecodeError::BadPayload { reason, .. }) => {
                assert!(reason.contains("expected a map"), "{reason}")
            }
            other => panic!("expected a bad payload, got {other:?}"),
        }
    }
}
