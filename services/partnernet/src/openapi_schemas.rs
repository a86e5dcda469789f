//! Schema fixes the generator cannot express. `#[serde(flatten)]` of a struct that denies unknown
//! fields comes out as `allOf: [{$ref: closed object}, {more properties}]`, which no value can
//! satisfy (the closed object forbids the other properties): such a schema is merged into one
//! object with the properties and required fields of both.

use serde_json::{Map, Value};

/// Merges every unsatisfiable `allOf` of the document's component schemas.
pub fn merge_closed_all_of(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let Some(targets) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for schema in targets.values_mut() {
        if let Some(merged) = merged(schema, &schemas) {
            *schema = merged;
        }
    }
}

fn merged(schema: &Value, schemas: &Map<String, Value>) -> Option<Value> {
    let parts = schema.get("allOf")?.as_array()?;
    let resolved: Vec<&Value> = parts
        .iter()
        .map(|part| match part.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .strip_prefix("#/components/schemas/")
                .and_then(|name| schemas.get(name)),
            None => Some(part),
        })
        .collect::<Option<_>>()?;
    let closed = resolved
        .iter()
        .any(|part| part.get("additionalProperties") == Some(&Value::Bool(false)));
    if !closed || resolved.iter().any(|p| p.get("properties").is_none()) {
        return None;
    }
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for part in resolved {
        if let Some(props) = part.get("properties").and_then(Value::as_object) {
            properties.extend(props.clone());
        }
        for name in part
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !required.contains(name) {
                required.push(name.clone());
            }
        }
    }
    let mut object = Map::new();
    object.insert("type".into(), "object".into());
    if let Some(description) = schema.get("description") {
        object.insert("description".into(), description.clone());
    }
    object.insert("required".into(), Value::Array(required));
    object.insert("properties".into(), Value::Object(properties));
    object.insert("additionalProperties".into(), Value::Bool(false));
    Some(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::merge_closed_all_of;
    use serde_json::json;

    #[test]
    fn a_flattened_closed_object_becomes_one_object_with_every_property() {
        let mut doc = json!({ "components": { "schemas": {
            "Set": { "type": "object", "additionalProperties": false, "required": ["subject"],
                     "properties": { "subject": { "type": "string" } } },
            "View": { "description": "d", "allOf": [
                { "$ref": "#/components/schemas/Set" },
                { "type": "object", "required": ["kind"], "properties": { "kind": { "type": "string" } } }
            ] }
        } } });
        merge_closed_all_of(&mut doc);
        let view = &doc["components"]["schemas"]["View"];
        assert!(view.get("allOf").is_none());
        assert_eq!(view["required"], json!(["subject", "kind"]));
        assert_eq!(view["properties"]["kind"]["type"], "string");
        assert_eq!(view["description"], "d");
    }
}
