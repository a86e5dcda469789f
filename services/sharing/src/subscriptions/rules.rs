//! What a subscription becomes after a request: the object and field mapping rules of
//! `shared::crm::mapping` applied to the stored subscription and the request. Pure, no I/O.
//!
//! A mapping is kept per published field: a target field, or `None` when the subscriber chose
//! to leave it unmapped. A field with no entry is undecided: auto-map may still map it. An
//! entry of a field the partner stopped publishing keeps its `problem` (set by the publication
//! change) until the subscriber sets it to `null`; mapping such a field again is refused.

use serde::Deserialize;
use shared::crm::mapping::{auto_map, check_field_mapping, object_mappable};
use shared::crm::{FieldDef, FieldType, ObjectDef};
use shared::validate::Invalid;
use std::collections::BTreeMap;

/// The most entries a request's `fields` or `picklist_values` may hold.
pub const MAX_ENTRIES: usize = 500;

/// Subscribe to an object the partner publishes, or change the subscription. Absent members
/// keep what is stored.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    /// Your object the records arrive as: the same standard object for a standard one (the
    /// default), any of your custom objects for a custom one (required then). Changing it
    /// forgets the field mappings made for the previous one.
    pub target_object: Option<String>,
    /// Accept the partner's records of this object without review. Refused for a child object
    /// (it follows its parent). Default false.
    pub auto_accept: Option<bool>,
    /// Take the partner's deletes too (beyond S2S): a record deleted at the partner deletes
    /// your copy, unless your copy holds a newer field value. Default false: a deleted record
    /// only ends the link, and your copy stays.
    pub sync_deletes: Option<bool>,
    /// Published field to your field, or `null` to leave it unmapped (auto-map then leaves it
    /// alone). Fields not named keep their mapping.
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>)]
    pub fields: Option<BTreeMap<String, Option<String>>>,
    /// Per picklist field mapped to a picklist: published value to your value (a value not
    /// named arrives as is). Replaces that field's value map.
    pub picklist_values: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// Map the undecided fields by API name, then by label, among compatible fields of the
    /// target not already used. Never changes a choice already made. Default false.
    #[serde(default)]
    pub auto_map: bool,
}

/// One published field's mapping as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mapping {
    pub target: Option<String>,
    pub picklist_values: BTreeMap<String, String>,
    /// Why the mapping no longer works (the partner stopped publishing the field).
    pub problem: Option<String>,
}

/// A subscription as stored (or as it will be stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub target_object: String,
    pub auto_accept: bool,
    pub sync_deletes: bool,
    /// By published field API name.
    pub mappings: BTreeMap<String, Mapping>,
}

/// What the subscriber's side is subscribing from and to.
pub struct Objects<'a> {
    /// The partner's object as it publishes it.
    pub published: &'a ObjectDef,
    /// The fields of it the partner publishes to this connection.
    pub published_fields: &'a [FieldDef],
    /// The subscriber's object named as the target.
    pub target: &'a ObjectDef,
}

/// The target object's API name for a request: the one asked for, else the stored one, else
/// the same standard object.
pub fn target_name(
    published: &ObjectDef,
    stored: Option<&Subscription>,
    request: &SubscribeRequest,
) -> Result<String, Invalid> {
    if let Some(name) = &request.target_object {
        return Ok(name.clone());
    }
    if let Some(stored) = stored {
        return Ok(stored.target_object.clone());
    }
    if published.custom {
        return Err(Invalid::new(
            "target_object",
            format!(
                "is required for the custom object {}: name one of your custom objects",
                published.api_name
            ),
        ));
    }
    Ok(published.api_name.clone())
}

/// The subscription after `request`, or the first rule it breaks, naming the request field
/// (`target_object`, `auto_accept`, `fields.Phone`, `picklist_values.Industry.Tech`).
pub fn apply(
    objects: &Objects<'_>,
    stored: Option<&Subscription>,
    request: &SubscribeRequest,
) -> Result<Subscription, Invalid> {
    let Objects {
        published,
        published_fields,
        target,
    } = objects;
    object_mappable(published, target).map_err(|why| Invalid::new("target_object", why))?;
    let auto_accept = request
        .auto_accept
        .or(stored.map(|s| s.auto_accept))
        .unwrap_or(false);
    if auto_accept && let Some(parent) = published.parent.as_ref().or(target.parent.as_ref()) {
        return Err(Invalid::new(
            "auto_accept",
            format!(
                "{} is a child object of {parent}: its records follow their parent and cannot \
                 be auto-accepted",
                published.api_name
            ),
        ));
    }
    // Mappings made for another target object mean nothing for this one.
    let mut mappings = stored
        .filter(|s| s.target_object == target.api_name)
        .map(|s| s.mappings.clone())
        .unwrap_or_default();
    let is_published = |name: &str| published_fields.iter().any(|f| f.api_name == name);
    for (field, chosen) in request.fields.iter().flatten() {
        let path = format!("fields.{field}");
        if !is_published(field) {
            match (chosen, mappings.get(field).and_then(|m| m.problem.clone())) {
                (None, _) => {
                    // Letting go of a field the partner no longer publishes clears its problem.
                    mappings.remove(field);
                    continue;
                }
                (Some(_), Some(problem)) => return Err(Invalid::new(path, problem)),
                (Some(_), None) => {
                    return Err(Invalid::new(
                        path,
                        format!("{field} is not published to you by the partner"),
                    ));
                }
            }
        }
        let kept = mappings
            .get(field)
            .filter(|m| &m.target == chosen)
            .map(|m| m.picklist_values.clone())
            .unwrap_or_default();
        mappings.insert(
            field.clone(),
            Mapping {
                target: chosen.clone(),
                picklist_values: kept,
                problem: None,
            },
        );
    }
    if request.auto_map {
        let choices: BTreeMap<String, Option<String>> = mappings
            .iter()
            .map(|(f, m)| (f.clone(), m.target.clone()))
            .collect();
        for (field, proposed) in auto_map(published_fields, target, &choices) {
            if proposed.is_some() && !mappings.contains_key(&field) {
                mappings.insert(
                    field,
                    Mapping {
                        target: proposed,
                        ..Mapping::default()
                    },
                );
            }
        }
    }
    check_mappings(published_fields, target, &mappings)?;
    for (field, values) in request.picklist_values.iter().flatten() {
        let path = format!("picklist_values.{field}");
        let mapping = mappings.get_mut(field).ok_or_else(|| {
            Invalid::new(
                &path,
                format!("{field} is not mapped: map it to a picklist first"),
            )
        })?;
        let source = published_fields.iter().find(|f| &f.api_name == field);
        let target_field = mapping.target.as_deref().and_then(|t| target.field(t));
        let (Some(source), Some(target_field)) = (source, target_field) else {
            return Err(Invalid::new(
                &path,
                format!("{field} is not mapped: map it to a picklist first"),
            ));
        };
        check_picklist_map(&path, source, target_field, values)?;
        mapping.picklist_values = values.clone();
    }
    let sync_deletes = request
        .sync_deletes
        .or(stored.map(|s| s.sync_deletes))
        .unwrap_or(false);
    Ok(Subscription {
        target_object: target.api_name.clone(),
        auto_accept,
        sync_deletes,
        mappings,
    })
}

/// The mappings of published fields checked together (each target once, each pair
/// compatible); a target still held by a field the partner stopped publishing is taken too.
fn check_mappings(
    published_fields: &[FieldDef],
    target: &ObjectDef,
    mappings: &BTreeMap<String, Mapping>,
) -> Result<(), Invalid> {
    let (live, broken): (Vec<_>, Vec<_>) = mappings
        .iter()
        .partition(|(f, _)| published_fields.iter().any(|p| &p.api_name == *f));
    let live: BTreeMap<String, Option<String>> = live
        .into_iter()
        .map(|(f, m)| (f.clone(), m.target.clone()))
        .collect();
    check_field_mapping(published_fields, target, &live)
        .map_err(|(field, why)| Invalid::new(format!("fields.{field}"), why))?;
    for (old, mapping) in broken {
        let Some(taken) = &mapping.target else {
            continue;
        };
        if let Some((field, _)) = live.iter().find(|(_, t)| t.as_ref() == Some(taken)) {
            return Err(Invalid::new(
                format!("fields.{field}"),
                format!(
                    "{taken} is already the target of {old} (no longer published by the \
                     partner): set {old} to null first"
                ),
            ));
        }
    }
    Ok(())
}

/// A picklist value map: only between two picklists, each key a value of the published field,
/// each value a value of the target field.
fn check_picklist_map(
    path: &str,
    source: &FieldDef,
    target: &FieldDef,
    values: &BTreeMap<String, String>,
) -> Result<(), Invalid> {
    let (
        FieldType::Picklist {
            values: published, ..
        },
        FieldType::Picklist { values: theirs, .. },
    ) = (&source.field_type, &target.field_type)
    else {
        return Err(Invalid::new(
            path,
            format!(
                "values are mapped only between two picklists: {} is a {} field mapped to {}, \
                 a {} field",
                source.api_name,
                shared::crm::mapping::type_name(&source.field_type),
                target.api_name,
                shared::crm::mapping::type_name(&target.field_type)
            ),
        ));
    };
    if values.len() > MAX_ENTRIES {
        return Err(Invalid::new(
            path,
            format!("holds more than {MAX_ENTRIES} values"),
        ));
    }
    for (from, to) in values {
        if !published.contains(from) {
            return Err(Invalid::new(
                format!("{path}.{from}"),
                format!("{from} is not a value of the published {}", source.api_name),
            ));
        }
        if !theirs.contains(to) {
            return Err(Invalid::new(
                format!("{path}.{from}"),
                format!("{to} is not a value of your {}", target.api_name),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
