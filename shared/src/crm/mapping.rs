//! What can be published, what can be mapped to what, auto-map and picklist value mapping.
//!
//! Every allowed pair carries a value unchanged (a picklist value may be translated through the
//! subscriber's value mapping, a lookup id through the record links): the sync service applies
//! a mapped value by validating it against the target field with [`super::values`], nothing
//! converts it. That is why `datetime -> date` and `number -> currency` are not allowed.
//!
//! A target must be able to hold every value of its source where both declare it: a text or
//! long text target at least as long as a text or long text source; a number, currency or
//! percent target with at least as many digits before and after the point. Email, phone, URL
//! and picklist sources declare no length: they may go to any text or long text, and a value
//! longer than the target fails the target's `max_length` rule when it is applied.

use super::field::{FieldDef, FieldType};
use super::object::ObjectDef;
use std::collections::{BTreeMap, BTreeSet};

/// The allowed (published type, target type) pairs, by type name. `docs/objects.md` shows this
/// table; a test keeps them equal.
const PAIRS: &[(&str, &str)] = &[
    ("text", "text"),
    ("text", "long_text"),
    ("long_text", "text"),
    ("long_text", "long_text"),
    ("number", "number"),
    ("currency", "currency"),
    ("percent", "percent"),
    ("date", "date"),
    ("datetime", "datetime"),
    ("checkbox", "checkbox"),
    ("email", "email"),
    ("email", "text"),
    ("email", "long_text"),
    ("phone", "phone"),
    ("phone", "text"),
    ("phone", "long_text"),
    ("url", "url"),
    ("url", "text"),
    ("url", "long_text"),
    ("picklist", "picklist"),
    ("picklist", "text"),
    ("picklist", "long_text"),
    ("lookup", "lookup"),
];

/// Every type name, in declaration order.
pub const TYPE_NAMES: [&str; 16] = [
    "text",
    "long_text",
    "number",
    "currency",
    "percent",
    "date",
    "datetime",
    "checkbox",
    "email",
    "phone",
    "url",
    "picklist",
    "lookup",
    "rich_text",
    "geolocation",
    "encrypted",
];

/// Why a field cannot be published (rich text, geolocation, encrypted), or `Ok`.
pub fn publishable_field(field: &FieldDef) -> Result<(), String> {
    publishable_type(&field.field_type)
        .map_err(|why| format!("{} cannot be published: {why}", field.api_name))
}

/// Why a field type cannot be published, or `Ok`.
pub fn publishable_type(field_type: &FieldType) -> Result<(), String> {
    match field_type {
        FieldType::RichText { .. } => Err("rich text fields cannot be published".into()),
        FieldType::Geolocation => Err("geolocation fields cannot be published".into()),
        FieldType::Encrypted { .. } => Err("encrypted fields cannot be published".into()),
        _ => Ok(()),
    }
}

/// Whether a published object may be mapped to a subscriber's object: a standard object only to
/// the same standard object, a custom object to any custom object.
pub fn object_mappable(published: &ObjectDef, target: &ObjectDef) -> Result<(), String> {
    match (published.custom, target.custom) {
        (false, false) if published.api_name == target.api_name => Ok(()),
        (false, _) => Err(format!(
            "the standard object {} can only be mapped to {}",
            published.api_name, published.api_name
        )),
        (true, true) => Ok(()),
        (true, false) => Err(format!(
            "the custom object {} can only be mapped to a custom object, not to {}",
            published.api_name, target.api_name
        )),
    }
}

/// Whether values of a published field's type may be written to a target field's type (the
/// allowed pairs are listed in `docs/objects.md`, generated from [`compatible_pairs`]).
pub fn compatible(published: &FieldType, target: &FieldType) -> Result<(), String> {
    publishable_type(published)?;
    let (from, to) = (type_name(published), type_name(target));
    if !PAIRS.contains(&(from, to)) {
        return Err(format!("a {from} field cannot be mapped to a {to} field"));
    }
    if let (Some(source_len), Some(target_len)) =
        (declared_length(published), declared_length(target))
        && target_len < source_len
    {
        return Err(format!(
            "a {from} field of {source_len} characters cannot be mapped to a {to} field of \
             {target_len} characters"
        ));
    }
    if let (Some((sp, ss)), Some((tp, ts))) = (digits(published), digits(target))
        && (tp.saturating_sub(ts) < sp.saturating_sub(ss) || ts < ss)
    {
        return Err(format!(
            "a {from}({sp},{ss}) field cannot be mapped to a {to}({tp},{ts}) field: the target \
             must have as many digits before and after the point"
        ));
    }
    Ok(())
}

/// The length a text or long text declares.
fn declared_length(field_type: &FieldType) -> Option<u32> {
    match field_type {
        FieldType::Text { max_length } | FieldType::LongText { max_length } => Some(*max_length),
        _ => None,
    }
}

/// A number's (precision, scale).
fn digits(field_type: &FieldType) -> Option<(u8, u8)> {
    match field_type {
        FieldType::Number { precision, scale }
        | FieldType::Currency { precision, scale }
        | FieldType::Percent { precision, scale } => Some((*precision, *scale)),
        _ => None,
    }
}

/// Every allowed (published type, target type) pair by type name, for the documentation.
pub fn compatible_pairs() -> Vec<(&'static str, &'static str)> {
    PAIRS.to_vec()
}

/// The type name used in documents and errors (`text`, `picklist`...).
pub fn type_name(field_type: &FieldType) -> &'static str {
    match field_type {
        FieldType::Text { .. } => "text",
        FieldType::LongText { .. } => "long_text",
        FieldType::Number { .. } => "number",
        FieldType::Currency { .. } => "currency",
        FieldType::Percent { .. } => "percent",
        FieldType::Date => "date",
        FieldType::Datetime => "datetime",
        FieldType::Checkbox => "checkbox",
        FieldType::Email => "email",
        FieldType::Phone => "phone",
        FieldType::Url => "url",
        FieldType::Picklist { .. } => "picklist",
        FieldType::Lookup { .. } => "lookup",
        FieldType::RichText { .. } => "rich_text",
        FieldType::Geolocation => "geolocation",
        FieldType::Encrypted { .. } => "encrypted",
    }
}

/// Proposes a target field for each published field: by API name, then by label
/// (case-insensitive), among compatible target fields not already used. A published field that
/// has an entry in `existing` (mapped, or explicitly left unmapped with `None`) keeps it. Returns
/// the whole mapping: published field API name to target field API name or `None`.
///
/// Entries of `existing` for fields no longer published are kept as they are, so that
/// [`check_field_mapping`] can tell the subscriber the partner stopped publishing them.
/// Matching by API name is done for every field before matching by label, so that a label
/// match never takes a target another field matches by name.
pub fn auto_map(
    published: &[FieldDef],
    target: &ObjectDef,
    existing: &BTreeMap<String, Option<String>>,
) -> BTreeMap<String, Option<String>> {
    let mut mapping = existing.clone();
    let mut used: BTreeSet<String> = existing.values().flatten().cloned().collect();
    let fits = |source: &FieldDef, candidate: &FieldDef, used: &BTreeSet<String>| {
        !used.contains(&candidate.api_name)
            && compatible(&source.field_type, &candidate.field_type).is_ok()
    };
    let undecided = |mapping: &BTreeMap<String, Option<String>>| -> Vec<&FieldDef> {
        published
            .iter()
            .filter(|f| !mapping.contains_key(&f.api_name))
            .collect()
    };
    for source in undecided(&mapping) {
        if let Some(candidate) = target.field(&source.api_name)
            && fits(source, candidate, &used)
        {
            used.insert(candidate.api_name.clone());
            mapping.insert(source.api_name.clone(), Some(candidate.api_name.clone()));
        }
    }
    for source in undecided(&mapping) {
        let label = source.label.trim().to_lowercase();
        let found = target
            .fields
            .iter()
            .find(|c| c.label.trim().to_lowercase() == label && fits(source, c, &used));
        if let Some(candidate) = found {
            used.insert(candidate.api_name.clone());
            mapping.insert(source.api_name.clone(), Some(candidate.api_name.clone()));
        }
    }
    for source in undecided(&mapping) {
        mapping.insert(source.api_name.clone(), None);
    }
    mapping
}

/// Checks a whole field mapping: each target used once, each pair compatible, each published
/// field among `published`, each target field on `target`. The error names the field.
///
/// The error is (published field API name, reason).
pub fn check_field_mapping(
    published: &[FieldDef],
    target: &ObjectDef,
    mapping: &BTreeMap<String, Option<String>>,
) -> Result<(), (String, String)> {
    let mut used: BTreeMap<&str, &str> = BTreeMap::new();
    for (source_name, target_name) in mapping {
        let fail = |reason: String| Err((source_name.clone(), reason));
        let Some(source) = published.iter().find(|f| &f.api_name == source_name) else {
            return fail(format!("{source_name} is not published by the partner"));
        };
        let Some(target_name) = target_name else {
            continue;
        };
        let Some(target_field) = target.field(target_name) else {
            return fail(format!("{} has no field {target_name}", target.api_name));
        };
        if let Err(why) = compatible(&source.field_type, &target_field.field_type) {
            return fail(why);
        }
        if let Some(other) = used.insert(target_name.as_str(), source_name.as_str()) {
            return fail(format!(
                "{target_name} is already the target of {other}: each target field takes one \
                 published field"
            ));
        }
    }
    Ok(())
}

/// Checks a picklist value mapping (published value to target value): each published value
/// among the published field's values (when the field has a fixed list) and each target value
/// among the target field's values when the target is restricted. The error is (published
/// value, reason).
pub fn check_picklist_values(
    published: &FieldDef,
    target: &FieldDef,
    values: &BTreeMap<String, String>,
) -> Result<(), (String, String)> {
    let FieldType::Picklist {
        values: source_values,
        restricted: source_restricted,
    } = &published.field_type
    else {
        return Err((
            published.api_name.clone(),
            format!("{} is not a picklist", published.api_name),
        ));
    };
    let target_values = match &target.field_type {
        FieldType::Picklist { values, restricted } => restricted.then_some(values),
        FieldType::Text { .. } | FieldType::LongText { .. } => None,
        _ => {
            return Err((
                published.api_name.clone(),
                format!("{} cannot take picklist values", target.api_name),
            ));
        }
    };
    for (from, to) in values {
        if *source_restricted && !source_values.contains(from) {
            return Err((
                from.clone(),
                format!("{from} is not a value of {}", published.api_name),
            ));
        }
        if let Some(allowed) = target_values
            && !allowed.contains(to)
        {
            return Err((
                from.clone(),
                format!("{to} is not a value of {}", target.api_name),
            ));
        }
    }
    Ok(())
}

/// The value a picklist value arrives as: its mapped value, or itself when mapped to none.
pub fn translate_picklist<'a>(value: &'a str, values: &'a BTreeMap<String, String>) -> &'a str {
    values.get(value).map(String::as_str).unwrap_or(value)
}

/// The partner's copies of an org's records shared over one connection: (object, the org's
/// record id) to the partner's record id.
pub type Copies = BTreeMap<(String, String), String>;

/// What a lookup to `target` (an object, or any object for a polymorphic lookup) holding
/// `local_id` becomes on the partner's side: the id of the partner's copy of that record when
/// it is shared over the connection; `None` (left empty, never the org's own id) otherwise.
pub fn translate_lookup<'a>(copies: &'a Copies, target: &str, local_id: &str) -> Option<&'a str> {
    if target == super::standard::ANY_PARENT {
        copies
            .iter()
            .find(|((_, id), _)| id == local_id)
            .map(|(_, copy)| copy.as_str())
    } else {
        copies
            .get(&(target.to_string(), local_id.to_string()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests;
