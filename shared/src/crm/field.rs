//! Field types and field definitions.

use serde::{Deserialize, Serialize};

/// A field's type and the parameters that type takes.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldType {
    /// Up to `max_length` characters (at most 255).
    Text {
        max_length: u32,
    },
    /// Up to `max_length` characters (at most 131,072).
    LongText {
        max_length: u32,
    },
    /// A decimal number with at most `precision` digits, `scale` of them after the point.
    Number {
        precision: u8,
        scale: u8,
    },
    Currency {
        precision: u8,
        scale: u8,
    },
    Percent {
        precision: u8,
        scale: u8,
    },
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339, stored in UTC.
    Datetime,
    Checkbox,
    Email,
    Phone,
    Url,
    /// One of `values`; when `restricted`, any other value is refused.
    Picklist {
        values: Vec<String>,
        restricted: bool,
    },
    /// The id of a record of `object` in the same org.
    Lookup {
        object: String,
    },
    /// Cannot be published.
    RichText {
        max_length: u32,
    },
    /// Cannot be published.
    Geolocation,
    /// Cannot be published.
    Encrypted {
        max_length: u32,
    },
}

/// One field of an object.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, utoipa::ToSchema,
)]
// No `deny_unknown_fields` here: serde does not support it beside `flatten` (nothing would
// deserialize). Unknown keys still fail, in the flattened `FieldType`, which denies them.
pub struct FieldDef {
    /// `Name`, `Industry`, or `Tier__c` for a custom field.
    pub api_name: String,
    pub label: String,
    #[serde(flatten)]
    pub field_type: FieldType,
    /// A record must have a non-empty value for it.
    #[serde(default)]
    pub required: bool,
    /// Smallest accepted value (number, currency, percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest accepted value (number, currency, percent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whether the org defined it (custom fields end in `__c`).
    #[serde(default)]
    pub custom: bool,
}

#[cfg(test)]
mod round_trip {
    use super::*;

    #[test]
    fn a_field_definition_reads_back_what_it_writes_and_refuses_unknown_keys() {
        for object in crate::crm::standard::objects() {
            for field in object.fields {
                let json = serde_json::to_value(&field).expect("serializes");
                let back: FieldDef = serde_json::from_value(json).expect("reads back");
                assert_eq!(back, field);
            }
        }
        let unknown = serde_json::json!({
            "api_name": "X__c", "label": "X", "type": "text", "max_length": 10, "colour": "red"
        });
        assert!(serde_json::from_value::<FieldDef>(unknown).is_err());
    }
}
