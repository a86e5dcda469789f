use super::*;
use shared::crm::standard;

fn field(api_name: &str, label: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        api_name: api_name.into(),
        label: label.into(),
        field_type,
        required: false,
        min: None,
        max: None,
        custom: api_name.ends_with("__c"),
    }
}

fn text(api_name: &str, label: &str) -> FieldDef {
    field(api_name, label, FieldType::Text { max_length: 80 })
}

fn picklist(api_name: &str, values: &[&str]) -> FieldDef {
    field(
        api_name,
        api_name,
        FieldType::Picklist {
            values: values.iter().map(|v| v.to_string()).collect(),
            restricted: false,
        },
    )
}

fn custom(api_name: &str, fields: Vec<FieldDef>) -> ObjectDef {
    ObjectDef {
        api_name: api_name.into(),
        label: api_name.into(),
        custom: true,
        parent: None,
        fields,
    }
}

fn invoice() -> ObjectDef {
    custom(
        "Invoice__c",
        vec![
            text("Name", "Name"),
            text("Ref__c", "Reference"),
            field(
                "Amount__c",
                "Amount",
                FieldType::Number {
                    precision: 10,
                    scale: 2,
                },
            ),
            picklist("Stage__c", &["Open", "Paid"]),
        ],
    )
}

fn bill() -> ObjectDef {
    custom(
        "Bill__c",
        vec![
            text("Name", "Name"),
            text("Code__c", "reference"),
            text("Note__c", "Note"),
            field(
                "Total__c",
                "Total",
                FieldType::Number {
                    precision: 12,
                    scale: 2,
                },
            ),
            picklist("State__c", &["Unpaid", "Settled"]),
        ],
    )
}

fn subscribe(
    published: &ObjectDef,
    target: &ObjectDef,
    stored: Option<&Subscription>,
    request: SubscribeRequest,
) -> Result<Subscription, Invalid> {
    let objects = Objects {
        published,
        published_fields: &published.fields,
        target,
    };
    apply(&objects, stored, &request)
}

fn targets(s: &Subscription) -> Vec<(String, Option<String>)> {
    s.mappings
        .iter()
        .map(|(f, m)| (f.clone(), m.target.clone()))
        .collect()
}

fn pairs(entries: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    entries
        .iter()
        .map(|(f, t)| (f.to_string(), t.map(str::to_string)))
        .collect()
}

#[test]
fn auto_map_goes_by_api_name_then_label_and_keeps_choices_made() {
    let request = SubscribeRequest {
        fields: Some(BTreeMap::from([("Amount__c".to_string(), None)])),
        auto_map: true,
        ..Default::default()
    };
    let made = subscribe(&invoice(), &bill(), None, request).expect("subscribed");
    assert_eq!(
        targets(&made),
        pairs(&[
            ("Amount__c", None),
            ("Name", Some("Name")),
            ("Ref__c", Some("Code__c")),
        ]),
        "Name by API name, Ref__c by label, Amount__c left unmapped as chosen; Stage__c undecided"
    );
    let again = SubscribeRequest {
        fields: Some(BTreeMap::from([(
            "Ref__c".to_string(),
            Some("Note__c".to_string()),
        )])),
        auto_map: true,
        ..Default::default()
    };
    let changed = subscribe(&invoice(), &bill(), Some(&made), again).expect("changed");
    assert_eq!(
        changed.mappings["Ref__c"].target.as_deref(),
        Some("Note__c")
    );
    assert_eq!(changed.mappings["Amount__c"].target, None, "null stays");
}

#[test]
fn an_incompatible_pair_is_refused_naming_the_field_and_both_types() {
    let request = SubscribeRequest {
        fields: Some(BTreeMap::from([(
            "Ref__c".to_string(),
            Some("Total__c".to_string()),
        )])),
        ..Default::default()
    };
    let err = subscribe(&invoice(), &bill(), None, request).expect_err("refused");
    assert_eq!(err.field, "fields.Ref__c");
    assert!(
        err.reason.contains("text") && err.reason.contains("number"),
        "{err}"
    );
}

#[test]
fn a_standard_object_maps_only_to_itself_and_a_custom_one_only_to_a_custom_one() {
    let account = standard::object("Account").expect("Account");
    let contact = standard::object("Contact").expect("Contact");
    let err = subscribe(&account, &contact, None, SubscribeRequest::default()).expect_err("no");
    assert_eq!(err.field, "target_object");
    let err = subscribe(&invoice(), &account, None, SubscribeRequest::default()).expect_err("no");
    assert_eq!(err.field, "target_object");
    assert!(subscribe(&account, &account, None, SubscribeRequest::default()).is_ok());
    assert_eq!(
        target_name(&invoice(), None, &SubscribeRequest::default())
            .expect_err("required")
            .field,
        "target_object"
    );
}

#[test]
fn picklist_values_map_only_between_picklists_and_only_known_values() {
    let with_values = |values: &[(&str, &str)]| SubscribeRequest {
        fields: Some(BTreeMap::from([
            ("Stage__c".to_string(), Some("State__c".to_string())),
            ("Ref__c".to_string(), Some("Code__c".to_string())),
        ])),
        picklist_values: Some(BTreeMap::from([(
            "Stage__c".to_string(),
            values
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )])),
        ..Default::default()
    };
    let made = subscribe(
        &invoice(),
        &bill(),
        None,
        with_values(&[("Paid", "Settled")]),
    )
    .expect("mapped");
    assert_eq!(made.mappings["Stage__c"].picklist_values["Paid"], "Settled");
    let err = subscribe(
        &invoice(),
        &bill(),
        None,
        with_values(&[("Lost", "Settled")]),
    )
    .expect_err("unknown published value");
    assert_eq!(err.field, "picklist_values.Stage__c.Lost");
    let err = subscribe(&invoice(), &bill(), None, with_values(&[("Paid", "Done")]))
        .expect_err("unknown target value");
    assert_eq!(err.field, "picklist_values.Stage__c.Paid");
    let mut on_text = with_values(&[]);
    on_text.picklist_values = Some(BTreeMap::from([("Ref__c".to_string(), BTreeMap::new())]));
    let err = subscribe(&invoice(), &bill(), None, on_text).expect_err("not picklists");
    assert_eq!(err.field, "picklist_values.Ref__c");
}

#[test]
fn a_child_object_cannot_be_auto_accepted() {
    let line = standard::object("OpportunityLineItem").expect("Opportunity Product");
    let request = SubscribeRequest {
        auto_accept: Some(true),
        ..Default::default()
    };
    let err = subscribe(&line, &line, None, request).expect_err("refused");
    assert_eq!(err.field, "auto_accept");
}

#[test]
fn a_field_no_longer_published_keeps_its_problem_and_cannot_be_mapped_again() {
    let published = invoice();
    let still: Vec<FieldDef> = published
        .fields
        .iter()
        .filter(|f| f.api_name != "Ref__c")
        .cloned()
        .collect();
    let stored = Subscription {
        target_object: "Bill__c".into(),
        auto_accept: false,
        sync_deletes: false,
        mappings: BTreeMap::from([(
            "Ref__c".to_string(),
            Mapping {
                target: Some("Code__c".into()),
                picklist_values: BTreeMap::new(),
                problem: Some("Acme stopped publishing Ref__c".into()),
            },
        )]),
    };
    let objects = Objects {
        published: &published,
        published_fields: &still,
        target: &bill(),
    };
    let remap = SubscribeRequest {
        fields: Some(BTreeMap::from([(
            "Ref__c".to_string(),
            Some("Note__c".to_string()),
        )])),
        ..Default::default()
    };
    let err = apply(&objects, Some(&stored), &remap).expect_err("refused");
    assert_eq!(err.field, "fields.Ref__c");
    assert_eq!(err.reason, "Acme stopped publishing Ref__c");
    let untouched = apply(&objects, Some(&stored), &SubscribeRequest::default()).expect("kept");
    assert_eq!(
        untouched.mappings, stored.mappings,
        "the problem stays visible"
    );
    let let_go = SubscribeRequest {
        fields: Some(BTreeMap::from([("Ref__c".to_string(), None)])),
        ..Default::default()
    };
    let cleared = apply(&objects, Some(&stored), &let_go).expect("cleared");
    assert!(cleared.mappings.is_empty());
}
