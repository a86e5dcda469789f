use super::*;
use crate::subscriptions::rules::Mapping;
use serde_json::json;
use std::collections::BTreeMap;

fn text(name: &str) -> FieldDef {
    serde_json::from_value(
        json!({"api_name": name, "label": name, "type": "text", "max_length": 80}),
    )
    .expect("a text field")
}

fn subscription() -> Subscription {
    let mut mappings = BTreeMap::new();
    mappings.insert(
        "Name".to_string(),
        Mapping {
            target: Some("Name".into()),
            ..Mapping::default()
        },
    );
    mappings.insert(
        "Rating".to_string(),
        Mapping {
            target: Some("Rating".into()),
            picklist_values: BTreeMap::from([("Hot".to_string(), "Warm".to_string())]),
            problem: None,
        },
    );
    mappings.insert(
        "Phone".to_string(),
        Mapping {
            target: None,
            ..Mapping::default()
        },
    );
    Subscription {
        target_object: "Account".into(),
        auto_accept: false,
        sync_deletes: false,
        mappings,
    }
}

fn fields() -> Map<String, Value> {
    json!({"Name": "Acme", "Rating": "Hot", "Phone": "1", "Secret": "x"})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn facts<'a>(
    record: &'a Map<String, Value>,
    published: &'a [FieldDef],
    subscription: &'a Subscription,
) -> Facts<'a> {
    Facts {
        object: "Account",
        record_id: "a1",
        connection_status: "accepted",
        record: Some(Record {
            fields: record,
            private: false,
        }),
        published: Some(published),
        subscription: Some(subscription),
        came_from_connection: false,
        parent_object: None,
        copies: &lookups::NO_COPIES,
    }
}

#[test]
fn sends_published_fields_mapped_through_the_subscription() {
    let record = fields();
    let published = [text("Name"), text("Rating"), text("Phone")];
    let subscription = subscription();
    let plan = plan(&facts(&record, &published, &subscription)).expect("forwarded");
    assert_eq!(
        Value::Object(plan.published_fields),
        json!({"Name": "Acme", "Rating": "Hot", "Phone": "1"})
    );
    assert_eq!(
        Value::Object(plan.mapped_fields),
        json!({"Name": "Acme", "Rating": "Warm"})
    );
    assert_eq!(plan.name, "Acme");
}

#[test]
fn each_blocker_is_named() {
    let record = fields();
    let published = [text("Name")];
    let subscription = subscription();
    let code = |f: Facts<'_>| plan(&f).map(drop).map_err(|r| r.code);
    let base = || facts(&record, &published, &subscription);
    assert_eq!(
        code(Facts {
            connection_status: "invited",
            ..base()
        }),
        Err("connection_not_accepted")
    );
    assert_eq!(
        code(Facts {
            record: None,
            ..base()
        }),
        Err("record_not_found")
    );
    assert_eq!(
        code(Facts {
            record: Some(Record {
                fields: &record,
                private: true
            }),
            ..base()
        }),
        Err("private")
    );
    assert_eq!(
        code(Facts {
            published: None,
            ..base()
        }),
        Err("not_published")
    );
    assert_eq!(
        code(Facts {
            subscription: None,
            ..base()
        }),
        Err("not_subscribed")
    );
    assert_eq!(
        code(Facts {
            came_from_connection: true,
            ..base()
        }),
        Err("back_to_sender")
    );
    let lead = json!({"LastName": "Lee", "Company": "  "})
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        code(Facts {
            object: "Lead",
            record: Some(Record {
                fields: &lead,
                private: false
            }),
            ..base()
        }),
        Err("lead_without_company")
    );
}

#[test]
fn live_links_are_not_sent_again() {
    assert!(already_shared(Some(Status::PendingSent)));
    assert!(already_shared(Some(Status::ActiveSent)));
    assert!(!already_shared(Some(Status::Inactive)));
    assert!(!already_shared(None));
}

#[test]
fn display_names() {
    let f = |v: Value| v.as_object().cloned().unwrap_or_default();
    assert_eq!(
        display_name(&f(json!({"FirstName": "Ann", "LastName": "Lee"})), "x"),
        "Ann Lee"
    );
    assert_eq!(
        display_name(&f(json!({"Subject": "Broken"})), "x"),
        "Broken"
    );
    assert_eq!(display_name(&f(json!({})), "x"), "x");
}
