//! Reading a configuration document from YAML or JSON, naming the element at fault by its key
//! (`objects[Invoice__c].fields[Amount__c]`) rather than by its position.

use super::document::ConfigDocument;
use super::problems::{ImportError, Problem};
use serde_json::Value;
use shared::strict_json::ObjectsOnly;

/// The document's syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

/// Parses `bytes` as a document. Bad syntax is [`ImportError::Syntax`]; a value of the wrong
/// shape is [`ImportError::Invalid`] with its path.
pub fn parse(bytes: &[u8], format: Format) -> Result<ConfigDocument, ImportError> {
    let value: Value = match format {
        Format::Json => {
            serde_json::from_slice(bytes).map_err(|e| ImportError::Syntax(e.to_string()))?
        }
        Format::Yaml => {
            let yaml: serde_yaml::Value = serde_yaml::from_slice(bytes).map_err(yaml_error)?;
            yaml_to_json(yaml, "")?
        }
    };
    if !value.is_object() {
        return Err(ImportError::Syntax(
            "the document must be a mapping with `version: 1`".to_string(),
        ));
    }
    serde_path_to_error::deserialize(ObjectsOnly(&value)).map_err(|err| {
        let path = named_path(&value, err.path());
        let message = err.into_inner().to_string();
        ImportError::Invalid(vec![Problem::new(path, message)])
    })
}

/// A YAML error: bad syntax (400), or a well-formed value YAML's reader cannot hold, such as an
/// integer beyond 64 bits (422, at the path the message starts with).
fn yaml_error(error: serde_yaml::Error) -> ImportError {
    let message = error.to_string();
    let value_problem = ["invalid type", "invalid value", "out of range"]
        .iter()
        .any(|m| message.contains(m));
    if !value_problem {
        return ImportError::Syntax(message);
    }
    match message.split_once(": ") {
        Some((path, reason)) if !path.contains(' ') => {
            ImportError::Invalid(vec![Problem::new(path, reason)])
        }
        _ => ImportError::Invalid(vec![Problem::new("document", message)]),
    }
}

/// YAML's values as JSON's. Well-formed YAML can hold what JSON cannot (`.inf`, a number out
/// of range, a non-string key): that is a value problem at its path (422), not bad syntax.
fn yaml_to_json(value: serde_yaml::Value, path: &str) -> Result<Value, ImportError> {
    use serde_yaml::Value as Yaml;
    let at = if path.is_empty() { "document" } else { path };
    let invalid = |message: &str| ImportError::Invalid(vec![Problem::new(at, message)]);
    Ok(match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let float = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(float)
                    .map(Value::Number)
                    .ok_or_else(|| invalid("a number out of range (not finite)"))?
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| yaml_to_json(item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(entries) => {
            let mut map = serde_json::Map::new();
            for (key, item) in entries {
                let Yaml::String(key) = key else {
                    return Err(invalid("a mapping key that is not a string"));
                };
                let item_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let item = yaml_to_json(item, &item_path)?;
                map.insert(key, item);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value, path)?,
    })
}

/// The serde path with each list index replaced by the element's key when it has one.
fn named_path(root: &Value, path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    let mut at = Some(root);
    for segment in path.iter() {
        match segment {
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
                at = at.and_then(|v| v.get(key.as_str()));
            }
            Segment::Seq { index } => {
                let element = at.and_then(|v| v.get(*index));
                out.push('[');
                out.push_str(
                    &element
                        .and_then(element_key)
                        .unwrap_or_else(|| index.to_string()),
                );
                out.push(']');
                at = element;
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    if out.is_empty() {
        "document".to_string()
    } else {
        out
    }
}

/// What names a list element in paths: its API name, name, object, field or partner.
pub(crate) fn element_key(element: &Value) -> Option<String> {
    [
        "api_name",
        "name",
        "object",
        "field",
        "partner_name",
        "partner_org_id",
    ]
    .iter()
    .find_map(|k| element.get(*k).and_then(Value::as_str))
    .filter(|s| !s.is_empty())
    .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_type_is_named_by_object_and_field() {
        let yaml = br#"
version: 1
objects:
  - api_name: Invoice__c
    label: Invoice
    fields:
      - api_name: Amount__c
        label: Amount
        type: money
"#;
        let Err(ImportError::Invalid(problems)) = parse(yaml, Format::Yaml) else {
            panic!("invalid");
        };
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .path
                .starts_with("objects[Invoice__c].fields[Amount__c]"),
            "{problems:?}"
        );
    }

    #[test]
    fn json_and_yaml_read_the_same_document() {
        let json = br#"{"version": 1, "templates": [{"name": "T", "active": true}]}"#;
        let yaml = b"version: 1\ntemplates:\n  - name: T\n    active: true\n";
        assert_eq!(
            parse(json, Format::Json).expect("json"),
            parse(yaml, Format::Yaml).expect("yaml")
        );
    }

    #[test]
    fn a_yaml_number_json_cannot_hold_is_a_problem_at_its_path() {
        let yaml = b"version: 1\nobjects:\n  - api_name: A__c\n    min: .inf\n";
        let Err(ImportError::Invalid(problems)) = parse(yaml, Format::Yaml) else {
            panic!("invalid");
        };
        assert_eq!(problems[0].path, "objects[0].min", "{problems:?}");
    }

    #[test]
    fn an_integer_beyond_64_bits_is_a_problem_at_its_path() {
        let yaml =
            b"version: 1\nobjects:\n  - api_name: A__c\n    min: -68625424103284168691023872\n";
        let Err(ImportError::Invalid(problems)) = parse(yaml, Format::Yaml) else {
            panic!("invalid");
        };
        assert_eq!(problems[0].path, "objects[0].min", "{problems:?}");
    }

    #[test]
    fn bad_syntax_is_a_syntax_error() {
        assert!(matches!(
            parse(b"version: [", Format::Yaml),
            Err(ImportError::Syntax(_))
        ));
        assert!(matches!(
            parse(b"[]", Format::Json),
            Err(ImportError::Syntax(_))
        ));
    }
}
