//! The plan of an import: each item added, changed or removed, with its path, from the org's
//! current configuration to the document's. Pure: two canonical documents in, a list out.

use super::context::Context;
use super::document::{
    ConfigDocument, FieldMapping, ObjectConfig, PublishedObject, SubscribedObject, TemplateConfig,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Add,
    Change,
    Remove,
}

/// One item of the plan: `+ objects.Invoice__c`, `~ templates.Standard.active: false -> true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub op: Op,
    pub path: String,
    /// For a change: the value before and after, as compact JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::Add => write!(f, "+ {}", self.path),
            Op::Remove => write!(f, "- {}", self.path),
            Op::Change => write!(
                f,
                "~ {}: {} -> {}",
                self.path,
                self.from.as_deref().unwrap_or("(none)"),
                self.to.as_deref().unwrap_or("(none)")
            ),
        }
    }
}

/// The items of one list, matched by key: (added, changed as (before, after), removed).
pub struct Keyed<'a, T> {
    pub added: Vec<&'a T>,
    pub changed: Vec<(&'a T, &'a T)>,
    pub removed: Vec<&'a T>,
}

impl<T> Keyed<'_, T> {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

pub fn keyed<'a, T: PartialEq, K: Ord>(
    current: &'a [T],
    desired: &'a [T],
    key: impl Fn(&T) -> K,
) -> Keyed<'a, T> {
    let before: BTreeMap<K, &T> = current.iter().map(|t| (key(t), t)).collect();
    let after: BTreeMap<K, &T> = desired.iter().map(|t| (key(t), t)).collect();
    let mut result = Keyed {
        added: Vec::new(),
        changed: Vec::new(),
        removed: Vec::new(),
    };
    for (k, new) in &after {
        match before.get(k) {
            None => result.added.push(*new),
            Some(old) if old != new => result.changed.push((*old, *new)),
            Some(_) => {}
        }
    }
    for (k, old) in &before {
        if !after.contains_key(k) {
            result.removed.push(*old);
        }
    }
    result
}

/// Every change from `current` to `desired` (both canonical), in document order.
pub fn plan(current: &ConfigDocument, desired: &ConfigDocument, context: &Context) -> Vec<Change> {
    let mut out = Vec::new();
    if current.currency != desired.currency {
        let shown = |c: &Option<String>| {
            c.clone()
                .unwrap_or_else(|| crate::org_settings::DEFAULT_CURRENCY.to_string())
        };
        change(
            &mut out,
            "currency".into(),
            &shown(&current.currency),
            &shown(&desired.currency),
        );
    }
    objects(current, desired, &mut out);
    templates(current, desired, &mut out);
    let pubs = keyed(&current.publications, &desired.publications, |p| {
        p.partner_org_id
    });
    for partner in &pubs.added {
        let at = format!(
            "publications.{}",
            context.partner_label(partner.partner_org_id)
        );
        published(&[], &partner.objects, &at, &mut out);
    }
    for (old, new) in &pubs.changed {
        let at = format!("publications.{}", context.partner_label(new.partner_org_id));
        published(&old.objects, &new.objects, &at, &mut out);
    }
    for partner in &pubs.removed {
        let at = format!(
            "publications.{}",
            context.partner_label(partner.partner_org_id)
        );
        published(&partner.objects, &[], &at, &mut out);
    }
    let subs = keyed(&current.subscriptions, &desired.subscriptions, |p| {
        p.partner_org_id
    });
    for partner in &subs.added {
        let at = format!(
            "subscriptions.{}",
            context.partner_label(partner.partner_org_id)
        );
        subscribed(&[], &partner.objects, &at, &mut out);
    }
    for (old, new) in &subs.changed {
        let at = format!(
            "subscriptions.{}",
            context.partner_label(new.partner_org_id)
        );
        subscribed(&old.objects, &new.objects, &at, &mut out);
    }
    for partner in &subs.removed {
        let at = format!(
            "subscriptions.{}",
            context.partner_label(partner.partner_org_id)
        );
        subscribed(&partner.objects, &[], &at, &mut out);
    }
    out
}

fn add(out: &mut Vec<Change>, path: String) {
    out.push(Change {
        op: Op::Add,
        path,
        from: None,
        to: None,
    });
}

fn remove(out: &mut Vec<Change>, path: String) {
    out.push(Change {
        op: Op::Remove,
        path,
        from: None,
        to: None,
    });
}

fn change<T: Serialize>(out: &mut Vec<Change>, path: String, from: &T, to: &T) {
    let show = |v: &T| serde_json::to_string(v).unwrap_or_default();
    out.push(Change {
        op: Op::Change,
        path,
        from: Some(show(from)),
        to: Some(show(to)),
    });
}

/// The changed attributes of two values serialized as JSON objects, one item each.
fn attributes<T: Serialize>(out: &mut Vec<Change>, at: &str, old: &T, new: &T) {
    let as_map = |v: &T| match serde_json::to_value(v) {
        Ok(Value::Object(map)) => map.into_iter().collect::<BTreeMap<_, _>>(),
        _ => BTreeMap::new(),
    };
    let (old, new) = (as_map(old), as_map(new));
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a != b {
            let show = |v: Option<&Value>| v.map(Value::to_string);
            out.push(Change {
                op: Op::Change,
                path: format!("{at}.{key}"),
                from: show(a),
                to: show(b),
            });
        }
    }
}

fn objects(current: &ConfigDocument, desired: &ConfigDocument, out: &mut Vec<Change>) {
    let diff = keyed(&current.objects, &desired.objects, |o: &ObjectConfig| {
        o.api_name.clone()
    });
    for object in &diff.added {
        add(out, format!("objects.{}", object.api_name));
        for field in &object.fields {
            add(
                out,
                format!("objects.{}.fields.{}", object.api_name, field.api_name),
            );
        }
    }
    for (old, new) in &diff.changed {
        let at = format!("objects.{}", new.api_name);
        if old.label != new.label {
            change(out, format!("{at}.label"), &old.label, &new.label);
        }
        if old.parent != new.parent {
            change(out, format!("{at}.parent"), &old.parent, &new.parent);
        }
        let fields = keyed(&old.fields, &new.fields, |f| f.api_name.clone());
        for field in &fields.added {
            add(out, format!("{at}.fields.{}", field.api_name));
        }
        for (a, b) in &fields.changed {
            attributes(out, &format!("{at}.fields.{}", b.api_name), *a, *b);
        }
        for field in &fields.removed {
            remove(out, format!("{at}.fields.{}", field.api_name));
        }
    }
    for object in &diff.removed {
        remove(out, format!("objects.{}", object.api_name));
    }
}

fn templates(current: &ConfigDocument, desired: &ConfigDocument, out: &mut Vec<Change>) {
    let diff = keyed(
        &current.templates,
        &desired.templates,
        |t: &TemplateConfig| t.name.clone(),
    );
    for template in &diff.added {
        let at = format!("templates.{}", template.name);
        add(out, at.clone());
        published(&[], &template.objects, &at, out);
    }
    for (old, new) in &diff.changed {
        let at = format!("templates.{}", new.name);
        if old.description != new.description {
            change(
                out,
                format!("{at}.description"),
                &old.description,
                &new.description,
            );
        }
        if old.active != new.active {
            change(out, format!("{at}.active"), &old.active, &new.active);
        }
        published(&old.objects, &new.objects, &at, out);
    }
    for template in &diff.removed {
        remove(out, format!("templates.{}", template.name));
    }
}

fn published(old: &[PublishedObject], new: &[PublishedObject], at: &str, out: &mut Vec<Change>) {
    let diff = keyed(old, new, |o| o.object.clone());
    for object in &diff.added {
        add(out, format!("{at}.{}", object.object));
    }
    for (a, b) in &diff.changed {
        change(
            out,
            format!("{at}.{}.fields", b.object),
            &a.fields,
            &b.fields,
        );
    }
    for object in &diff.removed {
        remove(out, format!("{at}.{}", object.object));
    }
}

fn subscribed(old: &[SubscribedObject], new: &[SubscribedObject], at: &str, out: &mut Vec<Change>) {
    let diff = keyed(old, new, |o| o.object.clone());
    for object in &diff.added {
        add(out, format!("{at}.{}", object.object));
    }
    for (a, b) in &diff.changed {
        let at = format!("{at}.{}", b.object);
        if a.target_object != b.target_object {
            change(
                out,
                format!("{at}.target_object"),
                &a.target_object,
                &b.target_object,
            );
        }
        if a.auto_accept != b.auto_accept {
            change(
                out,
                format!("{at}.auto_accept"),
                &a.auto_accept,
                &b.auto_accept,
            );
        }
        if a.sync_deletes != b.sync_deletes {
            change(
                out,
                format!("{at}.sync_deletes"),
                &a.sync_deletes,
                &b.sync_deletes,
            );
        }
        let fields = keyed(&a.fields, &b.fields, |f: &FieldMapping| f.field.clone());
        for field in &fields.added {
            add(out, format!("{at}.fields.{}", field.field));
        }
        for (x, y) in &fields.changed {
            attributes(out, &format!("{at}.fields.{}", y.field), *x, *y);
        }
        for field in &fields.removed {
            remove(out, format!("{at}.fields.{}", field.field));
        }
    }
    for object in &diff.removed {
        remove(out, format!("{at}.{}", object.object));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::document::TemplateConfig;

    fn template(name: &str, active: bool, objects: &[(&str, &[&str])]) -> TemplateConfig {
        TemplateConfig {
            name: name.into(),
            description: String::new(),
            active,
            objects: objects
                .iter()
                .map(|(o, f)| PublishedObject {
                    object: (*o).into(),
                    fields: f.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_same_document_plans_nothing() {
        let mut doc = ConfigDocument::empty();
        doc.templates
            .push(template("Standard", true, &[("Account", &["Name"])]));
        assert!(plan(&doc, &doc, &Context::default()).is_empty());
    }

    #[test]
    fn each_change_is_an_item_with_its_path() {
        let mut old = ConfigDocument::empty();
        old.templates
            .push(template("Standard", false, &[("Account", &["Name"])]));
        old.templates.push(template("Old", true, &[]));
        let mut new = ConfigDocument::empty();
        new.templates
            .push(template("New", true, &[("Case", &["Subject"])]));
        new.templates.push(template(
            "Standard",
            true,
            &[("Account", &["Name", "Phone"])],
        ));
        let lines: Vec<String> = plan(&old, &new.canonical(), &Context::default())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "+ templates.New",
                "+ templates.New.Case",
                "~ templates.Standard.active: false -> true",
                "~ templates.Standard.Account.fields: [\"Name\"] -> [\"Name\",\"Phone\"]",
                "- templates.Old",
            ]
        );
    }
}
