//! Object definitions.

use super::field::FieldDef;
use serde::{Deserialize, Serialize};

/// An object (a kind of record) as one org has it: a standard object with its standard fields
/// and the org's custom fields, or a custom object (`Invoice__c`).
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ObjectDef {
    pub api_name: String,
    pub label: String,
    #[serde(default)]
    pub custom: bool,
    /// The parent object of a child object (Opportunity Product's is Opportunity): a child
    /// follows its parent and cannot be auto-accepted on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub fields: Vec<FieldDef>,
}

impl ObjectDef {
    pub fn field(&self, api_name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.api_name == api_name)
    }
}
