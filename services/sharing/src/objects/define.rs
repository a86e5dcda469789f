//! The rules of defining custom objects and custom fields: API names, labels, and each field
//! type's parameters. Pure: every refusal names the request field at fault.

use shared::crm::{FieldDef, FieldType, ObjectDef, standard};
use shared::validate::{self, Invalid};

/// Longest API name, `__c` included (as Salesforce).
pub const API_NAME_MAX: usize = 43;
pub const LABEL_MAX: usize = 80;
const PICKLIST_VALUE_MAX: usize = 255;
const PICKLIST_VALUES_MAX: usize = 1000;

/// A custom API name: a letter, then letters, digits and single underscores, ending in `__c`.
pub fn custom_api_name(field: &str, value: &str) -> Result<String, Invalid> {
    let refuse = || {
        Invalid::new(
            field,
            "must start with a letter, hold only letters, digits and single underscores, and end in `__c` (e.g. `Invoice__c`)",
        )
    };
    let stem = value.strip_suffix("__c").ok_or_else(refuse)?;
    let mut chars = stem.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let well_formed = starts_with_letter
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !stem.contains("__")
        && !stem.ends_with('_');
    if !well_formed {
        return Err(refuse());
    }
    if value.len() > API_NAME_MAX {
        return Err(Invalid::new(
            field,
            format!("must be at most {API_NAME_MAX} characters"),
        ));
    }
    Ok(value.to_string())
}

pub fn label(field: &str, value: &str) -> Result<String, Invalid> {
    validate::text(field, value, LABEL_MAX)
}

/// `path.name`, or `name` at the top of the body.
pub fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// A new custom object with its `Name` field and the custom fields given.
pub fn new_object(
    api_name: &str,
    label_text: &str,
    fields: &[FieldDef],
    known_objects: &[ObjectDef],
) -> Result<ObjectDef, Invalid> {
    let api_name = custom_api_name("api_name", api_name)?;
    let label_text = label("label", label_text)?;
    let mut object = ObjectDef {
        api_name: api_name.clone(),
        label: label_text.clone(),
        custom: true,
        parent: None,
        fields: vec![FieldDef {
            api_name: "Name".to_string(),
            label: format!("{label_text} Name"),
            field_type: FieldType::Text { max_length: 80 },
            required: true,
            min: None,
            max: None,
            custom: false,
        }],
    };
    // The object itself may be the target of its own lookups (a parent invoice).
    let mut known = known_objects.to_vec();
    known.push(object.clone());
    for (i, field) in fields.iter().enumerate() {
        let checked = new_field(&format!("fields[{i}]"), field, &object, &known)?;
        object.fields.push(checked);
    }
    Ok(object)
}

/// A new custom field of `object`: name free on the object, type parameters in range.
pub fn new_field(
    path: &str,
    field: &FieldDef,
    object: &ObjectDef,
    known_objects: &[ObjectDef],
) -> Result<FieldDef, Invalid> {
    let at = |name: &str| join(path, name);
    let api_name = custom_api_name(&at("api_name"), &field.api_name)?;
    if object.field(&api_name).is_some() {
        return Err(Invalid::new(
            at("api_name"),
            format!("{} already has a field {api_name}", object.api_name),
        ));
    }
    let checked = FieldDef {
        api_name,
        label: label(&at("label"), &field.label)?,
        custom: true,
        ..field.clone()
    };
    check_constraints(path, &checked, known_objects)?;
    Ok(checked)
}

/// A field's type parameters and constraints: lengths and precisions in range, picklist values
/// distinct, a lookup to an object the org has, `min`/`max` only on numbers and in order.
pub fn check_constraints(
    path: &str,
    field: &FieldDef,
    known_objects: &[ObjectDef],
) -> Result<(), Invalid> {
    let at = |name: &str| join(path, name);
    let length = |max_length: u32, limit: u32| {
        if max_length == 0 || max_length > limit {
            Err(Invalid::new(
                at("max_length"),
                format!("must be between 1 and {limit}"),
            ))
        } else {
            Ok(())
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
            if *precision == 0 || *precision > 18 {
                return Err(Invalid::new(at("precision"), "must be between 1 and 18"));
            }
            if scale > precision {
                return Err(Invalid::new(at("scale"), "must not exceed precision"));
            }
        }
        FieldType::Picklist { values, .. } => {
            if values.is_empty() || values.len() > PICKLIST_VALUES_MAX {
                return Err(Invalid::new(
                    at("values"),
                    format!("must hold between 1 and {PICKLIST_VALUES_MAX} values"),
                ));
            }
            for (i, value) in values.iter().enumerate() {
                let path = at(&format!("values[{i}]"));
                let checked = validate::text(&path, value, PICKLIST_VALUE_MAX)?;
                if checked != *value {
                    return Err(Invalid::new(path, "must not have surrounding spaces"));
                }
                if values[..i].contains(value) {
                    return Err(Invalid::new(path, format!("{value} is listed twice")));
                }
            }
        }
        FieldType::Lookup { object } => {
            if !known_objects.iter().any(|o| &o.api_name == object) {
                return Err(Invalid::new(
                    at("object"),
                    format!("{object} is not an object of your organization"),
                ));
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
        match bound {
            Some(_) if !numeric => {
                return Err(Invalid::new(
                    at(name),
                    "applies only to number, currency and percent fields",
                ));
            }
            Some(value) if !value.is_finite() => {
                return Err(Invalid::new(at(name), "must be a finite number"));
            }
            _ => {}
        }
    }
    if let (Some(min), Some(max)) = (field.min, field.max)
        && min > max
    {
        return Err(Invalid::new(at("min"), "must not exceed max"));
    }
    Ok(())
}

/// Standard objects are never created over HTTP, and a custom one is created once.
pub fn name_is_free(api_name: &str, known_objects: &[ObjectDef]) -> Result<(), Invalid> {
    if standard::is_standard(api_name) || known_objects.iter().any(|o| o.api_name == api_name) {
        return Err(Invalid::new(
            "api_name",
            format!("your organization already has an object {api_name}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_api_names_end_in_c_and_are_well_formed() {
        for good in ["Invoice__c", "Tier_Level__c", "A1__c"] {
            assert!(custom_api_name("api_name", good).is_ok(), "{good}");
        }
        for bad in [
            "Invoice",
            "__c",
            "1Invoice__c",
            "In__voice__c",
            "Invoice___c",
            "Inv oice__c",
            "Invoice_c",
        ] {
            assert!(custom_api_name("api_name", bad).is_err(), "{bad}");
        }
        let long = format!("{}__c", "A".repeat(41));
        assert!(custom_api_name("api_name", &long).is_err());
    }
}
