//! What an import is checked against besides the document itself: the org's partners (one
//! connection each) and what each partner publishes to the org on that connection.

use crate::schema::{connections, object_definitions, published_objects};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::crm::{ObjectDef, standard};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The org's connection with one partner.
#[derive(Debug, Clone, PartialEq)]
pub struct Partner {
    pub connection_id: Uuid,
    pub partner_org_id: Uuid,
    pub partner_name: String,
    /// The org's own name as the connection has it.
    pub own_name: String,
    /// Whether the org invited the partner (else the partner invited the org).
    pub inviter: bool,
}

/// An object a partner publishes to the org: the partner's definition of it (when known) and the
/// fields published.
#[derive(Debug, Clone, PartialEq)]
pub struct Offered {
    pub definition: Option<ObjectDef>,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// By partner org id.
    pub partners: BTreeMap<Uuid, Partner>,
    /// By partner org id, then object: what the partner publishes to the org.
    pub offered: BTreeMap<Uuid, BTreeMap<String, Offered>>,
}

impl Context {
    /// How a partner is named in plan paths: by name, or by id when it has none.
    pub fn partner_label(&self, partner: Uuid) -> String {
        match self.partners.get(&partner) {
            Some(p) if !p.partner_name.is_empty() => p.partner_name.clone(),
            _ => partner.to_string(),
        }
    }
}

#[derive(Queryable)]
struct ConnectionRow {
    id: Uuid,
    inviter_org_id: Uuid,
    inviter_org_name: String,
    invitee_org_id: Option<Uuid>,
    invitee_org_name: Option<String>,
    status: String,
}

/// The org's partners: per partner org, its invited or accepted connection with the org (an
/// accepted one before an invited one, then the latest). A connection the org sent whose invitee
/// is not known yet has no partner to name, so it is left out.
pub async fn load(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<Context> {
    let rows: Vec<ConnectionRow> = connections::table
        .filter(
            connections::inviter_org_id
                .eq(org)
                .or(connections::invitee_org_id.eq(org)),
        )
        .filter(connections::status.eq_any(["invited", "accepted"]))
        .order((connections::updated_at.desc(), connections::id))
        .select((
            connections::id,
            connections::inviter_org_id,
            connections::inviter_org_name,
            connections::invitee_org_id,
            connections::invitee_org_name,
            connections::status,
        ))
        .load(conn)
        .await?;
    let mut chosen: BTreeMap<Uuid, (bool, Partner)> = BTreeMap::new();
    for row in rows {
        let inviter = row.inviter_org_id == org;
        let (partner_org_id, partner_name, own_name) = if inviter {
            match row.invitee_org_id {
                Some(id) => (
                    id,
                    row.invitee_org_name.clone().unwrap_or_default(),
                    row.inviter_org_name.clone(),
                ),
                None => continue,
            }
        } else {
            (
                row.inviter_org_id,
                row.inviter_org_name.clone(),
                row.invitee_org_name.clone().unwrap_or_default(),
            )
        };
        let accepted = row.status == "accepted";
        // Rows come latest first: keep the first, unless an accepted one comes after an invited.
        let replace = match chosen.get(&partner_org_id) {
            None => true,
            Some((was_accepted, _)) => accepted && !was_accepted,
        };
        if replace {
            chosen.insert(
                partner_org_id,
                (
                    accepted,
                    Partner {
                        connection_id: row.id,
                        partner_org_id,
                        partner_name,
                        own_name,
                        inviter,
                    },
                ),
            );
        }
    }
    let mut context = Context::default();
    for (partner_org_id, (_, partner)) in chosen {
        let offered = offered(conn, &partner).await?;
        context.offered.insert(partner_org_id, offered);
        context.partners.insert(partner_org_id, partner);
    }
    Ok(context)
}

/// What the partner publishes to the org on the partner's connection, with the partner's
/// definitions of those objects (a standard object's standard definition when the partner added
/// no field to it).
async fn offered(
    conn: &mut AsyncPgConnection,
    partner: &Partner,
) -> QueryResult<BTreeMap<String, Offered>> {
    let published: Vec<(String, Vec<String>)> = published_objects::table
        .filter(published_objects::connection_id.eq(partner.connection_id))
        .filter(published_objects::org_id.eq(partner.partner_org_id))
        .select((published_objects::object, published_objects::fields))
        .load(conn)
        .await?;
    let names: Vec<&String> = published.iter().map(|(o, _)| o).collect();
    let definitions: Vec<(String, serde_json::Value)> = object_definitions::table
        .filter(object_definitions::org_id.eq(partner.partner_org_id))
        .filter(object_definitions::api_name.eq_any(names))
        .select((object_definitions::api_name, object_definitions::definition))
        .load(conn)
        .await?;
    let mut definitions: BTreeMap<String, ObjectDef> = definitions
        .into_iter()
        .filter_map(|(name, json)| {
            serde_json::from_value::<ObjectDef>(json)
                .ok()
                .map(|d| (name, d))
        })
        .collect();
    Ok(published
        .into_iter()
        .map(|(object, fields)| {
            let definition = definitions
                .remove(&object)
                .or_else(|| standard::object(&object));
            (object, Offered { definition, fields })
        })
        .collect())
}
