//! What an org asks to publish, checked against its objects: only objects it has that can be
//! published, only their fields, never a rich text, geolocation or encrypted field. Pure; used
//! by the publication routes and by connection templates.

use serde::{Deserialize, Serialize};
use shared::crm::mapping::publishable_field;
use shared::crm::{ObjectDef, standard};
use shared::validate::Invalid;
use std::collections::BTreeMap;

/// The fields published per object (object API name to field API names).
pub type PublishedSet = BTreeMap<String, Vec<String>>;

/// One object to publish and its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectToPublish {
    /// The object's API name (`Account`, `Invoice__c`).
    pub object: String,
    /// The fields to publish; omitted: the object's default published fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

/// The fields of `object` to publish: `fields` checked, or its default fields. `path` is the
/// request path of the entry (`objects[2]`, or empty for a single object).
pub fn fields_of(
    path: &str,
    object: &ObjectDef,
    fields: Option<&[String]>,
) -> Result<Vec<String>, Invalid> {
    let at = |name: &str| crate::objects::define::join(path, name);
    if !standard::is_publishable_object(object) {
        return Err(Invalid::new(
            at("object"),
            format!("{} cannot be published", object.api_name),
        ));
    }
    let Some(fields) = fields else {
        return Ok(standard::default_published_fields(object));
    };
    if fields.is_empty() {
        return Err(Invalid::new(
            at("fields"),
            "must name at least one field (omit it for the default fields)",
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(fields.len());
    for (i, name) in fields.iter().enumerate() {
        let path = at(&format!("fields[{i}]"));
        let field = object.field(name).ok_or_else(|| {
            Invalid::new(&path, format!("{} has no field {name}", object.api_name))
        })?;
        publishable_field(field).map_err(|reason| Invalid::new(&path, reason))?;
        if checked.contains(name) {
            return Err(Invalid::new(&path, format!("{name} is listed twice")));
        }
        checked.push(name.clone());
    }
    Ok(checked)
}

/// The whole set asked for, each entry checked against `objects` (the org's objects).
pub fn published_set(
    path: &str,
    objects: &[ObjectDef],
    wanted: &[ObjectToPublish],
) -> Result<PublishedSet, Invalid> {
    let mut set = PublishedSet::new();
    for (i, entry) in wanted.iter().enumerate() {
        let entry_path = crate::objects::define::join(path, &format!("[{i}]")).replace(".[", "[");
        let object = object_named(&entry_path, objects, &entry.object)?;
        let fields = fields_of(&entry_path, object, entry.fields.as_deref())?;
        if set.insert(object.api_name.clone(), fields).is_some() {
            return Err(Invalid::new(
                format!("{entry_path}.object"),
                format!("{} is listed twice", entry.object),
            ));
        }
    }
    Ok(set)
}

/// The org's object `name`, or a refusal naming `path.object`.
pub fn object_named<'a>(
    path: &str,
    objects: &'a [ObjectDef],
    name: &str,
) -> Result<&'a ObjectDef, Invalid> {
    objects.iter().find(|o| o.api_name == name).ok_or_else(|| {
        Invalid::new(
            crate::objects::define::join(path, "object"),
            format!("{name} is not an object of your organization"),
        )
    })
}
