//! Which child records travel with a forwarded record, pure (no I/O): the child's lookups to
//! its parent, the tasks chosen (open, closed, at most [`TASK_LIMIT`]), and on the receiver the
//! lookup that names the parent's copy.

use super::Refusal;
use serde_json::{Map, Value};
use shared::crm::standard::ANY_PARENT;
use shared::crm::{FieldDef, FieldType};

/// At most this many tasks of one record are shared (open and closed count together).
pub const TASK_LIMIT: usize = 100;

/// The object tasks are of.
pub const TASK: &str = "Task";

/// The largest attachment shared: 20 MB (20 × 1024 × 1024 bytes of `BodyLength`).
pub const ATTACHMENT_MAX_BYTES: u64 = 20 * 1024 * 1024;

fn flag(fields: &Map<String, Value>, name: &str) -> bool {
    fields.get(name).and_then(Value::as_bool) == Some(true)
}

/// What keeps a case comment or an attachment from being shared, from its own fields:
/// - a case comment is private unless published (`IsPublished` true: the S2S "public"
///   comment; unset counts as private, so that nothing is shared by default);
/// - an attachment must not be private (`IsPrivate`), must be marked shared (`IsShared`), and
///   its body (`BodyLength`, bytes) must be at most [`ATTACHMENT_MAX_BYTES`].
///
/// `None` for every other object.
pub fn own_refusal(object: &str, fields: &Map<String, Value>) -> Option<Refusal> {
    match object {
        "CaseComment" if !flag(fields, "IsPublished") => Some(Refusal::new(
            "private",
            "a case comment is shared only when published (IsPublished true)",
        )),
        "Attachment" if flag(fields, "IsPrivate") => Some(Refusal::new(
            "private",
            "a private attachment is never shared",
        )),
        "Attachment" if !flag(fields, "IsShared") => Some(Refusal::new(
            "not_marked_shared",
            "an attachment is shared only when marked shared (IsShared true)",
        )),
        "Attachment" => {
            let size = fields
                .get("BodyLength")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            (size > ATTACHMENT_MAX_BYTES as f64).then(|| {
                Refusal::new(
                    "too_large",
                    format!(
                        "the attachment has {size} bytes; at most {ATTACHMENT_MAX_BYTES} (20 MB) \
                         are shared"
                    ),
                )
            })
        }
        _ => None,
    }
}

/// Whether a change of the record's fields (the changed ones) makes it private, which stops
/// its sharing: a case comment unpublished, an attachment made private or no longer marked
/// shared.
pub fn made_private(object: &str, changed: &Map<String, Value>) -> bool {
    let set_to =
        |name: &str, value: bool| changed.get(name).and_then(Value::as_bool) == Some(value);
    match object {
        "CaseComment" => set_to("IsPublished", false),
        "Attachment" => set_to("IsPrivate", true) || set_to("IsShared", false),
        _ => false,
    }
}

/// A task is closed when its Status is `Completed` (the one closed status of the standard
/// Task picklist); every other status, or none, is open.
pub fn is_closed_task(fields: &Map<String, Value>) -> bool {
    fields.get("Status").and_then(Value::as_str) == Some("Completed")
}

/// The lookup fields of a child object that can name a record of `parent_object`: those to
/// that object, and the polymorphic ones (`Task.WhatId`, `Task.WhoId`), in field order.
pub fn parent_lookups<'a>(child_fields: &'a [FieldDef], parent_object: &str) -> Vec<&'a str> {
    child_fields
        .iter()
        .filter(|f| match &f.field_type {
            FieldType::Lookup { object } => object == parent_object || object == ANY_PARENT,
            _ => false,
        })
        .map(|f| f.api_name.as_str())
        .collect()
}

/// The first of `lookups` whose value in the child is `parent_id`: the lookup it travels by.
pub fn lookup_to<'a>(
    fields: &Map<String, Value>,
    lookups: &[&'a str],
    parent_id: &str,
) -> Option<&'a str> {
    lookups
        .iter()
        .copied()
        .find(|l| fields.get(*l).and_then(Value::as_str) == Some(parent_id))
}

/// Whether a child's fields still name `parent_id` (in any lookup): a child edited so that none
/// does was moved away from the parent it is shared under, and stops being shared.
pub fn still_names(fields: &Map<String, Value>, parent_id: &str) -> bool {
    fields.values().any(|v| v.as_str() == Some(parent_id))
}

/// The tasks of one record that travel with it, and those past the limit. `tasks` are (record
/// id, fields); only the open ones are kept when `open`, the closed ones when `closed`. The
/// first [`TASK_LIMIT`] by record id are shared (a stable order a person can check: the same
/// forward always picks the same tasks); the rest are refused with `task_limit`.
pub fn chosen_tasks(
    tasks: &[(String, Map<String, Value>)],
    open: bool,
    closed: bool,
) -> (Vec<&str>, Vec<&str>) {
    let mut wanted: Vec<&str> = tasks
        .iter()
        .filter(
            |(_, fields)| {
                if is_closed_task(fields) { closed } else { open }
            },
        )
        .map(|(id, _)| id.as_str())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let over = wanted.split_off(wanted.len().min(TASK_LIMIT));
    (wanted, over)
}

/// Why a task past the limit is not sent.
pub fn over_task_limit() -> Refusal {
    Refusal::new(
        "task_limit",
        format!(
            "at most {TASK_LIMIT} tasks of a record are shared (open and closed together, the \
             first {TASK_LIMIT} by record id)"
        ),
    )
}

/// On the receiver: the child object's lookup that names the parent's copy (of
/// `parent_object`, the receiver's object). The field of the sender's name when the receiver
/// has it as such a lookup, else the first lookup to that object (or polymorphic).
pub fn receiver_lookup(
    child_fields: &[FieldDef],
    parent_object: &str,
    sender_lookup: &str,
) -> Option<String> {
    let lookups = parent_lookups(child_fields, parent_object);
    lookups
        .iter()
        .find(|l| **l == sender_lookup)
        .or_else(|| lookups.first())
        .map(|l| l.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shared::crm::standard;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_child_moved_away_no_longer_names_its_parent() {
        let under = fields(json!({ "LastName": "Lee", "AccountId": "acc-1" }));
        assert!(still_names(&under, "acc-1"));
        let moved = fields(json!({ "LastName": "Lee", "AccountId": "acc-2" }));
        assert!(!still_names(&moved, "acc-1"));
        let emptied = fields(json!({ "LastName": "Lee", "AccountId": null }));
        assert!(!still_names(&emptied, "acc-1"));
    }

    fn tasks(n: usize, status: &str) -> Vec<(String, Map<String, Value>)> {
        (0..n)
            .map(|i| (format!("t-{i:03}"), fields(json!({ "Status": status }))))
            .collect()
    }

    #[test]
    fn a_case_comment_is_shared_only_when_published() {
        let published = fields(json!({ "IsPublished": true }));
        assert_eq!(own_refusal("CaseComment", &published), None);
        for private in [json!({ "IsPublished": false }), json!({})] {
            let refusal = own_refusal("CaseComment", &fields(private));
            assert_eq!(refusal.map(|r| r.code), Some("private"));
        }
        assert_eq!(own_refusal("Contact", &fields(json!({}))), None);
    }

    #[test]
    fn an_attachment_is_shared_when_public_marked_shared_and_at_most_20_mb() {
        let at_limit = fields(json!({ "IsShared": true, "BodyLength": 20_971_520 }));
        assert_eq!(own_refusal("Attachment", &at_limit), None);
        let over = fields(json!({ "IsShared": true, "BodyLength": 20_971_521 }));
        assert_eq!(
            own_refusal("Attachment", &over).map(|r| r.code),
            Some("too_large")
        );
        let private = fields(json!({ "IsShared": true, "IsPrivate": true }));
        assert_eq!(
            own_refusal("Attachment", &private).map(|r| r.code),
            Some("private")
        );
        let unmarked = fields(json!({ "BodyLength": 1 }));
        assert_eq!(
            own_refusal("Attachment", &unmarked).map(|r| r.code),
            Some("not_marked_shared")
        );
    }

    #[test]
    fn unpublishing_a_comment_or_hiding_an_attachment_makes_it_private() {
        assert!(made_private(
            "CaseComment",
            &fields(json!({ "IsPublished": false }))
        ));
        assert!(!made_private(
            "CaseComment",
            &fields(json!({ "CommentBody": "x" }))
        ));
        assert!(made_private(
            "Attachment",
            &fields(json!({ "IsPrivate": true }))
        ));
        assert!(made_private(
            "Attachment",
            &fields(json!({ "IsShared": false }))
        ));
        assert!(!made_private(
            "Attachment",
            &fields(json!({ "IsPrivate": false }))
        ));
        assert!(!made_private(
            "Account",
            &fields(json!({ "IsPublished": false }))
        ));
    }

    #[test]
    fn a_task_is_closed_only_when_completed() {
        assert!(is_closed_task(&fields(json!({ "Status": "Completed" }))));
        assert!(!is_closed_task(&fields(json!({ "Status": "Deferred" }))));
        assert!(!is_closed_task(&fields(json!({}))));
    }

    #[test]
    fn contacts_hang_off_accounts_and_tasks_off_anything() {
        let contact = standard::object("Contact").expect("Contact").fields;
        assert_eq!(parent_lookups(&contact, "Account"), vec!["AccountId"]);
        assert!(parent_lookups(&contact, "Lead").is_empty());
        let task = standard::object("Task").expect("Task").fields;
        assert_eq!(parent_lookups(&task, "Account"), vec!["WhatId", "WhoId"]);
    }

    #[test]
    fn the_lookup_travelled_by_is_the_one_naming_the_parent() {
        let task = fields(json!({ "WhatId": "acc-2", "WhoId": "acc-1" }));
        assert_eq!(
            lookup_to(&task, &["WhatId", "WhoId"], "acc-1"),
            Some("WhoId")
        );
        assert_eq!(lookup_to(&task, &["WhatId", "WhoId"], "acc-3"), None);
    }

    #[test]
    fn a_hundred_tasks_all_travel() {
        let all = tasks(100, "Not Started");
        let (shared, over) = chosen_tasks(&all, true, true);
        assert_eq!(shared.len(), 100);
        assert!(over.is_empty());
    }

    #[test]
    fn the_hundred_and_first_by_record_id_is_over_the_limit() {
        let mut all = tasks(60, "Not Started");
        let mut closed: Vec<_> = tasks(41, "Completed")
            .into_iter()
            .map(|(id, f)| (id.replace("t-", "u-"), f))
            .collect();
        all.append(&mut closed);
        all.reverse();
        let (shared, over) = chosen_tasks(&all, true, true);
        assert_eq!(shared.len(), 100);
        assert_eq!(shared[0], "t-000");
        assert_eq!(over, vec!["u-040"]);
    }

    #[test]
    fn only_the_kinds_asked_for_travel() {
        let mut all = tasks(3, "Not Started");
        all.push(("done".into(), fields(json!({ "Status": "Completed" }))));
        assert_eq!(chosen_tasks(&all, false, true).0, vec!["done"]);
        assert_eq!(chosen_tasks(&all, true, false).0.len(), 3);
        assert!(chosen_tasks(&all, false, false).0.is_empty());
    }

    #[test]
    fn the_receiver_keeps_the_senders_lookup_when_it_has_it() {
        let task = standard::object("Task").expect("Task").fields;
        assert_eq!(
            receiver_lookup(&task, "Account", "WhoId").as_deref(),
            Some("WhoId")
        );
        let contact = standard::object("Contact").expect("Contact").fields;
        assert_eq!(
            receiver_lookup(&contact, "Account", "Parent__c").as_deref(),
            Some("AccountId")
        );
        assert_eq!(receiver_lookup(&contact, "Lead", "AccountId"), None);
    }
}
