//! The messages of record links: a record forwarded over a connection, the receiver's answer,
//! and the copy the sync service creates when asked. What crosses a connection is addressed
//! to the partner org (the envelope's `org_id`), so that a partner on another deployment
//! could one day receive it; the rest is addressed to the org that acts.
//!
//! sharing (sender) --RecordForwardedV1--> sharing (receiver) --CopyRequestedV1--> sync
//! sync --CopyCreatedV1 / CopyRefusedV1--> sharing (receiver)
//! sharing (receiver) --RecordAcceptedV1 / RecordRejectedV1 / RecordHeldV1--> sharing (sender)

use super::sharing::AcceptMode;
use crate::ids::{ConnectionId, OrgId};
use crate::message::Message;
use crate::message::events::record::RECORD_KEY_MAX;
use crate::message::rules::{self, NAME_MAX};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A record was forwarded to the org over a connection. Addressed to the receiving org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordForwardedV1 {
    pub connection_id: ConnectionId,
    pub sender_org_id: OrgId,
    pub sender_org_name: String,
    /// The sender's link row: the receiver's answer names it.
    pub sender_link_id: Uuid,
    /// The sender's object and record id.
    pub object: String,
    pub record_id: String,
    /// The record's display name.
    pub name: String,
    /// The values of the fields the sender publishes to the connection (sender's API names).
    pub fields: Map<String, Value>,
    pub send_open_tasks: bool,
    pub send_closed_tasks: bool,
    pub send_emails: bool,
    /// A child record (a contact of an account, a task) travels with its parent: the receiver
    /// holds it until the parent's copy exists, then creates it under that copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    /// The sender org's currency (ISO 4217): an opportunity product is created only in an org
    /// that uses the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The sender's parent record of a child record, and the child's lookup field naming it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ParentRef {
    pub object: String,
    pub record_id: String,
    /// The child's lookup to the parent (sender's API name: `AccountId`, `WhatId`).
    pub lookup: String,
}

impl Message for RecordForwardedV1 {
    const KIND: &'static str = "sharing.record_forwarded";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A partner forwarded a record to the organization over a connection: it waits in the inbox, or is accepted automatically.";

    fn validate(&self) -> Result<(), String> {
        rules::text("sender_org_name", &self.sender_org_name, NAME_MAX)?;
        key("object", &self.object)?;
        key("record_id", &self.record_id)?;
        if let Some(parent) = &self.parent {
            key("parent.object", &parent.object)?;
            key("parent.record_id", &parent.record_id)?;
            key("parent.lookup", &parent.lookup)?;
        }
        Ok(())
    }
}

/// The org accepted a forwarded record: the sync service creates its copy (or relates the
/// offer to an existing record). Addressed to the accepting org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CopyRequestedV1 {
    pub connection_id: ConnectionId,
    /// The inbox entry being accepted: the answer names it.
    pub inbox_id: Uuid,
    /// The org's object the copy is of.
    pub object: String,
    /// The copy's record id, or the existing record's when `relate` is set.
    pub record_id: String,
    /// Relate to the existing record `record_id` instead of creating a copy.
    pub relate: bool,
    /// The mapped fields (the org's API names).
    pub fields: Map<String, Value>,
    /// The user the copy is assigned to (its owner).
    pub owner: Option<Uuid>,
    pub mode: AcceptMode,
}

impl Message for CopyRequestedV1 {
    const KIND: &'static str = "sharing.copy_requested";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "An organization accepted a forwarded record: sync creates its copy, written by the Connection User, or relates it to an existing record.";

    fn validate(&self) -> Result<(), String> {
        key("object", &self.object)?;
        key("record_id", &self.record_id)
    }

    fn order_key(&self) -> Option<String> {
        Some(format!("{}/{}", self.object, self.record_id))
    }
}

/// The receiver accepted the record: its copy exists. Addressed to the sending org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordAcceptedV1 {
    pub connection_id: ConnectionId,
    pub sender_link_id: Uuid,
    /// The receiver's object and record (the sender's `PartnerRecordId`).
    pub partner_object: String,
    pub partner_record_id: String,
    pub mode: AcceptMode,
    pub accepted_at: DateTime<Utc>,
}

impl Message for RecordAcceptedV1 {
    const KIND: &'static str = "sharing.record_accepted";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "The partner accepted a forwarded record: both links are active.";
}

/// The receiver rejected the record (or could no longer take it). Addressed to the sending org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordRejectedV1 {
    pub connection_id: ConnectionId,
    pub sender_link_id: Uuid,
    /// Why, when it was not the receiver's choice (e.g. no longer subscribed).
    pub reason: Option<String>,
    pub rejected_at: DateTime<Utc>,
}

impl Message for RecordRejectedV1 {
    const KIND: &'static str = "sharing.record_rejected";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "The partner rejected a forwarded record: the sender's link becomes Inactive.";
}

/// The receiver could not create its copy of a forwarded record (its validation rules refused
/// it, or an opportunity product's conditions do not hold): the offer waits in its inbox with
/// `error`, and the sender's link stays `Pending (sent)`, showing the reason. Addressed to the
/// sending org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordHeldV1 {
    pub connection_id: ConnectionId,
    pub sender_link_id: Uuid,
    /// The receiver's reason, as its inbox shows it.
    pub error: String,
    pub held_at: DateTime<Utc>,
}

impl Message for RecordHeldV1 {
    const KIND: &'static str = "sharing.record_held";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "The partner could not create its copy of a forwarded record: the sender's pending link shows why.";
}

/// The sync service created the copy (or found the record to relate to). Addressed to the
/// accepting org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CopyCreatedV1 {
    pub connection_id: ConnectionId,
    pub inbox_id: Uuid,
    pub object: String,
    pub record_id: String,
    /// An existing record was related, nothing was created.
    pub related: bool,
}

impl Message for CopyCreatedV1 {
    const KIND: &'static str = "sync.copy_created";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "The copy of an accepted record exists (created, or an existing record related).";
}

/// The sync service did not create the copy: it breaks the org's validation rules, or the
/// record to relate to does not exist. Addressed to the accepting org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CopyRefusedV1 {
    pub connection_id: ConnectionId,
    pub inbox_id: Uuid,
    pub object: String,
    pub error: String,
}

impl Message for CopyRefusedV1 {
    const KIND: &'static str = "sync.copy_refused";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "The copy of an accepted record was not created: the error says why.";
}

fn key(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() || value.chars().count() > RECORD_KEY_MAX {
        return Err(format!(
            "{field} must have 1 to {RECORD_KEY_MAX} characters"
        ));
    }
    Ok(())
}
