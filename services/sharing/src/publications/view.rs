//! What a side sees of a connection's publications: its own and its partner's, each field with
//! its type.

use super::change::current;
use super::resolve::PublishedSet;
use crate::connections::{Connection, Side};
use crate::objects::store;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use shared::crm::{FieldDef, ObjectDef};
use shared::ids::OrgId;
use uuid::Uuid;

/// One published object with its published fields.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishedObjectView {
    pub object: String,
    pub label: String,
    pub fields: Vec<FieldDef>,
}

/// Both sides' publications on a connection.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicationsView {
    pub connection_id: Uuid,
    /// What your org publishes to the partner.
    pub published: Vec<PublishedObjectView>,
    /// What the partner publishes to you (empty until it accepted).
    pub partner_published: Vec<PublishedObjectView>,
}

/// `set` with each field's definition from `objects` (a field the schema lost is left out).
pub fn describe(set: &PublishedSet, objects: &[ObjectDef]) -> Vec<PublishedObjectView> {
    set.iter()
        .map(|(name, fields)| {
            let object = objects.iter().find(|o| &o.api_name == name);
            PublishedObjectView {
                object: name.clone(),
                label: object
                    .map(|o| o.label.clone())
                    .unwrap_or_else(|| name.clone()),
                fields: fields
                    .iter()
                    .filter_map(|f| object.and_then(|o| o.field(f)).cloned())
                    .collect(),
            }
        })
        .collect()
}

/// The view for `side` of `connection`. The partner's field definitions are read from its
/// schema: it chose to publish them to this connection.
pub async fn view(
    conn: &mut AsyncPgConnection,
    connection: &Connection,
    side: Side,
    org: OrgId,
) -> diesel::QueryResult<PublicationsView> {
    let mine = current(conn, connection.id, org.as_uuid()).await?;
    let my_objects = store::all(conn, org).await?;
    let partner_published = match connection.partner_of(side) {
        Some(partner) if connection.status != "invited" => {
            let theirs = current(conn, connection.id, partner).await?;
            let their_objects = store::all(conn, OrgId(partner)).await?;
            describe(&theirs, &their_objects)
        }
        _ => Vec::new(),
    };
    Ok(PublicationsView {
        connection_id: connection.id,
        published: describe(&mine, &my_objects),
        partner_published,
    })
}
