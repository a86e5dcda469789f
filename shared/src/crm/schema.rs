//! Checks on an org's own definitions: a custom object, a custom field. The sharing service
//! runs them before storing a schema change, so a definition that the validation rules could
//! not apply (a text of 0 characters, a scale above the precision) never exists.

use super::field::{FieldDef, FieldType};
use super::object::ObjectDef;
use crate::validate::Invalid;
use std::collections::BTreeSet;

/// Longest custom API name, `__c` included.
pub const API_NAME_MAX: usize = 43;
/// Longest label.
pub const LABEL_MAX: usize = 80;
/// Most values of a picklist.
pub const PICKLIST_VALUES_MAX: usize = 1000;

/// A custom API name: a letter, then letters, digits and single underscores, ending in `__c`
/// (`Invoice__c`, `Net_Amount__c`).
pub fn check_custom_api_name(field: &str, api_name: &str) -> Result<(), Invalid> {
    let bad = || {
        Invalid::new(
            field,
            "must start with a letter, use letters, digits and single underscores, and end in __c",
        )
    };
    let Some(stem) = api_name.strip_suffix("__c") else {
        return Err(bad());
    };
    let first_is_letter = stem.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_is_letter
        || stem.ends_with('_')
        || stem.contains("__")
        || !stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(bad());
    }
    if api_name.len() > API_NAME_MAX {
        return Err(Invalid::new(
            field,
            format!("must be at most {API_NAME_MAX} characters"),
        ));
    }
    Ok(())
}

/// A custom field's definition: its API name (`…__c`, or `Name` on a custom object, see
/// [`check_custom_object`]), label, type parameters and range.
pub fn check_custom_field(field: &FieldDef) -> Result<(), Invalid> {
    check_custom_api_name("api_name", &field.api_name)?;
    check_field_body(field)
}

/// A custom object with its fields. Its fields are custom fields, and it may have a `Name`
/// field (the field published by default).
pub fn check_custom_object(object: &ObjectDef) -> Result<(), Invalid> {
    check_custom_api_name("api_name", &object.api_name)?;
    check_label("label", &object.label)?;
    if object.parent.is_some() {
        return Err(Invalid::new(
            "parent",
            "a custom object cannot be a child object",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, field) in object.fields.iter().enumerate() {
        let at = |e: Invalid| Invalid::new(format!("fields[{i}].{}", e.field), e.reason);
        if field.api_name != "Name" {
            check_custom_api_name("api_name", &field.api_name).map_err(at)?;
        }
        check_field_body(field).map_err(at)?;
        if !seen.insert(field.api_name.to_ascii_lowercase()) {
            return Err(Invalid::new(
                format!("fields[{i}].api_name"),
                format!("{} is defined twice", field.api_name),
            ));
        }
    }
    Ok(())
}

fn check_label(field: &str, label: &str) -> Result<(), Invalid> {
    crate::validate::text(field, label, LABEL_MAX).map(|_| ())
}

/// Everything but the API name.
fn check_field_body(field: &FieldDef) -> Result<(), Invalid> {
    check_label("label", &field.label)?;
    let length = |max_length: u32, limit: u32| {
        if (1..=limit).contains(&max_length) {
            Ok(())
        } else {
            Err(Invalid::new(
                "max_length",
                format!("must be between 1 and {limit}"),
            ))
        }
    };
    let numeric = matches!(
        field.field_type,
        FieldType::Number { .. } | FieldType::Currency { .. } | FieldType::Percent { .. }
    );
    match &field.field_type {
        FieldType::Text { max_length } => length(*max_length, 255)?,
        FieldType::LongText { max_length } | FieldType::RichText { max_length } => {
            length(*max_length, 131_072)?
        }
        FieldType::Encrypted { max_length } => length(*max_length, 175)?,
        FieldType::Number { precision, scale }
        | FieldType::Currency { precision, scale }
        | FieldType::Percent { precision, scale } => {
            if !(1..=18).contains(precision) {
                return Err(Invalid::new("precision", "must be between 1 and 18"));
            }
            if scale > precision {
                return Err(Invalid::new("scale", "must not be greater than precision"));
            }
        }
        FieldType::Picklist { values, .. } => check_picklist_values(values)?,
        FieldType::Lookup { object } => {
            if object.trim().is_empty() {
                return Err(Invalid::new("object", "must name the object looked up"));
            }
        }
        FieldType::Date
        | FieldType::Datetime
        | FieldType::Checkbox
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url
        | FieldType::Geolocation => {}
    }
    for (name, bound) in [("min", field.min), ("max", field.max)] {
        if let Some(b) = bound {
            if !numeric {
                return Err(Invalid::new(
                    name,
                    "only a number, currency or percent field has a range",
                ));
            }
            if !b.is_finite() {
                return Err(Invalid::new(name, "must be a finite number"));
            }
        }
    }
    if let (Some(min), Some(max)) = (field.min, field.max)
        && min > max
    {
        return Err(Invalid::new("min", "must not be greater than max"));
    }
    Ok(())
}

fn check_picklist_values(values: &[String]) -> Result<(), Invalid> {
    if values.is_empty() || values.len() > PICKLIST_VALUES_MAX {
        return Err(Invalid::new(
            "values",
            format!("must have between 1 and {PICKLIST_VALUES_MAX} values"),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, value) in values.iter().enumerate() {
        let at = format!("values[{i}]");
        let clean = crate::validate::text(&at, value, super::values::PICKLIST_MAX_LENGTH)?;
        if clean != *value {
            return Err(Invalid::new(at, "must not start or end with spaces"));
        }
        // Values match case-insensitively (see values::validate), so they must differ so too.
        if !seen.insert(value.to_lowercase()) {
            return Err(Invalid::new(at, format!("{value} is listed twice")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::standard;

    fn custom_field(api: &str, field_type: FieldType) -> FieldDef {
        FieldDef {
            api_name: api.into(),
            label: "Label".into(),
            field_type,
            required: false,
            min: None,
            max: None,
            custom: true,
        }
    }

    fn refused_at(field: FieldDef) -> String {
        check_custom_field(&field).expect_err("refused").field
    }

    #[test]
    fn custom_api_names() {
        for good in ["Tier__c", "Net_Amount__c", "A1__c"] {
            assert!(check_custom_api_name("api_name", good).is_ok(), "{good}");
        }
        let long = format!("{}__c", "A".repeat(41));
        for bad in [
            "Tier",
            "__c",
            "1Tier__c",
            "Tier___c",
            "Ti__er__c",
            "Tier_x__c ",
            "Tié__c",
        ]
        .into_iter()
        .chain([long.as_str()])
        {
            assert!(check_custom_api_name("api_name", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_parameters_are_checked() {
        assert_eq!(
            refused_at(custom_field("T__c", FieldType::Text { max_length: 0 })),
            "max_length"
        );
        assert_eq!(
            refused_at(custom_field("T__c", FieldType::Text { max_length: 256 })),
            "max_length"
        );
        assert_eq!(
            refused_at(custom_field(
                "N__c",
                FieldType::Number {
                    precision: 19,
                    scale: 0
                }
            )),
            "precision"
        );
        assert_eq!(
            refused_at(custom_field(
                "N__c",
                FieldType::Number {
                    precision: 4,
                    scale: 5
                }
            )),
            "scale"
        );
        let picklist = |values: &[&str]| {
            custom_field(
                "P__c",
                FieldType::Picklist {
                    values: values.iter().map(|v| v.to_string()).collect(),
                    restricted: true,
                },
            )
        };
        assert_eq!(refused_at(picklist(&[])), "values");
        assert_eq!(refused_at(picklist(&["A", "a"])), "values[1]");
        assert_eq!(refused_at(picklist(&[" A"])), "values[0]");
        assert!(check_custom_field(&picklist(&["A", "B"])).is_ok());
        let mut ranged = custom_field("C__c", FieldType::Checkbox);
        ranged.min = Some(1.0);
        assert_eq!(refused_at(ranged), "min");
        let mut upside_down = custom_field(
            "N__c",
            FieldType::Number {
                precision: 4,
                scale: 0,
            },
        );
        upside_down.min = Some(5.0);
        upside_down.max = Some(1.0);
        assert_eq!(refused_at(upside_down), "min");
    }

    #[test]
    fn custom_objects_and_the_standard_fields_are_well_formed() {
        let mut invoice = ObjectDef {
            api_name: "Invoice__c".into(),
            label: "Invoice".into(),
            custom: true,
            parent: None,
            fields: vec![
                custom_field("Name", FieldType::Text { max_length: 80 }),
                custom_field(
                    "Total__c",
                    FieldType::Currency {
                        precision: 18,
                        scale: 2,
                    },
                ),
            ],
        };
        assert_eq!(check_custom_object(&invoice), Ok(()));
        invoice
            .fields
            .push(custom_field("total__c", FieldType::Checkbox));
        assert_eq!(
            check_custom_object(&invoice).map_err(|e| e.field),
            Err("fields[2].api_name".to_string())
        );
        // The standard definitions obey the same limits (their names are not custom ones).
        for object in standard::objects() {
            for field in &object.fields {
                assert_eq!(
                    check_field_body(field),
                    Ok(()),
                    "{}.{}",
                    object.api_name,
                    field.api_name
                );
            }
        }
    }
}
