//! Field sync: a change of subscribed fields of a linked record, sent over an active link to
//! the partner org's copy. The sync service of the changing org sends it (addressed to the
//! partner org); the partner's sync service applies the fields that are newer than its copy's.

use crate::hlc::Hlc;
use crate::ids::{ConnectionId, OrgId};
use crate::message::Message;
use crate::message::events::record::RECORD_KEY_MAX;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One synced field's value with its version: the hybrid logical clock stamp and the org
/// whose write set it (the origin, not the last hop).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SyncedField {
    /// `null`: the field was cleared.
    pub value: Value,
    /// The stamp as text (`millis-counter`, sorts like the stamp).
    pub stamp: String,
    pub origin: OrgId,
}

impl SyncedField {
    pub fn hlc(&self) -> Option<Hlc> {
        self.stamp.parse().ok()
    }
}

/// Subscribed fields of a linked record changed in the partner org: apply them to the copy.
/// Addressed to the org whose copy is updated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldsUpdatedV1 {
    /// This update over this link: the sync ledger's key.
    pub update_id: Uuid,
    /// The connection the update travels over: never sent back over it.
    pub connection_id: ConnectionId,
    /// The sender's link row.
    pub link_id: Uuid,
    pub sender_org_id: OrgId,
    pub sender_object: String,
    pub sender_record_id: String,
    /// The copy's object and record id (the receiving org's).
    pub object: String,
    pub record_id: String,
    /// Target field API name (mapped, picklist values translated) to value and version.
    pub fields: BTreeMap<String, SyncedField>,
}

impl Message for FieldsUpdatedV1 {
    const KIND: &'static str = "sync.fields_updated";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "Subscribed fields of a linked record changed in the partner organization: the copy takes every field newer than its own.";

    fn validate(&self) -> Result<(), String> {
        key("object", &self.object)?;
        key("record_id", &self.record_id)?;
        if self.fields.is_empty() {
            return Err("fields must not be empty".into());
        }
        for (name, field) in &self.fields {
            key("fields", name)?;
            if field.hlc().is_none() {
                return Err(format!("fields.{name}.stamp is not a stamp"));
            }
        }
        Ok(())
    }

    fn order_key(&self) -> Option<String> {
        Some(format!("{}/{}", self.object, self.record_id))
    }
}

fn key(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() || value.chars().count() > RECORD_KEY_MAX {
        return Err(format!(
            "{field} must have 1 to {RECORD_KEY_MAX} characters"
        ));
    }
    Ok(())
}

/// A record-level event of a linked record (a delete, a touch) sent over one link, with the
/// event's own stamp and origin: the receiver orders it against its copy like a field update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LinkedRecordEvent {
    /// This event over this link: the sync ledger's key.
    pub update_id: Uuid,
    /// The connection it travels over: never sent back over it.
    pub connection_id: ConnectionId,
    /// The sender's link row.
    pub link_id: Uuid,
    pub sender_org_id: OrgId,
    pub sender_object: String,
    pub sender_record_id: String,
    /// The copy's object and record id (the receiving org's).
    pub object: String,
    pub record_id: String,
    /// When the event happened (hybrid logical clock, as text), kept as it travels on.
    pub stamp: String,
    /// The org where it happened (not the last hop).
    pub origin: OrgId,
}

impl LinkedRecordEvent {
    pub fn hlc(&self) -> Option<Hlc> {
        self.stamp.parse().ok()
    }

    fn validate(&self) -> Result<(), String> {
        key("object", &self.object)?;
        key("record_id", &self.record_id)?;
        key("sender_object", &self.sender_object)?;
        key("sender_record_id", &self.sender_record_id)?;
        if self.hlc().is_none() {
            return Err("stamp is not a stamp".into());
        }
        Ok(())
    }

    /// The copy's key: deletes, touches and field updates of one copy share an order.
    fn order_key(&self) -> Option<String> {
        Some(format!("{}/{}", self.object, self.record_id))
    }
}

/// A linked record was deleted in the partner org, and the receiving org subscribed with
/// `sync_deletes`: the tombstone deletes the copy if it is newer than every field stamp the
/// copy holds. Addressed to the org whose copy it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordDeletedV1 {
    #[serde(flatten)]
    pub event: LinkedRecordEvent,
}

impl Message for RecordDeletedV1 {
    const KIND: &'static str = "sync.record_deleted";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A linked record was deleted in the partner organization (which the receiver subscribed to with sync_deletes): the copy is deleted unless it holds a newer field value.";

    fn validate(&self) -> Result<(), String> {
        self.event.validate()
    }

    fn order_key(&self) -> Option<String> {
        self.event.order_key()
    }
}

/// A linked record was saved in the partner org without changing a value: the copy gets a new
/// version, last modified by the Connection User, its values untouched. Addressed to the org
/// whose copy it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordTouchedV1 {
    #[serde(flatten)]
    pub event: LinkedRecordEvent,
}

impl Message for RecordTouchedV1 {
    const KIND: &'static str = "sync.record_touched";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A linked record was saved in the partner organization without a change of value: the copy's last-modified moves on (by the Connection User).";

    fn validate(&self) -> Result<(), String> {
        self.event.validate()
    }

    fn order_key(&self) -> Option<String> {
        self.event.order_key()
    }
}
