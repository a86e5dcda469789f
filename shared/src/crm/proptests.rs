//! Property tests of the object model: validation never panics and its output is a fixed point;
//! auto-map keeps every choice already made, uses each target once, proposes only compatible
//! pairs, and what it returns passes the mapping check.

use super::field::{FieldDef, FieldType};
use super::mapping::{auto_map, check_field_mapping, compatible};
use super::object::ObjectDef;
use super::standard;
use super::values::{WriteKind, validate};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,9}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn date() -> BoxedStrategy<Value> {
    (1900i32..2100, 1u32..13, 1u32..32)
        .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}")))
        .boxed()
}

fn datetime() -> BoxedStrategy<Value> {
    (
        1900i32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        -14i32..15,
        0u32..1000,
    )
        .prop_map(|(y, mo, d, h, off, ms)| {
            let sign = if off < 0 { '-' } else { '+' };
            json!(format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:30:15.{ms:03}{sign}{:02}:00",
                off.abs()
            ))
        })
        .boxed()
}

fn email() -> BoxedStrategy<Value> {
    "[a-zA-Z]{1,8}@[a-zA-Z]{1,8}\\.[a-z]{2,3}"
        .prop_map(Value::String)
        .boxed()
}

fn phone() -> BoxedStrategy<Value> {
    "\\+?[0-9 ()-]{3,20}".prop_map(Value::String).boxed()
}

fn url() -> BoxedStrategy<Value> {
    "https?://[a-z]{1,10}\\.[a-z]{2,3}(/[a-z]{0,5})?"
        .prop_map(Value::String)
        .boxed()
}

fn checkbox() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        Just(json!("TRUE")),
        Just(json!("false"))
    ]
    .boxed()
}

fn geolocation() -> BoxedStrategy<Value> {
    (-90.0f64..=90.0, -180.0f64..=180.0)
        .prop_map(|(lat, lon)| json!({"latitude": lat, "longitude": lon}))
        .boxed()
}

/// Values that are often valid for some field type, so canonical forms get exercised.
fn plausible_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any_json(),
        (any::<i32>(), 0u32..1000).prop_map(|(i, f)| json!(format!("{i}.{f}"))),
        (-1000.0f64..1000.0).prop_map(Value::from),
        date(),
        datetime(),
        email(),
        phone(),
        url(),
        checkbox(),
        geolocation(),
    ]
}

fn field_type() -> impl Strategy<Value = FieldType> {
    let digits = (1u8..=18).prop_flat_map(|p| (Just(p), 0..=p));
    prop_oneof![
        (1u32..300).prop_map(|max_length| FieldType::Text { max_length }),
        (1u32..300).prop_map(|max_length| FieldType::LongText { max_length }),
        digits
            .clone()
            .prop_map(|(precision, scale)| FieldType::Number { precision, scale }),
        digits
            .clone()
            .prop_map(|(precision, scale)| FieldType::Currency { precision, scale }),
        digits.prop_map(|(precision, scale)| FieldType::Percent { precision, scale }),
        Just(FieldType::Date),
        Just(FieldType::Datetime),
        Just(FieldType::Checkbox),
        Just(FieldType::Email),
        Just(FieldType::Phone),
        Just(FieldType::Url),
        (
            prop::collection::vec("[A-Z][a-z]{0,5}", 1..4),
            any::<bool>()
        )
            .prop_map(|(values, restricted)| FieldType::Picklist { values, restricted }),
        Just(FieldType::Lookup {
            object: "Account".into()
        }),
        (1u32..300).prop_map(|max_length| FieldType::RichText { max_length }),
        Just(FieldType::Geolocation),
        (1u32..175).prop_map(|max_length| FieldType::Encrypted { max_length }),
    ]
}

const NAMES: [&str; 8] = [
    "Name", "A__c", "B__c", "C__c", "D__c", "E__c", "F__c", "G__c",
];
const LABELS: [&str; 5] = ["Name", "Alpha", "alpha ", "Beta", "Gamma"];

/// Fields with distinct API names drawn from [`NAMES`] and labels from [`LABELS`].
fn fields() -> impl Strategy<Value = Vec<FieldDef>> {
    prop::sample::subsequence(NAMES.to_vec(), 0..=NAMES.len()).prop_flat_map(|names| {
        let n = names.len();
        (
            Just(names),
            prop::collection::vec(
                (
                    prop::sample::select(LABELS.to_vec()),
                    field_type(),
                    any::<bool>(),
                ),
                n,
            ),
        )
            .prop_map(|(names, rest)| {
                names
                    .into_iter()
                    .zip(rest)
                    .map(|(name, (label, field_type, required))| FieldDef {
                        api_name: name.into(),
                        label: label.into(),
                        field_type,
                        required,
                        min: None,
                        max: None,
                        custom: true,
                    })
                    .collect()
            })
    })
}

fn custom_object(fields: Vec<FieldDef>) -> ObjectDef {
    ObjectDef {
        api_name: "T__c".into(),
        label: "T".into(),
        custom: true,
        parent: None,
        fields,
    }
}

/// Any standard object, or a random custom one.
fn object() -> impl Strategy<Value = ObjectDef> {
    prop_oneof![
        prop::sample::select(standard::objects()),
        fields().prop_map(custom_object),
    ]
}

/// A value that is often valid for a field of this type, sometimes not.
fn value_of_type(field_type: &FieldType) -> BoxedStrategy<Value> {
    let typed: BoxedStrategy<Value> = match field_type.clone() {
        FieldType::Text { max_length }
        | FieldType::LongText { max_length }
        | FieldType::RichText { max_length }
        | FieldType::Encrypted { max_length } => {
            prop::collection::vec(any::<char>(), 0..(max_length as usize + 2).min(40))
                .prop_map(|c| Value::String(c.into_iter().collect()))
                .boxed()
        }
        FieldType::Number { precision, scale }
        | FieldType::Currency { precision, scale }
        | FieldType::Percent { precision, scale } => {
            let int_digits = u32::from(precision - scale).min(15);
            let limit = 10i64.pow(int_digits);
            let frac = 10i64.pow(u32::from(scale).min(3));
            (-limit + 1..limit.max(1), 0..frac, any::<bool>())
                .prop_map(move |(i, f, as_text)| {
                    let text = if scale == 0 {
                        i.to_string()
                    } else {
                        format!("{i}.{f}")
                    };
                    if as_text {
                        Value::String(text)
                    } else {
                        text.parse::<f64>().map_or(Value::Null, Value::from)
                    }
                })
                .boxed()
        }
        FieldType::Picklist { values, .. } => prop_oneof![
            prop::sample::select(values).prop_map(|v| json!(v.to_lowercase())),
            "[A-Za-z ]{0,8}".prop_map(Value::String),
        ]
        .boxed(),
        FieldType::Lookup { .. } => "[0-9A-Za-z]{0,18}".prop_map(Value::String).boxed(),
        FieldType::Date => date(),
        FieldType::Datetime => datetime(),
        FieldType::Checkbox => checkbox(),
        FieldType::Email => email(),
        FieldType::Phone => phone(),
        FieldType::Url => url(),
        FieldType::Geolocation => geolocation(),
    };
    prop_oneof![30 => typed, 1 => plausible_value()].boxed()
}

/// Values for some of the object's fields (most of the required ones), and now and then a key
/// it does not have.
fn values_for(object: &ObjectDef) -> impl Strategy<Value = Map<String, Value>> + use<> {
    let known: Vec<_> = object
        .fields
        .iter()
        .map(|f| {
            let name = f.api_name.clone();
            prop::option::weighted(
                if f.required { 0.95 } else { 0.5 },
                value_of_type(&f.field_type),
            )
            .prop_map(move |v| v.map(|v| (name.clone(), v)))
        })
        .collect();
    let unknown = prop::collection::vec(("[A-Za-z_]{1,6}", any_json()), 0..2);
    (known, prop_oneof![9 => Just(vec![]), 1 => unknown]).prop_map(|(known, unknown)| {
        known
            .into_iter()
            .flatten()
            .chain(unknown)
            .collect::<Map<String, Value>>()
    })
}

fn kind() -> impl Strategy<Value = WriteKind> {
    prop_oneof![Just(WriteKind::Create), Just(WriteKind::Update)]
}

/// A mapping of some published fields, each valid on its own and with distinct targets, as a
/// subscriber could have saved it.
fn valid_existing(
    published: &[FieldDef],
    target: &ObjectDef,
    picks: &[(usize, Option<usize>)],
) -> BTreeMap<String, Option<String>> {
    let mut existing = BTreeMap::new();
    let mut used = BTreeSet::new();
    for (source, choice) in picks {
        let Some(source) = published.get(source % published.len().max(1)) else {
            continue;
        };
        let choice = choice.and_then(|c| target.fields.get(c % target.fields.len().max(1)));
        match choice {
            None => {
                existing.insert(source.api_name.clone(), None);
            }
            Some(t)
                if !used.contains(&t.api_name)
                    && !existing.contains_key(&source.api_name)
                    && compatible(&source.field_type, &t.field_type).is_ok() =>
            {
                used.insert(t.api_name.clone());
                existing.insert(source.api_name.clone(), Some(t.api_name.clone()));
            }
            Some(_) => {}
        }
    }
    existing
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validate_never_panics(
        object in object(),
        values in prop::collection::btree_map(".{0,10}", any_json(), 0..6),
        kind in kind(),
    ) {
        let values: Map<String, Value> = values.into_iter().collect();
        let _ = validate(&object, &values, kind);
    }

    #[test]
    fn canonical_values_validate_to_themselves(
        (object, values) in object().prop_flat_map(|o| {
            let v = values_for(&o);
            (Just(o), v)
        }),
        kind in kind(),
    ) {
        if let Ok(canonical) = validate(&object, &values, kind) {
            prop_assert_eq!(validate(&object, &canonical, kind), Ok(canonical.clone()));
            // Only fields that were sent come back.
            prop_assert!(canonical.keys().all(|k| values.contains_key(k)));
        }
    }

    #[test]
    fn auto_map_keeps_choices_uses_targets_once_and_only_compatible_pairs(
        published in fields(),
        target in fields().prop_map(custom_object),
        picks in prop::collection::vec((0usize..8, prop::option::of(0usize..8)), 0..5),
    ) {
        let existing = valid_existing(&published, &target, &picks);
        let mapping = auto_map(&published, &target, &existing);
        for (k, v) in &existing {
            prop_assert_eq!(mapping.get(k), Some(v), "existing choice for {} kept", k);
        }
        for f in &published {
            prop_assert!(mapping.contains_key(&f.api_name), "{} has an entry", f.api_name);
        }
        let mut used = BTreeSet::new();
        for (source, chosen) in &mapping {
            if let Some(t) = chosen {
                prop_assert!(used.insert(t.clone()), "{} used twice", t);
                if !existing.contains_key(source) {
                    let s = published.iter().find(|f| &f.api_name == source);
                    let tf = target.field(t);
                    prop_assert!(s.is_some() && tf.is_some());
                    if let (Some(s), Some(tf)) = (s, tf) {
                        prop_assert!(compatible(&s.field_type, &tf.field_type).is_ok());
                    }
                }
            }
        }
        prop_assert_eq!(check_field_mapping(&published, &target, &mapping), Ok(()));
    }

    #[test]
    fn auto_map_matches_a_same_named_compatible_free_target(
        published in fields(),
        target in fields().prop_map(custom_object),
    ) {
        let mapping = auto_map(&published, &target, &BTreeMap::new());
        for f in &published {
            if let Some(t) = target.field(&f.api_name)
                && compatible(&f.field_type, &t.field_type).is_ok()
            {
                prop_assert_eq!(mapping[&f.api_name].as_deref(), Some(t.api_name.as_str()));
            }
        }
    }
}
