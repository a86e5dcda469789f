//! Who may forward a record and stop sharing it (S2S: the record's owner, a user above the
//! owner in the org's role hierarchy, or an admin; forwarding many records at once needs
//! `manage_connections`). A record owned by a queue is its members' own. A web page acts as its signed-in user. An API key is no user, so it
//! owns nothing and is above no one: it acts as an admin of its org when it holds `admin`, else
//! as an integration when it holds `manage_connections`, else it may forward or stop nothing
//! (docs/roles-and-queues.md). A key never does more than its scopes allow.

use super::rules::Refusal;
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use shared::identity::{Principal, Scope};
use shared::roles;
use uuid::Uuid;

/// The refusal codes this module answers.
pub const NOT_OWNER: &str = "not_owner";
pub const MANY_NEED_MANAGE_CONNECTIONS: &str = "many_need_manage_connections";

/// What the caller may do regardless of the record, or what the record's owner decides.
#[derive(Debug, PartialEq, Eq)]
enum Standing {
    /// An admin (a user or key with `admin`), or a key acting as an integration.
    Any,
    /// The caller is refused whatever the record.
    Refused(Refusal),
    /// A user without `admin`: the record's owner decides.
    OwnerOrAbove(shared::ids::UserId),
}

/// The caller's standing for a forward of `records` records (a stop counts as one).
fn standing(principal: &Principal, records: usize) -> Standing {
    if principal.has(Scope::Admin) {
        return Standing::Any;
    }
    match principal.user_id {
        None if principal.has(Scope::ManageConnections) => Standing::Any,
        None => Standing::Refused(Refusal::new(
            NOT_OWNER,
            "an API key is no user and owns no record: it forwards and stops sharing as an \
             admin (the admin scope) or an integration (manage_connections), and this key \
             holds neither",
        )),
        Some(_) if records > 1 && !principal.has(Scope::ManageConnections) => {
            Standing::Refused(Refusal::new(
                MANY_NEED_MANAGE_CONNECTIONS,
                format!(
                    "forwarding {records} records at once needs the manage_connections scope; \
                     forward them one by one"
                ),
            ))
        }
        Some(user) => Standing::OwnerOrAbove(user),
    }
}

/// Decides for each record by its owner; one decision per distinct owner.
pub struct Authority<'a> {
    principal: &'a Principal,
    standing: Standing,
    decided: Vec<(Option<String>, Option<Refusal>)>,
}

impl<'a> Authority<'a> {
    /// For a request of `records` records (a stop: 1).
    pub fn new(principal: &'a Principal, records: usize) -> Self {
        Self {
            principal,
            standing: standing(principal, records),
            decided: Vec::new(),
        }
    }

    /// Why the caller may not forward or stop sharing a record owned by `owner` (a user's or
    /// a queue's id, or none), or `None` when it may.
    pub async fn refusal(
        &mut self,
        conn: &mut AsyncPgConnection,
        owner: Option<&str>,
    ) -> QueryResult<Option<Refusal>> {
        let user = match &self.standing {
            Standing::Any => return Ok(None),
            Standing::Refused(refusal) => return Ok(Some(refusal.clone())),
            Standing::OwnerOrAbove(user) => *user,
        };
        if let Some((_, decided)) = self.decided.iter().find(|(o, _)| o.as_deref() == owner) {
            return Ok(decided.clone());
        }
        let owner_id = owner.and_then(|o| Uuid::parse_str(o).ok());
        let may = match owner_id {
            Some(id) if id == user.as_uuid() => true,
            Some(id) => {
                let org = self.principal.org_id;
                roles::is_above(conn, org, user, id).await?
                    || roles::is_queue_member(conn, org, user, id).await?
            }
            None => false,
        };
        let decided = (!may).then(|| {
            Refusal::new(
                NOT_OWNER,
                "you neither own this record nor are above its owner in your org's role \
                 hierarchy, and you are no admin",
            )
        });
        self.decided
            .push((owner.map(str::to_string), decided.clone()));
        Ok(decided)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::{OrgId, UserId};

    fn principal(scopes: &[Scope], user: Option<UserId>) -> Principal {
        Principal {
            org_id: OrgId::new(),
            key_id: Uuid::now_v7(),
            scopes: scopes.to_vec(),
            user_id: user,
        }
    }

    fn code(standing: Standing) -> Option<&'static str> {
        match standing {
            Standing::Refused(r) => Some(r.code),
            _ => None,
        }
    }

    #[test]
    fn a_key_acts_as_admin_or_integration_or_not_at_all() {
        assert_eq!(
            standing(&principal(&[Scope::Forward, Scope::Admin], None), 5),
            Standing::Any
        );
        assert_eq!(
            standing(
                &principal(&[Scope::Forward, Scope::ManageConnections], None),
                5
            ),
            Standing::Any
        );
        assert_eq!(
            code(standing(&principal(&[Scope::Forward], None), 1)),
            Some(NOT_OWNER)
        );
    }

    #[test]
    fn a_user_forwards_many_only_with_manage_connections() {
        let user = UserId::new();
        assert_eq!(
            code(standing(&principal(&[Scope::Forward], Some(user)), 2)),
            Some(MANY_NEED_MANAGE_CONNECTIONS)
        );
        assert_eq!(
            standing(&principal(&[Scope::Forward], Some(user)), 1),
            Standing::OwnerOrAbove(user)
        );
        assert_eq!(
            standing(
                &principal(&[Scope::Forward, Scope::ManageConnections], Some(user)),
                2
            ),
            Standing::OwnerOrAbove(user)
        );
        assert_eq!(
            standing(&principal(&[Scope::Admin], Some(user)), 2),
            Standing::Any
        );
    }
}
