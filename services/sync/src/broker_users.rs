//! Which RabbitMQ user is which org's. The broker keeps the password; this table the mapping,
//! so the ingest consumer can tell the org from the broker-checked `user_id` property.

use crate::schema::broker_users;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::ids::OrgId;
use std::collections::HashMap;
use std::sync::RwLock;

/// The broker user name of an org: one per org, fixed, so rotating its password keeps it.
pub fn username(prefix: &str, org: OrgId) -> String {
    format!("{prefix}-org-{org}")
}

/// Records (or confirms) that `username` is `org`'s broker user, and when its password was set.
pub async fn save(conn: &mut AsyncPgConnection, org: OrgId, username: &str) -> QueryResult<()> {
    diesel::insert_into(broker_users::table)
        .values((
            broker_users::org_id.eq(org.as_uuid()),
            broker_users::username.eq(username),
        ))
        .on_conflict(broker_users::org_id)
        .do_update()
        .set((
            broker_users::username.eq(excluded(broker_users::username)),
            broker_users::password_set_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The broker user of `org`, if it has one.
pub async fn of_org(conn: &mut AsyncPgConnection, org: OrgId) -> QueryResult<Option<String>> {
    broker_users::table
        .filter(broker_users::org_id.eq(org.as_uuid()))
        .select(broker_users::username)
        .first(conn)
        .await
        .optional()
}

/// Every org that has a broker user (their change feeds are declared at start).
pub async fn orgs(conn: &mut AsyncPgConnection) -> QueryResult<Vec<OrgId>> {
    let ids: Vec<uuid::Uuid> = broker_users::table
        .select(broker_users::org_id)
        .load(conn)
        .await?;
    Ok(ids.into_iter().map(OrgId).collect())
}

/// Broker user -> org, remembered once found: a user never changes org.
#[derive(Debug, Default)]
pub struct Directory {
    known: RwLock<HashMap<String, OrgId>>,
}

impl Directory {
    pub async fn org_of(
        &self,
        conn: &mut AsyncPgConnection,
        username: &str,
    ) -> QueryResult<Option<OrgId>> {
        if let Some(org) = self
            .known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(username)
        {
            return Ok(Some(*org));
        }
        let found: Option<uuid::Uuid> = broker_users::table
            .filter(broker_users::username.eq(username))
            .select(broker_users::org_id)
            .first(conn)
            .await
            .optional()?;
        let org = found.map(OrgId);
        if let Some(org) = org {
            self.known
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(username.to_string(), org);
        }
        Ok(org)
    }
}
