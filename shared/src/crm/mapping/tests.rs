//! Publishability, object mapping, every refused pair, auto-map and picklist value mapping.

use super::*;
use crate::crm::standard;

fn field(api: &str, label: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        api_name: api.into(),
        label: label.into(),
        field_type,
        required: false,
        min: None,
        max: None,
        custom: true,
    }
}

fn custom_object(api: &str, fields: Vec<FieldDef>) -> ObjectDef {
    ObjectDef {
        api_name: api.into(),
        label: api.trim_end_matches("__c").into(),
        custom: true,
        parent: None,
        fields,
    }
}

/// One field type of each kind, with typical parameters.
fn one_of_each() -> Vec<FieldType> {
    vec![
        FieldType::Text { max_length: 80 },
        FieldType::LongText { max_length: 80 },
        FieldType::Number {
            precision: 10,
            scale: 2,
        },
        FieldType::Currency {
            precision: 10,
            scale: 2,
        },
        FieldType::Percent {
            precision: 10,
            scale: 2,
        },
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Checkbox,
        FieldType::Email,
        FieldType::Phone,
        FieldType::Url,
        FieldType::Picklist {
            values: vec!["A".into()],
            restricted: true,
        },
        FieldType::Lookup {
            object: "Account".into(),
        },
        FieldType::RichText { max_length: 80 },
        FieldType::Geolocation,
        FieldType::Encrypted { max_length: 80 },
    ]
}

#[test]
fn type_names_are_the_serde_tags() {
    let names: Vec<&str> = one_of_each().iter().map(type_name).collect();
    assert_eq!(names, TYPE_NAMES);
    for t in one_of_each() {
        let json = serde_json::to_value(&t).expect("serialises");
        assert_eq!(json["type"], type_name(&t));
    }
}

#[test]
fn rich_text_geolocation_and_encrypted_cannot_be_published() {
    for t in one_of_each() {
        let f = field("F__c", "F", t.clone());
        let name = type_name(&t);
        let refused = matches!(name, "rich_text" | "geolocation" | "encrypted");
        match publishable_field(&f) {
            Ok(()) => assert!(!refused, "{name} should be refused"),
            Err(why) => {
                assert!(refused, "{name} should be publishable");
                assert!(why.contains(&name.replace('_', " ")), "{why}");
            }
        }
    }
    // ... and they exist on standard objects too.
    for (object, field) in [
        ("Account", "BillingLocation"),
        ("Contact", "NationalIdentifier"),
        ("Product2", "DisplayDescription"),
    ] {
        let o = standard::object(object).expect("standard");
        let f = o.field(field).expect("field");
        assert!(publishable_field(f).is_err(), "{object}.{field}");
    }
}

#[test]
fn every_pair_not_in_the_table_is_refused_and_every_pair_in_it_accepted() {
    let pairs = compatible_pairs();
    for from in one_of_each() {
        for to in one_of_each() {
            let pair = (type_name(&from), type_name(&to));
            let result = compatible(&from, &to);
            assert_eq!(
                result.is_ok(),
                pairs.contains(&pair),
                "{pair:?}: {result:?}"
            );
            if let Err(why) = result {
                assert!(
                    why.contains(pair.0.split('_').next().unwrap_or("")),
                    "{why}"
                );
            }
        }
    }
}

#[test]
fn a_target_must_hold_every_value_of_its_source() {
    let text = |n| FieldType::Text { max_length: n };
    let long = |n| FieldType::LongText { max_length: n };
    assert!(compatible(&text(80), &text(80)).is_ok());
    assert!(compatible(&text(80), &text(40)).is_err());
    assert!(compatible(&long(1000), &text(255)).is_err());
    assert!(compatible(&long(200), &text(255)).is_ok());
    assert!(compatible(&FieldType::Email, &text(10)).is_ok());
    let num = |precision, scale| FieldType::Number { precision, scale };
    assert!(compatible(&num(10, 2), &num(12, 4)).is_ok());
    assert!(compatible(&num(10, 2), &num(10, 1)).is_err());
    assert!(compatible(&num(10, 2), &num(9, 2)).is_err());
    assert!(compatible(&num(10, 2), &num(10, 3)).is_err());
}

#[test]
fn standard_objects_map_only_to_themselves_custom_to_any_custom() {
    let account = standard::object("Account").expect("standard");
    let contact = standard::object("Contact").expect("standard");
    let invoice = custom_object("Invoice__c", vec![]);
    let bill = custom_object("Bill__c", vec![]);
    assert!(object_mappable(&account, &account).is_ok());
    assert!(object_mappable(&account, &contact).is_err());
    assert!(object_mappable(&account, &invoice).is_err());
    assert!(object_mappable(&invoice, &bill).is_ok());
    assert!(object_mappable(&invoice, &account).is_err());
}

#[test]
fn auto_map_by_name_then_label_never_overwriting() {
    let published = vec![
        field("Name", "Name", FieldType::Text { max_length: 80 }),
        field(
            "Tier__c",
            "Customer Tier",
            FieldType::Text { max_length: 80 },
        ),
        field("Region__c", "Region", FieldType::Text { max_length: 80 }),
        field("Amount__c", "Amount", FieldType::Checkbox),
        field("Kept__c", "Kept", FieldType::Text { max_length: 80 }),
    ];
    let target = custom_object(
        "Bill__c",
        vec![
            field("Name", "Name", FieldType::Text { max_length: 80 }),
            field(
                "Level__c",
                "customer tier ",
                FieldType::Text { max_length: 255 },
            ),
            // Its label matches Region__c, its name is taken by name by nobody: label wins.
            field("Area__c", "REGION", FieldType::Text { max_length: 80 }),
            // Same name but incompatible type: not proposed.
            field("Amount__c", "Amount", FieldType::Text { max_length: 80 }),
            field("Kept__c", "Kept", FieldType::Text { max_length: 80 }),
        ],
    );
    let existing = BTreeMap::from([("Kept__c".to_string(), None)]);
    let mapping = auto_map(&published, &target, &existing);
    let expect = |s: &str, t: Option<&str>| (s.to_string(), t.map(str::to_string));
    assert_eq!(
        mapping,
        BTreeMap::from([
            expect("Name", Some("Name")),
            expect("Tier__c", Some("Level__c")),
            expect("Region__c", Some("Area__c")),
            expect("Amount__c", None),
            expect("Kept__c", None),
        ])
    );
    assert_eq!(check_field_mapping(&published, &target, &mapping), Ok(()));
}

#[test]
fn a_name_match_beats_an_earlier_label_match() {
    // A's label is "B": it must not take target B, which B matches by name.
    let published = vec![
        field("A__c", "B__c", FieldType::Text { max_length: 10 }),
        field("B__c", "Bee", FieldType::Text { max_length: 10 }),
    ];
    let target = custom_object(
        "T__c",
        vec![field("B__c", "B__c", FieldType::Text { max_length: 10 })],
    );
    let mapping = auto_map(&published, &target, &BTreeMap::new());
    assert_eq!(mapping["B__c"].as_deref(), Some("B__c"));
    assert_eq!(mapping["A__c"], None);
}

#[test]
fn an_existing_target_is_not_proposed_again() {
    let published = vec![
        field("A__c", "A", FieldType::Text { max_length: 10 }),
        field("B__c", "B", FieldType::Text { max_length: 10 }),
    ];
    let target = custom_object(
        "T__c",
        vec![field("B__c", "B", FieldType::Text { max_length: 10 })],
    );
    let existing = BTreeMap::from([("A__c".to_string(), Some("B__c".to_string()))]);
    let mapping = auto_map(&published, &target, &existing);
    assert_eq!(mapping["A__c"].as_deref(), Some("B__c"));
    assert_eq!(mapping["B__c"], None);
}

#[test]
fn check_field_mapping_names_the_field_and_the_reason() {
    let published = vec![
        field("A__c", "A", FieldType::Text { max_length: 10 }),
        field("B__c", "B", FieldType::Date),
        field("C__c", "C", FieldType::Text { max_length: 10 }),
    ];
    let target = custom_object(
        "T__c",
        vec![
            field("X__c", "X", FieldType::Text { max_length: 10 }),
            field("Y__c", "Y", FieldType::Checkbox),
        ],
    );
    let m = |pairs: &[(&str, Option<&str>)]| -> BTreeMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(s, t)| (s.to_string(), t.map(str::to_string)))
            .collect()
    };
    let err = |pairs| check_field_mapping(&published, &target, &m(pairs)).expect_err("refused");
    let (f, why) = err(&[("Gone__c", Some("X__c"))]);
    assert_eq!(f, "Gone__c");
    assert!(why.contains("not published"), "{why}");
    let (f, why) = err(&[("A__c", Some("Nope__c"))]);
    assert_eq!(f, "A__c");
    assert!(why.contains("no field Nope__c"), "{why}");
    let (f, why) = err(&[("B__c", Some("Y__c"))]);
    assert_eq!(f, "B__c");
    assert!(
        why.contains("date field cannot be mapped to a checkbox"),
        "{why}"
    );
    let (f, why) = err(&[("A__c", Some("X__c")), ("C__c", Some("X__c"))]);
    assert_eq!(f, "C__c");
    assert!(why.contains("already the target of A__c"), "{why}");
    assert_eq!(
        check_field_mapping(
            &published,
            &target,
            &m(&[("A__c", Some("X__c")), ("B__c", None)])
        ),
        Ok(())
    );
}

#[test]
fn picklist_values_map_value_by_value() {
    let source = field(
        "Stage__c",
        "Stage",
        FieldType::Picklist {
            values: vec!["Open".into(), "Won".into()],
            restricted: true,
        },
    );
    let target = field(
        "Phase__c",
        "Phase",
        FieldType::Picklist {
            values: vec!["New".into(), "Closed".into()],
            restricted: true,
        },
    );
    let values = BTreeMap::from([("Won".to_string(), "Closed".to_string())]);
    assert_eq!(check_picklist_values(&source, &target, &values), Ok(()));
    assert_eq!(translate_picklist("Won", &values), "Closed");
    assert_eq!(translate_picklist("Open", &values), "Open");
    let bad_target = BTreeMap::from([("Won".to_string(), "Done".to_string())]);
    assert_eq!(
        check_picklist_values(&source, &target, &bad_target).map_err(|e| e.0),
        Err("Won".to_string())
    );
    let bad_source = BTreeMap::from([("Lost".to_string(), "Closed".to_string())]);
    assert_eq!(
        check_picklist_values(&source, &target, &bad_source).map_err(|e| e.0),
        Err("Lost".to_string())
    );
}
