//! The document's objects: each field definition checked, and the org's schema as the document
//! makes it (standard objects with their standard fields and the document's custom fields, and
//! the document's custom objects).

use super::document::{ConfigDocument, ObjectConfig};
use super::problems::Problem;
use shared::crm::{FieldDef, FieldType, ObjectDef, standard};
use std::collections::{BTreeMap, BTreeSet};

/// Longest API name and label.
const NAME_MAX: usize = 80;
const LABEL_MAX: usize = 255;
const PICKLIST_VALUE_MAX: usize = 255;

/// The org's objects as the document defines them, by API name: every standard object, and the
/// document's custom objects. Objects the document gets wrong are left as best they can be.
pub fn schema(document: &ConfigDocument) -> BTreeMap<String, ObjectDef> {
    let mut schema: BTreeMap<String, ObjectDef> = standard::objects()
        .into_iter()
        .map(|o| (o.api_name.clone(), o))
        .collect();
    for object in &document.objects {
        let definition = definition(object);
        schema.insert(definition.api_name.clone(), definition);
    }
    schema
}

/// The whole definition stored for an object of the document.
pub fn definition(object: &ObjectConfig) -> ObjectDef {
    match standard::object(&object.api_name) {
        Some(mut standard) => {
            standard.fields.extend(object.fields.iter().cloned());
            standard
        }
        None => ObjectDef {
            api_name: object.api_name.clone(),
            label: object.label.clone().unwrap_or_default(),
            custom: true,
            parent: object.parent.clone(),
            fields: object.fields.clone(),
        },
    }
}

/// Every problem of the document's objects and their fields.
pub fn check_objects(document: &ConfigDocument, problems: &mut Vec<Problem>) {
    let declared: BTreeSet<&str> = document
        .objects
        .iter()
        .map(|o| o.api_name.as_str())
        .collect();
    let exists = |name: &str| standard::is_standard(name) || declared.contains(name);
    let mut seen = BTreeSet::new();
    for object in &document.objects {
        let at = format!("objects[{}]", object.api_name);
        if !seen.insert(object.api_name.as_str()) {
            problems.push(Problem::new(&at, "the object is listed twice"));
            continue;
        }
        let is_standard = standard::is_standard(&object.api_name);
        if !is_standard {
            if let Err(m) = api_name(&object.api_name, true) {
                problems.push(Problem::new(format!("{at}.api_name"), m));
            }
            match &object.label {
                Some(label) => {
                    if let Err(m) = self::label(label) {
                        problems.push(Problem::new(format!("{at}.label"), m));
                    }
                }
                None => problems.push(Problem::new(
                    format!("{at}.label"),
                    "a custom object needs a label",
                )),
            }
            if let Some(parent) = &object.parent
                && (parent == &object.api_name || !exists(parent))
            {
                problems.push(Problem::new(
                    format!("{at}.parent"),
                    format!("no object {parent} to be the parent"),
                ));
            }
        } else {
            for (given, what) in [
                (object.label.is_some(), "label"),
                (object.parent.is_some(), "parent"),
            ] {
                if given {
                    problems.push(Problem::new(
                        format!("{at}.{what}"),
                        "a standard object's own definition cannot be changed; list only its custom fields",
                    ));
                }
            }
        }
        let mut field_names = BTreeSet::new();
        for field in &object.fields {
            let at = format!("{at}.fields[{}]", field.api_name);
            if !field_names.insert(field.api_name.as_str()) {
                problems.push(Problem::new(&at, "the field is listed twice"));
                continue;
            }
            if is_standard && !field.custom {
                problems.push(Problem::new(
                    format!("{at}.custom"),
                    "only custom fields of a standard object are listed (custom: true, API name ending in __c)",
                ));
            }
            check_field(field, &at, &exists, problems);
        }
    }
}

/// Every problem of one field definition.
fn check_field(
    field: &FieldDef,
    at: &str,
    exists: &dyn Fn(&str) -> bool,
    problems: &mut Vec<Problem>,
) {
    let mut problem = |what: &str, message: String| {
        problems.push(Problem::new(format!("{at}.{what}"), message));
    };
    if let Err(m) = api_name(&field.api_name, field.custom) {
        problem("api_name", m);
    }
    if let Err(m) = label(&field.label) {
        problem("label", m);
    }
    let mut length = |max_length: u32, limit: u32| {
        if max_length == 0 || max_length > limit {
            problem(
                "max_length",
                format!("max_length must be between 1 and {limit}, not {max_length}"),
            );
        }
    };
    let mut numeric = false;
    match &field.field_type {
        FieldType::Text { max_length } => length(*max_length, 255),
        FieldType::LongText { max_length } | FieldType::RichText { max_length } => {
            length(*max_length, 131_072)
        }
        FieldType::Encrypted { max_length } => length(*max_length, 175),
        FieldType::Number { precision, scale }
        | FieldType::Currency { precision, scale }
        | FieldType::Percent { precision, scale } => {
            numeric = true;
            if *precision == 0 || *precision > 18 {
                problem(
                    "precision",
                    format!("precision must be between 1 and 18, not {precision}"),
                );
            }
            if scale > precision {
                problem(
                    "scale",
                    format!("scale ({scale}) cannot exceed precision ({precision})"),
                );
            }
        }
        FieldType::Picklist { values, .. } => {
            if values.is_empty() {
                problem("values", "a picklist needs at least one value".to_string());
            }
            let mut seen = BTreeSet::new();
            for value in values {
                if value.trim().is_empty() || value.chars().count() > PICKLIST_VALUE_MAX {
                    problem(
                        "values",
                        format!("{value:?}: a value has 1 to {PICKLIST_VALUE_MAX} characters"),
                    );
                } else if !seen.insert(value) {
                    problem("values", format!("{value:?} is listed twice"));
                }
            }
        }
        FieldType::Lookup { object } => {
            if !exists(object) {
                problem("object", format!("no object {object} to look up"));
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
    if !numeric && (field.min.is_some() || field.max.is_some()) {
        problem(
            "type",
            "min and max apply only to number, currency and percent fields".to_string(),
        );
    }
    if let (Some(min), Some(max)) = (field.min, field.max)
        && min > max
    {
        problem("min", format!("min ({min}) is larger than max ({max})"));
    }
}

/// An API name: a letter, then letters, digits and underscores; `__c` at the end exactly when
/// it is custom.
fn api_name(name: &str, custom: bool) -> Result<(), String> {
    let well_formed = name.len() <= NAME_MAX
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err(format!(
            "{name:?} is not an API name (a letter, then letters, digits or _; at most {NAME_MAX})"
        ));
    }
    match (custom, name.ends_with("__c")) {
        (true, false) => Err(format!("a custom API name ends in __c: {name}__c")),
        (false, true) => Err("a name ending in __c is custom (custom: true)".to_string()),
        _ => Ok(()),
    }
}

fn label(label: &str) -> Result<(), String> {
    if label.trim().is_empty() || label.chars().count() > LABEL_MAX {
        return Err(format!("a label has 1 to {LABEL_MAX} characters"));
    }
    if label.chars().any(char::is_control) {
        return Err("a label has no control characters".to_string());
    }
    Ok(())
}
