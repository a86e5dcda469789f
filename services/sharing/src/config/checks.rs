//! Every rule a document must keep, checked against its own objects and the org's partners:
//! field definitions, publishability, partners, and the mapping rules of `shared::crm::mapping`.
//! Pure: the whole list of problems, each with its path, or none.

use super::context::Context;
use super::definitions;
use super::document::{ConfigDocument, PublishedObject, SubscribedObject, VERSION};
use super::problems::Problem;
use shared::crm::{FieldDef, ObjectDef, mapping, standard};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

const TEMPLATE_NAME_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 2000;

/// Every problem of `document` for an org with `context`'s partners.
pub fn check(document: &ConfigDocument, context: &Context) -> Vec<Problem> {
    let mut problems = Vec::new();
    if document.version != VERSION {
        problems.push(Problem::new(
            "version",
            format!("only version {VERSION} is known"),
        ));
    }
    if let Some(currency) = &document.currency
        && let Err(invalid) = crate::org_settings::checked_currency("currency", currency)
    {
        problems.push(Problem::new("currency", invalid.reason));
    }
    definitions::check_objects(document, &mut problems);
    let schema = definitions::schema(document);
    check_templates(document, &schema, &mut problems);
    let mut partners = BTreeSet::new();
    for partner in &document.publications {
        let at = format!(
            "publications[{}]",
            partner_key(&partner.partner_name, partner.partner_org_id)
        );
        if !known_partner(
            context,
            partner.partner_org_id,
            &partner.partner_name,
            &at,
            &mut partners,
            &mut problems,
        ) {
            continue;
        }
        check_published(&partner.objects, &schema, &at, &mut problems);
    }
    let mut partners = BTreeSet::new();
    for partner in &document.subscriptions {
        let at = format!(
            "subscriptions[{}]",
            partner_key(&partner.partner_name, partner.partner_org_id)
        );
        if !known_partner(
            context,
            partner.partner_org_id,
            &partner.partner_name,
            &at,
            &mut partners,
            &mut problems,
        ) {
            continue;
        }
        let offered = context.offered.get(&partner.partner_org_id);
        let mut seen = BTreeSet::new();
        for subscribed in &partner.objects {
            let at = format!("{at}.objects[{}]", subscribed.object);
            if !seen.insert(subscribed.object.as_str()) {
                problems.push(Problem::new(&at, "the object is listed twice"));
                continue;
            }
            match offered.and_then(|o| o.get(&subscribed.object)) {
                None => problems.push(Problem::new(
                    format!("{at}.object"),
                    format!(
                        "{} does not publish {} to you",
                        context.partner_label(partner.partner_org_id),
                        subscribed.object
                    ),
                )),
                Some(offer) => match &offer.definition {
                    None => problems.push(Problem::new(
                        format!("{at}.object"),
                        "the partner's definition of this object is not known yet",
                    )),
                    Some(published) => {
                        let fields: Vec<FieldDef> = published
                            .fields
                            .iter()
                            .filter(|f| offer.fields.contains(&f.api_name))
                            .cloned()
                            .collect();
                        check_subscription(
                            subscribed,
                            published,
                            &fields,
                            &schema,
                            &at,
                            &mut problems,
                        );
                    }
                },
            }
        }
    }
    problems
}

fn partner_key(name: &str, id: Uuid) -> String {
    if name.is_empty() {
        id.to_string()
    } else {
        name.to_string()
    }
}

/// Whether the partner is one of the org's, once; else a problem naming it.
fn known_partner(
    context: &Context,
    id: Uuid,
    name: &str,
    at: &str,
    seen: &mut BTreeSet<Uuid>,
    problems: &mut Vec<Problem>,
) -> bool {
    if !seen.insert(id) {
        problems.push(Problem::new(at, "the partner is listed twice"));
        return false;
    }
    if !context.partners.contains_key(&id) {
        problems.push(Problem::new(
            format!("{at}.partner_org_id"),
            format!("no invited or accepted connection with partner {name} ({id})"),
        ));
        return false;
    }
    true
}

fn check_templates(
    document: &ConfigDocument,
    schema: &BTreeMap<String, ObjectDef>,
    problems: &mut Vec<Problem>,
) {
    let mut names = BTreeSet::new();
    for template in &document.templates {
        let at = format!("templates[{}]", template.name);
        if template.name.trim().is_empty() || template.name.chars().count() > TEMPLATE_NAME_MAX {
            problems.push(Problem::new(
                format!("{at}.name"),
                format!("a template name has 1 to {TEMPLATE_NAME_MAX} characters"),
            ));
        } else if template.name.chars().any(char::is_control) {
            problems.push(Problem::new(format!("{at}.name"), "no control characters"));
        }
        if !names.insert(template.name.as_str()) {
            problems.push(Problem::new(&at, "the template is listed twice"));
            continue;
        }
        if template.description.chars().count() > DESCRIPTION_MAX {
            problems.push(Problem::new(
                format!("{at}.description"),
                format!("at most {DESCRIPTION_MAX} characters"),
            ));
        }
        check_published(&template.objects, schema, &at, problems);
    }
}

/// Published objects (of a template or to a partner): objects of the org that can be published,
/// each once, with fields of theirs that can be published.
fn check_published(
    objects: &[PublishedObject],
    schema: &BTreeMap<String, ObjectDef>,
    at: &str,
    problems: &mut Vec<Problem>,
) {
    let mut seen = BTreeSet::new();
    for published in objects {
        let at = format!("{at}.objects[{}]", published.object);
        if !seen.insert(published.object.as_str()) {
            problems.push(Problem::new(&at, "the object is listed twice"));
            continue;
        }
        let Some(object) = schema.get(&published.object) else {
            problems.push(Problem::new(
                format!("{at}.object"),
                format!("no object {}", published.object),
            ));
            continue;
        };
        if !standard::is_publishable_object(object) {
            problems.push(Problem::new(
                format!("{at}.object"),
                format!("{} cannot be published", published.object),
            ));
            continue;
        }
        let mut fields = BTreeSet::new();
        for name in &published.fields {
            let at = format!("{at}.fields[{name}]");
            if !fields.insert(name.as_str()) {
                problems.push(Problem::new(&at, "the field is listed twice"));
                continue;
            }
            match object.field(name) {
                None => problems.push(Problem::new(
                    &at,
                    format!("{} has no field {name}", published.object),
                )),
                Some(field) => {
                    if let Err(why) = mapping::publishable_field(field) {
                        problems.push(Problem::new(&at, why));
                    }
                }
            }
        }
    }
}

/// A subscription: its target object one of the org's and mappable, auto-accept only for an
/// object that is not a child, each mapped field published and compatible, picklist values
/// mapped to values of the target field.
fn check_subscription(
    subscribed: &SubscribedObject,
    published: &ObjectDef,
    published_fields: &[FieldDef],
    schema: &BTreeMap<String, ObjectDef>,
    at: &str,
    problems: &mut Vec<Problem>,
) {
    if subscribed.auto_accept && published.parent.is_some() {
        problems.push(Problem::new(
            format!("{at}.auto_accept"),
            format!(
                "{} is a child object: it follows its parent and cannot be auto-accepted",
                subscribed.object
            ),
        ));
    }
    let Some(target) = schema.get(&subscribed.target_object) else {
        problems.push(Problem::new(
            format!("{at}.target_object"),
            format!("no object {}", subscribed.target_object),
        ));
        return;
    };
    if let Err(why) = mapping::object_mappable(published, target) {
        problems.push(Problem::new(format!("{at}.target_object"), why));
        return;
    }
    let mut map: BTreeMap<String, Option<String>> = BTreeMap::new();
    for field in &subscribed.fields {
        let field_at = format!("{at}.fields[{}]", field.field);
        if map
            .insert(field.field.clone(), field.target_field.clone())
            .is_some()
        {
            problems.push(Problem::new(&field_at, "the field is listed twice"));
            continue;
        }
        if !field.picklist_values.is_empty() {
            check_picklist_values(field, published_fields, target, &field_at, problems);
        }
    }
    if let Err((field, why)) = mapping::check_field_mapping(published_fields, target, &map) {
        problems.push(Problem::new(format!("{at}.fields[{field}]"), why));
    }
}

fn check_picklist_values(
    field: &super::document::FieldMapping,
    published_fields: &[FieldDef],
    target: &ObjectDef,
    at: &str,
    problems: &mut Vec<Problem>,
) {
    let at = format!("{at}.picklist_values");
    let source = published_fields.iter().find(|f| f.api_name == field.field);
    let target_field = field.target_field.as_deref().and_then(|t| target.field(t));
    let (Some(source), Some(target_field)) = (source, target_field) else {
        problems.push(Problem::new(
            at,
            "picklist values are mapped only for a mapped field",
        ));
        return;
    };
    if let Err((value, why)) =
        mapping::check_picklist_values(source, target_field, &field.picklist_values)
    {
        problems.push(Problem::new(format!("{at}[{value}]"), why));
    }
}
