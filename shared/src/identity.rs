//! Organizations, their users and API keys, and how a request proves which org it speaks for.
//!
//! An API key is `pn_` followed by 43 url-safe characters (32 random bytes). Only its SHA-256
//! is stored; the key is shown once, when it is created.

use crate::ids::{OrgId, UserId};
use base64::Engine;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

diesel::table! {
    identity.orgs (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    identity.users (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        email -> Text,
        active -> Bool,
        is_connection_user -> Bool,
        created_at -> Timestamptz,
        /// What the user may do on the web pages (the same names as an API key's scopes).
        scopes -> Array<Text>,
        /// The user's place in the org's role hierarchy (`identity.roles`), if any.
        role_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    identity.api_keys (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        key_hash -> Bytea,
        scopes -> Array<Text>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

/// What an API key allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Invite, answer invitations, publish, subscribe, manage templates.
    ManageConnections,
    /// Forward records to partners.
    Forward,
    /// Accept records partners forwarded.
    Accept,
    /// Read everything of the org.
    Read,
    /// Manage the org's users and API keys. A key can only grant scopes it holds itself.
    Admin,
    /// Create, change and delete the org's records over HTTP (one by one or in bulk).
    WriteRecords,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::ManageConnections,
        Scope::Forward,
        Scope::Accept,
        Scope::Read,
        Scope::Admin,
        Scope::WriteRecords,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ManageConnections => "manage_connections",
            Scope::Forward => "forward",
            Scope::Accept => "accept",
            Scope::Read => "read",
            Scope::Admin => "admin",
            Scope::WriteRecords => "write_records",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Every scope's name, for messages: `manage_connections, forward, accept, read, admin`.
    pub fn names() -> String {
        Self::ALL.map(Scope::as_str).join(", ")
    }
}

/// The org a request speaks for, proven by its API key (or a web session).
#[derive(Debug, Clone)]
pub struct Principal {
    pub org_id: OrgId,
    pub key_id: Uuid,
    pub scopes: Vec<Scope>,
    /// The signed-in user a web page acts for; `None` for an API key, which is no user (what a
    /// key may do to a user's records is decided by its scopes: docs/roles-and-queues.md).
    pub user_id: Option<UserId>,
}

impl Principal {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A freshly created org: the key is shown to the operator once.
#[derive(Debug)]
pub struct NewOrg {
    pub org_id: OrgId,
    pub connection_user_id: UserId,
    pub api_key: String,
}

pub fn hash_key(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "pn_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Creates an org with its Connection User and one API key holding every scope.
pub async fn create_org(conn: &mut AsyncPgConnection, name: &str) -> anyhow::Result<NewOrg> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 200,
        "an org name has 1 to 200 characters"
    );
    let org_id = OrgId::new();
    let connection_user_id = UserId::new();
    let api_key = generate_key();
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        diesel::insert_into(orgs::table)
            .values((orgs::id.eq(org_id.as_uuid()), orgs::name.eq(name)))
            .execute(conn)
            .await?;
        diesel::insert_into(users::table)
            .values((
                users::id.eq(connection_user_id.as_uuid()),
                users::org_id.eq(org_id.as_uuid()),
                users::name.eq("Connection User"),
                users::email.eq(format!("connection-user+{org_id}@partnernet.invalid")),
                users::is_connection_user.eq(true),
            ))
            .execute(conn)
            .await?;
        insert_key(conn, org_id, "default", &api_key, &Scope::ALL).await?;
        Ok(())
    })
    .await?;
    Ok(NewOrg {
        org_id,
        connection_user_id,
        api_key,
    })
}

/// Creates an API key for `org_id` and returns it (the only time it exists in clear).
pub async fn create_key(
    conn: &mut AsyncPgConnection,
    org_id: OrgId,
    name: &str,
    scopes: &[Scope],
) -> anyhow::Result<String> {
    let key = generate_key();
    insert_key(conn, org_id, name, &key, scopes).await?;
    Ok(key)
}

async fn insert_key(
    conn: &mut AsyncPgConnection,
    org_id: OrgId,
    name: &str,
    key: &str,
    scopes: &[Scope],
) -> QueryResult<()> {
    let scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_string()).collect();
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(Uuid::now_v7()),
            api_keys::org_id.eq(org_id.as_uuid()),
            api_keys::name.eq(name),
            api_keys::key_hash.eq(hash_key(key)),
            api_keys::scopes.eq(scopes),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The principal behind `key`, or `None` for an unknown or revoked key.
pub async fn authenticate(
    conn: &mut AsyncPgConnection,
    key: &str,
) -> QueryResult<Option<Principal>> {
    let row: Option<(Uuid, Uuid, Vec<String>)> = api_keys::table
        .filter(api_keys::key_hash.eq(hash_key(key)))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::id, api_keys::org_id, api_keys::scopes))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(key_id, org_id, scopes)| Principal {
        org_id: OrgId(org_id),
        key_id,
        scopes: scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
        user_id: None,
    }))
}

/// The scopes of an active user of `org` (not its Connection User), or `None` for anyone else.
pub async fn user_scopes(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    user: Uuid,
) -> QueryResult<Option<Vec<Scope>>> {
    let scopes: Option<Vec<String>> = users::table
        .filter(users::id.eq(user))
        .filter(users::org_id.eq(org.as_uuid()))
        .filter(users::active)
        .filter(users::is_connection_user.eq(false))
        .select(users::scopes)
        .first(conn)
        .await
        .optional()?;
    Ok(scopes.map(|names| names.iter().filter_map(|s| Scope::parse(s)).collect()))
}

/// The org's display name.
pub async fn org_name(conn: &mut AsyncPgConnection, org_id: OrgId) -> QueryResult<Option<String>> {
    orgs::table
        .find(org_id.as_uuid())
        .select(orgs::name)
        .first(conn)
        .await
        .optional()
}
