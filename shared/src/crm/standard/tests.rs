//! The standard objects as the design note (§3) and the issue describe them.

use super::*;
use crate::crm::mapping::publishable_field;
use std::collections::BTreeSet;

fn get(name: &str) -> ObjectDef {
    object(name).expect("a standard object")
}

#[test]
fn the_twelve_standard_objects() {
    let names: Vec<String> = objects().into_iter().map(|o| o.api_name).collect();
    assert_eq!(
        names,
        [
            "Account",
            "Contact",
            "Lead",
            "Opportunity",
            "OpportunityLineItem",
            "Product2",
            "Pricebook2",
            "PricebookEntry",
            "Case",
            "CaseComment",
            "Task",
            "Attachment"
        ]
    );
    assert_eq!(get("OpportunityLineItem").label, "Opportunity Product");
    assert_eq!(get("Pricebook2").label, "Price Book");
    assert!(is_standard("Case"));
    assert!(!is_standard("Invoice__c"));
    assert!(
        objects()
            .iter()
            .all(|o| !o.custom && o.fields.iter().all(|f| !f.custom))
    );
}

#[test]
fn names_and_labels_are_unique_within_an_object() {
    for o in objects() {
        let names: BTreeSet<&str> = o.fields.iter().map(|f| f.api_name.as_str()).collect();
        let labels: BTreeSet<String> = o.fields.iter().map(|f| f.label.to_lowercase()).collect();
        assert_eq!(names.len(), o.fields.len(), "{}", o.api_name);
        // Auto-map matches labels: two equal labels would make it ambiguous.
        assert_eq!(labels.len(), o.fields.len(), "{}", o.api_name);
    }
}

#[test]
fn default_published_fields_are_the_design_notes() {
    let expected: [(&str, &[&str]); 12] = [
        ("Account", &["Name"]),
        ("Contact", &["LastName"]),
        ("Lead", &["LastName", "Company"]),
        ("Opportunity", &["Name", "CloseDate", "StageName"]),
        ("OpportunityLineItem", &["Quantity", "UnitPrice"]),
        ("Product2", &["Name"]),
        ("Pricebook2", &[]),
        ("PricebookEntry", &[]),
        ("Case", &["Subject"]),
        ("CaseComment", &["CommentBody", "IsPublished"]),
        ("Task", &["Subject"]),
        ("Attachment", &["Body", "ContentType", "Name"]),
    ];
    for (name, fields) in expected {
        let o = get(name);
        assert_eq!(default_published_fields(&o), fields, "{name}");
        for f in fields {
            let field = o.field(f).expect("a default field exists");
            assert_eq!(publishable_field(field), Ok(()), "{name}.{f}");
        }
    }
    let mut invoice = ObjectDef {
        api_name: "Invoice__c".into(),
        label: "Invoice".into(),
        custom: true,
        parent: None,
        fields: vec![],
    };
    assert!(default_published_fields(&invoice).is_empty());
    invoice.fields.push(text("Name", "Invoice Name", 80));
    assert_eq!(default_published_fields(&invoice), ["Name"]);
}

#[test]
fn price_books_cannot_be_published_everything_else_can() {
    for o in objects() {
        let expected = !matches!(o.api_name.as_str(), "Pricebook2" | "PricebookEntry");
        assert_eq!(is_publishable_object(&o), expected, "{}", o.api_name);
    }
    // A custom object named like a standard one is still custom (and publishable).
    let mut custom = get("Pricebook2");
    custom.custom = true;
    assert!(is_publishable_object(&custom));
}

#[test]
fn child_objects_and_their_parents() {
    let parents: Vec<(String, Option<String>)> = objects()
        .into_iter()
        .map(|o| (o.api_name, o.parent))
        .collect();
    for (name, parent) in parents {
        let expected = match name.as_str() {
            "OpportunityLineItem" => Some("Opportunity"),
            "PricebookEntry" => Some("Pricebook2"),
            "CaseComment" => Some("Case"),
            "Task" | "Attachment" => Some(ANY_PARENT),
            _ => None,
        };
        assert_eq!(parent.as_deref(), expected, "{name}");
    }
}

#[test]
fn lookups_name_standard_objects_or_any() {
    for o in objects() {
        for f in &o.fields {
            if let FieldType::Lookup { object } = &f.field_type {
                assert!(
                    object == ANY_PARENT || is_standard(object),
                    "{}.{} -> {object}",
                    o.api_name,
                    f.api_name
                );
            }
        }
    }
}

#[test]
fn the_fields_the_issue_names() {
    let has = |o: &str, f: &str, required: bool, type_name: &str| {
        let object = get(o);
        let field = object.field(f).unwrap_or_else(|| panic!("{o}.{f} exists"));
        assert_eq!(field.required, required, "{o}.{f} required");
        assert_eq!(
            crate::crm::mapping::type_name(&field.field_type),
            type_name,
            "{o}.{f} type"
        );
    };
    has("Account", "Name", true, "text");
    has("Account", "AnnualRevenue", false, "currency");
    has("Account", "NumberOfEmployees", false, "number");
    has("Account", "Website", false, "url");
    has("Account", "Description", false, "long_text");
    has("Contact", "LastName", true, "text");
    has("Contact", "Email", false, "email");
    has("Contact", "AccountId", false, "lookup");
    has("Contact", "Birthdate", false, "date");
    has("Lead", "LastName", true, "text");
    has("Lead", "Company", true, "text");
    has("Lead", "Status", false, "picklist");
    has("Opportunity", "CloseDate", true, "date");
    has("Opportunity", "StageName", true, "picklist");
    has("Opportunity", "Amount", false, "currency");
    has("Opportunity", "Probability", false, "percent");
    has("OpportunityLineItem", "Quantity", true, "number");
    has("OpportunityLineItem", "UnitPrice", false, "currency");
    has("OpportunityLineItem", "Product2Id", true, "lookup");
    has("Product2", "IsActive", false, "checkbox");
    has("PricebookEntry", "UnitPrice", true, "currency");
    has("Case", "Priority", false, "picklist");
    has("Case", "ContactId", false, "lookup");
    has("CaseComment", "CommentBody", false, "long_text");
    has("CaseComment", "IsPublished", false, "checkbox");
    has("Task", "ActivityDate", false, "date");
    has("Task", "WhatId", false, "lookup");
    has("Attachment", "Body", false, "long_text");
    has("Attachment", "ContentType", false, "text");
    for restricted in [("Lead", "Status"), ("Opportunity", "StageName")] {
        let o = get(restricted.0);
        let f = o.field(restricted.1).expect("exists");
        assert!(
            matches!(
                f.field_type,
                FieldType::Picklist {
                    restricted: true,
                    ..
                }
            ),
            "{restricted:?}"
        );
    }
}
