//! What blocks a forward of one record to one connection, and what it sends: the published
//! fields' values, and what they become through the receiver's subscription. Pure, no I/O;
//! the forward and its dry run both call [`plan`], so a dry run answers what the forward does.

pub mod children;
pub mod lookups;
pub mod products;

use super::status::Status;
use crate::subscriptions::rules::Subscription;
use lookups::Copies;
use serde::Serialize;
use serde_json::{Map, Value};
use shared::crm::mapping::translate_picklist;
use shared::crm::{FieldDef, FieldType};

/// Why a record is not forwarded to a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Refusal {
    /// `connection_not_accepted`, `record_not_found`, `not_owner` (neither the record's owner,
    /// above it, nor an admin), `many_need_manage_connections`, `private`, `not_published`,
    /// `not_subscribed`, `lead_without_company`, `back_to_sender`; a task past the limit of its
    /// record: `task_limit`; a case comment or attachment: `private`, `not_marked_shared`, `too_large`;
    /// an opportunity product: `not_with_opportunity`, `product_not_shared` (and, in the
    /// receiver's inbox `error`: `no_price_book`, `price_book_inactive`, `product_inactive`,
    /// `not_in_price_book`, `currency_differs`).
    pub code: &'static str,
    pub detail: String,
}

impl Refusal {
    pub(crate) fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

/// The record as the sender's record store holds it.
pub struct Record<'a> {
    pub fields: &'a Map<String, Value>,
    pub private: bool,
}

/// What a forward of one record to one connection depends on.
pub struct Facts<'a> {
    pub object: &'a str,
    pub record_id: &'a str,
    /// The connection's status in the sharing read model (`accepted`, `invited`, ...).
    pub connection_status: &'a str,
    pub record: Option<Record<'a>>,
    /// The fields the sender publishes of the object to the connection, if it publishes it.
    pub published: Option<&'a [FieldDef]>,
    /// The receiver's subscription to the object, if any.
    pub subscription: Option<&'a Subscription>,
    /// The sender's record came over this connection (it has a received link on it).
    pub came_from_connection: bool,
    /// A child record's parent object (the record it travels with); `None` for a record.
    pub parent_object: Option<&'a str>,
    /// The partner's copies of the records shared over the connection that the record's
    /// lookups name: lookups travel translated through them.
    pub copies: &'a Copies,
}

/// What is sent, and what the receiver's inbox will show.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Published field (sender's API name) to value.
    pub published_fields: Map<String, Value>,
    /// The receiver's object.
    pub target_object: String,
    /// The receiver's field to value.
    pub mapped_fields: Map<String, Value>,
    pub name: String,
}

/// The plan, or the first thing that blocks it, in the order a user would fix them.
pub fn plan(facts: &Facts<'_>) -> Result<Plan, Refusal> {
    if facts.connection_status != "accepted" {
        return Err(Refusal::new(
            "connection_not_accepted",
            format!("the connection is {}", facts.connection_status),
        ));
    }
    let Some(record) = &facts.record else {
        return Err(Refusal::new(
            "record_not_found",
            format!("no {} {:?}", facts.object, facts.record_id),
        ));
    };
    if record.private {
        return Err(Refusal::new(
            "private",
            "the record is private and is never forwarded",
        ));
    }
    if let Some(refusal) = children::own_refusal(facts.object, record.fields) {
        return Err(refusal);
    }
    let Some(published) = facts.published else {
        return Err(Refusal::new(
            "not_published",
            format!("you do not publish {} to this connection", facts.object),
        ));
    };
    let Some(subscription) = facts.subscription else {
        return Err(Refusal::new(
            "not_subscribed",
            format!("the partner does not subscribe to {}", facts.object),
        ));
    };
    if facts.object == "Lead" && is_blank(record.fields.get("Company")) {
        return Err(Refusal::new(
            "lead_without_company",
            "a lead is forwarded only with a Company",
        ));
    }
    if facts.came_from_connection {
        return Err(Refusal::new(
            "back_to_sender",
            "the record came from this connection and is never forwarded back to it",
        ));
    }
    if facts.object == products::OPPORTUNITY_PRODUCT
        && let Some(refusal) = products::on_sender(facts.parent_object, record.fields, facts.copies)
    {
        return Err(refusal);
    }
    let published_fields = published_values(record.fields, published, facts.copies);
    Ok(Plan {
        mapped_fields: mapped(&published_fields, subscription),
        target_object: subscription.target_object.clone(),
        name: display_name(record.fields, facts.record_id),
        published_fields,
    })
}

/// A forward that finds a link already live sends nothing again.
pub fn already_shared(existing: Option<Status>) -> bool {
    existing.is_some_and(Status::is_live)
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    }
}

/// The values of the published fields the record has. A lookup travels as the partner's copy
/// of the record it names ([`lookups::translated`]), and not at all when that record is not
/// shared over the connection.
pub fn published_values(
    fields: &Map<String, Value>,
    published: &[FieldDef],
    copies: &Copies,
) -> Map<String, Value> {
    published
        .iter()
        .filter_map(|f| {
            let value = fields.get(&f.api_name)?;
            let value = match &f.field_type {
                FieldType::Lookup { object } => {
                    let copy = lookups::translated(copies, object, value.as_str()?)?;
                    Value::String(copy.to_string())
                }
                _ => value.clone(),
            };
            (!value.is_null()).then(|| (f.api_name.clone(), value))
        })
        .collect()
}

/// The record ids the record's lookup fields (among `fields`) hold: what to translate
/// through the links.
pub fn lookup_values<'a>(record: &'a Map<String, Value>, fields: &[FieldDef]) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|f| matches!(f.field_type, FieldType::Lookup { .. }))
        .filter_map(|f| record.get(&f.api_name)?.as_str())
        .collect()
}

/// The published values as the receiver's fields: each mapped field to its target (a
/// picklist value through the value map), unmapped fields and fields with a problem left out.
pub fn mapped(values: &Map<String, Value>, subscription: &Subscription) -> Map<String, Value> {
    values
        .iter()
        .filter_map(|(field, value)| {
            let mapping = subscription.mappings.get(field)?;
            if mapping.problem.is_some() {
                return None;
            }
            let target = mapping.target.clone()?;
            let value = match value {
                Value::String(s) if !mapping.picklist_values.is_empty() => {
                    Value::String(translate_picklist(s, &mapping.picklist_values).to_string())
                }
                other => other.clone(),
            };
            Some((target, value))
        })
        .collect()
}

/// What a person calls the record: its name, a contact's or lead's full name, a subject.
pub fn display_name(fields: &Map<String, Value>, record_id: &str) -> String {
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::trim);
    if let Some(name) = text("Name").filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    if let Some(last) = text("LastName").filter(|n| !n.is_empty()) {
        return match text("FirstName").filter(|n| !n.is_empty()) {
            Some(first) => format!("{first} {last}"),
            None => last.to_string(),
        };
    }
    if let Some(subject) = text("Subject").filter(|n| !n.is_empty()) {
        return subject.to_string();
    }
    record_id.to_string()
}

#[cfg(test)]
mod tests;
