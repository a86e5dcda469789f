//! The configuration document: an org's object schemas, connection templates, publications and
//! subscriptions with their mappings, as one YAML or JSON document (`docs/config-as-code.md`).
//!
//! Every list is kept sorted by its key ([`ConfigDocument::canonical`]), so that an export,
//! imported and exported again, is byte-identical.

use serde::{Deserialize, Serialize};
use shared::crm::FieldDef;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The only version of the document so far.
pub const VERSION: u32 = 1;

#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ConfigDocument {
    /// Always 1.
    pub version: u32,
    /// The org's currency (ISO 4217): opportunity products travel only between orgs of the same
    /// currency. Left out: `USD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Custom objects with all their fields, and standard objects with only the custom fields
    /// the org added to them.
    #[serde(default)]
    pub objects: Vec<ObjectConfig>,
    #[serde(default)]
    pub templates: Vec<TemplateConfig>,
    /// What the org publishes, per partner.
    #[serde(default)]
    pub publications: Vec<PartnerPublications>,
    /// What the org subscribes to of its partners' publications, per partner.
    #[serde(default)]
    pub subscriptions: Vec<PartnerSubscriptions>,
}

/// A custom object (`Invoice__c`), or a standard object (`Account`) the org added fields to.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ObjectConfig {
    pub api_name: String,
    /// A custom object's label (a standard object keeps its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A custom child object's parent object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// A custom object's fields; a standard object's custom fields only.
    #[serde(default)]
    pub fields: Vec<FieldDef>,
}

/// A connection template, known by its name within the org.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub active: bool,
    #[serde(default)]
    pub objects: Vec<PublishedObject>,
}

/// An object published (by a template, or to a partner) with its published fields.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PublishedObject {
    pub object: String,
    pub fields: Vec<String>,
}

/// The partner of a connection: matched on import by `partner_org_id`; `partner_name` is for the
/// reader (it is not compared).
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PartnerPublications {
    pub partner_org_id: Uuid,
    #[serde(default)]
    pub partner_name: String,
    pub objects: Vec<PublishedObject>,
}

#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PartnerSubscriptions {
    pub partner_org_id: Uuid,
    #[serde(default)]
    pub partner_name: String,
    pub objects: Vec<SubscribedObject>,
}

/// One of the partner's published objects, subscribed to and mapped to one of the org's objects.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SubscribedObject {
    /// The partner's object.
    pub object: String,
    /// The org's own object its records arrive as.
    pub target_object: String,
    #[serde(default)]
    pub auto_accept: bool,
    /// Take the partner's deletes (beyond S2S); left out when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sync_deletes: bool,
    /// Per published field: its target field (`null`: left unmapped) and picklist value map.
    #[serde(default)]
    pub fields: Vec<FieldMapping>,
}

#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct FieldMapping {
    /// The partner's published field.
    pub field: String,
    /// The org's field it is written to; `null` leaves it unmapped.
    pub target_field: Option<String>,
    /// Partner picklist value -> the org's value; a value not listed arrives as is.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub picklist_values: BTreeMap<String, String>,
}

impl ConfigDocument {
    /// An empty configuration.
    pub fn empty() -> Self {
        Self {
            version: VERSION,
            currency: None,
            objects: Vec::new(),
            templates: Vec::new(),
            publications: Vec::new(),
            subscriptions: Vec::new(),
        }
    }

    /// The same configuration with every list sorted by its key (fields by API name, published
    /// field names alphabetically), so two equal configurations compare and print equal.
    pub fn canonical(mut self) -> Self {
        // The default currency is left out, and a code is written upper case.
        self.currency = self
            .currency
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c != crate::org_settings::DEFAULT_CURRENCY);
        self.objects.sort_by(|a, b| a.api_name.cmp(&b.api_name));
        for object in &mut self.objects {
            object.fields.sort_by(|a, b| a.api_name.cmp(&b.api_name));
        }
        self.templates.sort_by(|a, b| a.name.cmp(&b.name));
        for template in &mut self.templates {
            sort_published(&mut template.objects);
        }
        self.publications
            .sort_by_key(|p| (p.partner_org_id, p.partner_name.clone()));
        for partner in &mut self.publications {
            sort_published(&mut partner.objects);
        }
        self.subscriptions
            .sort_by_key(|p| (p.partner_org_id, p.partner_name.clone()));
        for partner in &mut self.subscriptions {
            partner.objects.sort_by(|a, b| a.object.cmp(&b.object));
            for object in &mut partner.objects {
                object.fields.sort_by(|a, b| a.field.cmp(&b.field));
            }
        }
        self
    }

    pub fn to_yaml(&self) -> anyhow::Result<String> {
        Ok(serde_yaml::to_string(self)?)
    }

    pub fn to_json(&self) -> anyhow::Result<String> {
        Ok(format!("{}\n", serde_json::to_string_pretty(self)?))
    }
}

fn sort_published(objects: &mut [PublishedObject]) {
    objects.sort_by(|a, b| a.object.cmp(&b.object));
    for object in objects {
        object.fields.sort();
    }
}

/// The document's JSON Schema (`partnernet config schema`, and for editors).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ConfigDocument)).unwrap_or_default()
}
