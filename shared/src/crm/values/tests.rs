//! One test per rule of `validate`.

use super::*;
use crate::crm::standard;
use serde_json::json;

fn obj(name: &str) -> ObjectDef {
    standard::object(name).expect("standard object")
}

fn map(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

fn violation(object: &str, values: Value, kind: WriteKind) -> (String, &'static str) {
    let e = validate(&obj(object), &map(values), kind).expect_err("should be refused");
    (e.field, e.rule)
}

fn ok(object: &str, values: Value, kind: WriteKind) -> Value {
    Value::Object(validate(&obj(object), &map(values), kind).expect("valid"))
}

#[test]
fn a_valid_account_comes_back_canonical() {
    let out = ok(
        "Account",
        json!({"Name": "Acme", "AnnualRevenue": "1200.50", "NumberOfEmployees": 12,
               "Website": "https://acme.example", "Rating": "hot", "Phone": "+1 (555) 010-2000"}),
        WriteKind::Create,
    );
    assert_eq!(
        out,
        json!({"Name": "Acme", "AnnualRevenue": 1200.5, "NumberOfEmployees": 12,
               "Website": "https://acme.example", "Rating": "Hot", "Phone": "+1 (555) 010-2000"})
    );
}

#[test]
fn required_on_create_and_update() {
    assert_eq!(
        violation("Account", json!({}), WriteKind::Create),
        ("Name".into(), "required")
    );
    assert_eq!(ok("Account", json!({}), WriteKind::Update), json!({}));
    assert_eq!(
        violation("Account", json!({"Name": null}), WriteKind::Update),
        ("Name".into(), "required")
    );
    assert_eq!(
        violation("Account", json!({"Name": "  "}), WriteKind::Update),
        ("Name".into(), "required")
    );
}

#[test]
fn unknown_and_system_fields_are_refused() {
    assert_eq!(
        violation(
            "Account",
            json!({"Name": "A", "Nmae": "B"}),
            WriteKind::Create
        ),
        ("Nmae".into(), "unknown_field")
    );
    assert_eq!(
        violation(
            "Account",
            json!({"Name": "A", "Id": "x"}),
            WriteKind::Create
        ),
        ("Id".into(), "read_only")
    );
}

/// A custom object with one field of each kind the standard objects lack.
fn custom() -> ObjectDef {
    let field = |api: &str, field_type: FieldType| FieldDef {
        api_name: api.into(),
        label: api.into(),
        field_type,
        required: false,
        min: None,
        max: None,
        custom: true,
    };
    let mut score = field(
        "Score__c",
        FieldType::Number {
            precision: 5,
            scale: 2,
        },
    );
    score.min = Some(-10.0);
    score.max = Some(100.0);
    ObjectDef {
        api_name: "Invoice__c".into(),
        label: "Invoice".into(),
        custom: true,
        parent: None,
        fields: vec![
            field("Code__c", FieldType::Text { max_length: 5 }),
            field("Notes__c", FieldType::LongText { max_length: 10 }),
            score,
            field(
                "Tier__c",
                FieldType::Picklist {
                    values: vec!["Gold".into(), "Silver".into()],
                    restricted: false,
                },
            ),
            field("Due__c", FieldType::Datetime),
            field("Where__c", FieldType::Geolocation),
            field("Html__c", FieldType::RichText { max_length: 8 }),
            field("Secret__c", FieldType::Encrypted { max_length: 4 }),
        ],
    }
}

fn custom_check(values: Value) -> Result<Value, (String, &'static str)> {
    validate(&custom(), &map(values), WriteKind::Update)
        .map(Value::Object)
        .map_err(|e| (e.field, e.rule))
}

fn rule_of(values: Value) -> &'static str {
    custom_check(values).expect_err("should be refused").1
}

#[test]
fn text_lengths_count_characters() {
    assert!(custom_check(json!({"Code__c": "ééééé"})).is_ok());
    assert_eq!(rule_of(json!({"Code__c": "abcdef"})), "max_length");
    assert_eq!(rule_of(json!({"Notes__c": "x".repeat(11)})), "max_length");
    assert_eq!(rule_of(json!({"Html__c": "<b>bold</b>"})), "max_length");
    assert_eq!(rule_of(json!({"Secret__c": "12345"})), "max_length");
    assert_eq!(rule_of(json!({"Code__c": 12})), "type");
    assert_eq!(
        custom_check(json!({"Code__c": ""})),
        Ok(json!({"Code__c": null}))
    );
}

#[test]
fn numbers_have_precision_scale_and_range() {
    assert_eq!(
        custom_check(json!({"Score__c": "99.50"})),
        Ok(json!({"Score__c": 99.5}))
    );
    assert_eq!(
        custom_check(json!({"Score__c": 7.0})),
        Ok(json!({"Score__c": 7}))
    );
    assert_eq!(
        custom_check(json!({"Score__c": "-0.25"})),
        Ok(json!({"Score__c": -0.25}))
    );
    assert_eq!(rule_of(json!({"Score__c": 1.234})), "precision");
    // A fraction a double cannot hold becomes the integer it rounds to (found by proptest).
    let price = json!({"UnitPrice": "-140737488355328.99"});
    let entry = obj("PricebookEntry");
    let out = validate(&entry, &map(price), WriteKind::Update).expect("valid");
    assert_eq!(
        Value::Object(out),
        json!({"UnitPrice": -140737488355329i64})
    );
    assert_eq!(rule_of(json!({"Score__c": 1234})), "precision");
    assert_eq!(rule_of(json!({"Score__c": 100.01})), "number_range");
    assert_eq!(rule_of(json!({"Score__c": -10.5})), "number_range");
    for bad in [
        json!("12a"),
        json!("1e3"),
        json!(true),
        json!([1]),
        json!("."),
        json!("-"),
    ] {
        assert_eq!(rule_of(json!({ "Score__c": bad })), "type", "{bad}");
    }
}

#[test]
fn currency_and_percent_follow_the_number_rules() {
    let opp = json!({"Name": "Deal", "CloseDate": "2026-12-01", "StageName": "Prospecting"});
    let with = |k: &str, v: Value| {
        let mut o = opp.clone();
        o[k] = v;
        o
    };
    assert_eq!(
        ok(
            "Opportunity",
            with("Amount", json!("1000.10")),
            WriteKind::Create
        )["Amount"],
        json!(1000.1)
    );
    assert_eq!(
        violation(
            "Opportunity",
            with("Amount", json!(1.001)),
            WriteKind::Create
        ),
        ("Amount".into(), "precision")
    );
    assert_eq!(
        violation(
            "Opportunity",
            with("Probability", json!(101)),
            WriteKind::Create
        ),
        ("Probability".into(), "number_range")
    );
}

#[test]
fn dates_and_datetimes() {
    let with = |date: Value| json!({"Name": "D", "CloseDate": date, "StageName": "Closed Won"});
    assert_eq!(
        ok(
            "Opportunity",
            with(json!(" 2026-02-28 ")),
            WriteKind::Create
        )["CloseDate"],
        json!("2026-02-28")
    );
    for bad in [
        "2026-02-30",
        "2026-2-3",
        "26-02-03",
        "2026/02/03",
        "2026-02-03T00:00:00Z",
    ] {
        assert_eq!(
            violation("Opportunity", with(json!(bad)), WriteKind::Create),
            ("CloseDate".into(), "format"),
            "{bad}"
        );
    }
    assert_eq!(
        custom_check(json!({"Due__c": "2026-11-24T10:30:00+02:00"})),
        Ok(json!({"Due__c": "2026-11-24T08:30:00Z"}))
    );
    assert_eq!(
        custom_check(json!({"Due__c": "2026-11-24T10:30:00.250Z"})),
        Ok(json!({"Due__c": "2026-11-24T10:30:00.250Z"}))
    );
    assert_eq!(rule_of(json!({"Due__c": "2026-11-24"})), "format");
    assert_eq!(rule_of(json!({"Due__c": 1_700_000_000})), "type");
}

#[test]
fn checkbox_email_phone_url() {
    let contact = |k: &str, v: Value| json!({"LastName": "Doe", k: v});
    assert_eq!(
        ok(
            "Contact",
            contact("HasOptedOutOfEmail", json!("TRUE")),
            WriteKind::Create
        )["HasOptedOutOfEmail"],
        json!(true)
    );
    assert_eq!(
        violation(
            "Contact",
            contact("HasOptedOutOfEmail", json!("yes")),
            WriteKind::Create
        ),
        ("HasOptedOutOfEmail".into(), "type")
    );
    assert_eq!(
        ok(
            "Contact",
            contact("Email", json!(" Ann@Example.COM ")),
            WriteKind::Create
        )["Email"],
        json!("Ann@example.com")
    );
    for bad in ["ann", "ann@", "ann@localhost", "a b@example.com"] {
        assert_eq!(
            violation("Contact", contact("Email", json!(bad)), WriteKind::Create),
            ("Email".into(), "format"),
            "{bad}"
        );
    }
    let long = format!("{}@example.com", "a".repeat(70));
    assert_eq!(
        violation("Contact", contact("Email", json!(long)), WriteKind::Create),
        ("Email".into(), "max_length")
    );
    for good in ["+1 555 0100 ext. 3", "555-0100 x12", "(030) 1234/56"] {
        assert!(
            validate(
                &obj("Contact"),
                &map(contact("Phone", json!(good))),
                WriteKind::Create
            )
            .is_ok(),
            "{good}"
        );
    }
    for bad in ["12", "call me", "555 0100 ext", "555 0100 x1a", "ext 12"] {
        assert_eq!(
            violation("Contact", contact("Phone", json!(bad)), WriteKind::Create),
            ("Phone".into(), "format"),
            "{bad}"
        );
    }
    let account = |url: &str| json!({"Name": "A", "Website": url});
    for good in [
        "http://a.example",
        "https://a.example:8443/x?y#z",
        "https://[::1]/",
    ] {
        assert!(
            validate(&obj("Account"), &map(account(good)), WriteKind::Create).is_ok(),
            "{good}"
        );
    }
    for bad in [
        "a.example",
        "ftp://a.example",
        "https://",
        "https://a b",
        "https://a.example:99999",
    ] {
        assert_eq!(
            violation("Account", account(bad), WriteKind::Create),
            ("Website".into(), "format"),
            "{bad}"
        );
    }
}

#[test]
fn picklists_restricted_or_not() {
    let lead = |status: &str| json!({"LastName": "L", "Company": "C", "Status": status});
    assert_eq!(
        ok("Lead", lead("working - contacted"), WriteKind::Create)["Status"],
        json!("Working - Contacted")
    );
    assert_eq!(
        violation("Lead", lead("Maybe"), WriteKind::Create),
        ("Status".into(), "restricted_picklist")
    );
    assert_eq!(
        custom_check(json!({"Tier__c": "Bronze"})),
        Ok(json!({"Tier__c": "Bronze"}))
    );
    assert_eq!(rule_of(json!({"Tier__c": 3})), "type");
}

#[test]
fn lookups_are_non_empty_ids() {
    let contact = |id: Value| json!({"LastName": "Doe", "AccountId": id});
    assert_eq!(
        ok("Contact", contact(json!(" 001A ")), WriteKind::Create)["AccountId"],
        json!("001A")
    );
    assert_eq!(
        ok("Contact", contact(json!("")), WriteKind::Create)["AccountId"],
        Value::Null
    );
    assert_eq!(
        violation("Contact", contact(json!(1)), WriteKind::Create),
        ("AccountId".into(), "type")
    );
    assert_eq!(
        violation(
            "Contact",
            contact(json!("x".repeat(256))),
            WriteKind::Create
        ),
        ("AccountId".into(), "max_length")
    );
}

#[test]
fn geolocation_is_latitude_and_longitude_in_range() {
    assert_eq!(
        custom_check(json!({"Where__c": {"latitude": 48, "longitude": 2.35}})),
        Ok(json!({"Where__c": {"latitude": 48.0, "longitude": 2.35}}))
    );
    assert_eq!(
        rule_of(json!({"Where__c": {"latitude": 91, "longitude": 0}})),
        "number_range"
    );
    assert_eq!(
        rule_of(json!({"Where__c": {"latitude": 0, "longitude": -180.5}})),
        "number_range"
    );
    for bad in [
        json!({"latitude": 1}),
        json!({"latitude": 1, "longitude": 2, "altitude": 3}),
        json!({"latitude": "1", "longitude": 2}),
        json!([1, 2]),
    ] {
        assert_eq!(rule_of(json!({ "Where__c": bad })), "type", "{bad}");
    }
}

#[test]
fn the_first_violation_in_field_order_is_returned() {
    let e = validate(
        &obj("Account"),
        &map(json!({"Website": "nope", "Name": "x".repeat(300)})),
        WriteKind::Create,
    )
    .expect_err("refused");
    assert_eq!((e.field.as_str(), e.rule), ("Name", "max_length"));
    assert!(e.to_string().starts_with("Name: "), "{e}");
}
