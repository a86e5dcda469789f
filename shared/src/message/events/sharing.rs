//! Events published by the sharing service. Defined ahead of the service so their consumers
//! (connection history, emails) can be built and tested by publishing them.

use super::Recipient;
use crate::ids::ConnectionId;
use crate::message::Message;
use crate::message::rules::{self, NAME_MAX};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The fields published for one object changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublishedObjectChange {
    /// The object's API name (`Account`, `Invoice__c`).
    pub object: String,
    pub fields_added: Vec<String>,
    pub fields_removed: Vec<String>,
}

/// An org changed what it publishes to a connection. Addressed to the publishing org; the
/// partner's owner gets an "Update Connection" email and both histories record it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublicationsChangedV1 {
    pub connection_id: ConnectionId,
    pub publisher_org_name: String,
    /// Who is told on the partner's side.
    pub partner: Recipient,
    pub objects_published: Vec<String>,
    pub objects_unpublished: Vec<String>,
    pub changes: Vec<PublishedObjectChange>,
}

impl Message for PublicationsChangedV1 {
    const KIND: &'static str = "sharing.publications_changed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "An organization changed the objects or fields it publishes to a connection.";

    fn validate(&self) -> Result<(), String> {
        rules::text("publisher_org_name", &self.publisher_org_name, NAME_MAX)?;
        rules::recipient("partner", &self.partner)
    }
}

/// A record sent over a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ForwardedRecord {
    pub object: String,
    pub record_id: String,
    /// The record's display name.
    pub name: String,
}

/// Records were forwarded to a connection. Addressed to the forwarding org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordsForwardedV1 {
    pub connection_id: ConnectionId,
    pub sender_org_name: String,
    /// Who is told on the receiving side.
    pub recipient: Recipient,
    /// Whether the forward asked for an email.
    pub send_email: bool,
    /// Only the records this connection had never received before: an email names only these.
    pub new_records: Vec<ForwardedRecord>,
}

impl Message for RecordsForwardedV1 {
    const KIND: &'static str = "sharing.records_forwarded";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "Records were forwarded to a partner over a connection.";

    fn validate(&self) -> Result<(), String> {
        rules::text("sender_org_name", &self.sender_org_name, NAME_MAX)?;
        rules::recipient("recipient", &self.recipient)
    }
}

/// How a record failed to be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum AcceptMode {
    ByHand,
    Automatically,
}

/// Accepting a forwarded record failed (a validation rule or trigger refused it). Addressed to
/// the accepting org; its connection history records the error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordAcceptFailedV1 {
    pub connection_id: ConnectionId,
    pub mode: AcceptMode,
    pub object: String,
    pub record_id: String,
    pub error: String,
    pub failed_at: DateTime<Utc>,
}

impl Message for RecordAcceptFailedV1 {
    const KIND: &'static str = "sharing.record_accept_failed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "Accepting a forwarded record failed, by hand or automatically.";
}

/// An org's definition of an object changed: a custom object or field was added, changed or
/// removed. Carries the org's whole definition of the object (standard fields included), so a
/// read model replaces what it had. Addressed to the org that owns the object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObjectSchemaChangedV1 {
    pub object: crate::crm::ObjectDef,
    /// The custom object was deleted (its records go with it).
    #[serde(default)]
    pub deleted: bool,
    /// Increases with every change of the org's schemas: a read model ignores an older one.
    pub schema_version: i64,
}

impl Message for ObjectSchemaChangedV1 {
    const KIND: &'static str = "sharing.object_schema_changed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "An organization added, changed or deleted a custom object or custom field.";

    fn order_key(&self) -> Option<String> {
        Some(self.object.api_name.clone())
    }
}

/// A connection template of an org was created, changed or deleted. Addressed to its org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectionTemplateChangedV1 {
    pub template_id: uuid::Uuid,
    pub name: String,
    pub active: bool,
    #[serde(default)]
    pub deleted: bool,
}

impl Message for ConnectionTemplateChangedV1 {
    const KIND: &'static str = "sharing.connection_template_changed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "An organization created, changed or deleted a connection template.";

    fn validate(&self) -> Result<(), String> {
        rules::text("name", &self.name, NAME_MAX)
    }

    fn order_key(&self) -> Option<String> {
        Some(self.template_id.to_string())
    }
}

/// One field of a subscription's mapping: the publisher's field arrives in the subscriber's
/// `target_field`, its picklist values translated by `picklist_values` (an unmapped value
/// arrives as is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MappedField {
    pub field: String,
    pub target_field: String,
    #[serde(default)]
    pub picklist_values: std::collections::BTreeMap<String, String>,
}

/// An org's subscription to one object its partner publishes on a connection changed:
/// subscribed, mapped again, Auto-Accept switched, or ended (`active: false`, by the subscriber
/// or because the partner stopped publishing the object). Carries the whole current mapping
/// (only fields that flow: mapped, and still published), so a read model replaces what it had.
/// Addressed to the subscribing org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubscriptionChangedV1 {
    pub connection_id: ConnectionId,
    /// The org that publishes `object` (the subscriber's partner).
    pub publisher_org_id: crate::ids::OrgId,
    /// The publisher's object (API name).
    pub object: String,
    /// False once the subscription has ended.
    pub active: bool,
    /// The subscriber's object the records arrive in (absent when ended).
    #[serde(default)]
    pub target_object: Option<String>,
    #[serde(default)]
    pub auto_accept: bool,
    #[serde(default)]
    pub fields: Vec<MappedField>,
    /// The subscriber takes deletes too: a deleted record's tombstone deletes its copy.
    #[serde(default)]
    pub sync_deletes: bool,
    /// Increases with every change of this subscription: a read model ignores an older one.
    pub version: i64,
}

impl Message for SubscriptionChangedV1 {
    const KIND: &'static str = "sharing.subscription_changed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "An organization subscribed to, remapped or stopped receiving an object its partner publishes on a connection.";

    fn order_key(&self) -> Option<String> {
        Some(format!("{}:{}", self.connection_id.0, self.object))
    }
}
