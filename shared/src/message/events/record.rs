//! Messages an org's own systems publish to the ingest exchange: its CRM changes, to be stored
//! in PartnerNet's record store. The org is the broker user that published them (the AMQP
//! `user_id` property, which the broker checks), never a field of the body; the envelope's
//! `org_id` must name the same org.

use crate::message::Message;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Largest record id, object or field API name accepted.
pub const RECORD_KEY_MAX: usize = 255;

/// Create a record, or update the fields given of an existing one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordUpsertV1 {
    /// The object's API name (`Account`, `Invoice__c`).
    pub object: String,
    /// The record's id in the org's own system (unique per object).
    pub record_id: String,
    /// Field API name to value; `null` clears a field. Fields not named keep their value.
    pub fields: Map<String, Value>,
    /// Hide the record from partners: it is never forwarded (where the object has the flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
}

impl Message for RecordUpsertV1 {
    const KIND: &'static str = "record.upsert";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "An org's system created or changed a record: PartnerNet stores it and publishes the change to the org's change feed.";

    fn validate(&self) -> Result<(), String> {
        key("object", &self.object)?;
        key("record_id", &self.record_id)
    }

    fn order_key(&self) -> Option<String> {
        Some(format!("{}/{}", self.object, self.record_id))
    }
}

/// Delete a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordDeleteV1 {
    pub object: String,
    pub record_id: String,
}

impl Message for RecordDeleteV1 {
    const KIND: &'static str = "record.delete";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "An org's system deleted a record: PartnerNet deletes its copy and publishes the deletion to the org's change feed.";

    fn validate(&self) -> Result<(), String> {
        key("object", &self.object)?;
        key("record_id", &self.record_id)
    }

    fn order_key(&self) -> Option<String> {
        Some(format!("{}/{}", self.object, self.record_id))
    }
}

fn key(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if value.chars().count() > RECORD_KEY_MAX {
        return Err(format!(
            "{field} must be at most {RECORD_KEY_MAX} characters"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(())
}
