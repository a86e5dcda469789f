//! A connection as stored, and as the API shows it.

use crate::lifecycle::{self, Side};
use crate::schema::connections;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ids::OrgId;
use uuid::Uuid;

/// The status of a connection, with S2S's API values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Status {
    /// Invitation sent, not answered.
    Sent,
    /// Invitation received (the invitee's view), not answered.
    Received,
    /// The invitee chose to decide later.
    Pending,
    Accepted,
    Rejected,
    /// Deactivated by either side.
    Inactive,
    /// Cancelled by the inviter before an answer.
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "Sent",
            Status::Received => "Received",
            Status::Pending => "Pending",
            Status::Accepted => "Accepted",
            Status::Rejected => "Rejected",
            Status::Inactive => "Inactive",
            Status::Cancelled => "Cancelled",
        }
    }

    /// The status a stored value names.
    pub fn parse(value: &str) -> Option<Self> {
        [
            Status::Sent,
            Status::Received,
            Status::Pending,
            Status::Accepted,
            Status::Rejected,
            Status::Inactive,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = connections)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub partner_org_id: Option<Uuid>,
    pub status: String,
    pub contact_name: String,
    pub contact_email: String,
    pub account_name: Option<String>,
    pub owner_user_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    pub invited_at: DateTime<Utc>,
    pub response_date: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub partner_owner_user_id: Option<Uuid>,
}

impl ConnectionRow {
    /// The stored status. The table's CHECK constraint keeps it one of [`Status`]'s values.
    pub fn stored_status(&self) -> Result<Status, shared::http::ApiError> {
        Status::parse(&self.status).ok_or_else(|| {
            shared::http::ApiError::internal(anyhow::anyhow!(
                "connection {} has an unknown status {:?}",
                self.id,
                self.status
            ))
        })
    }

    /// The side `org` is on, if it is on one.
    pub fn side_of(&self, org: OrgId) -> Option<Side> {
        if self.org_id == org.as_uuid() {
            Some(Side::Inviter)
        } else if self.partner_org_id == Some(org.as_uuid()) {
            Some(Side::Invitee)
        } else {
            None
        }
    }

    /// The connection as the org on `side` sees it.
    pub fn view(self, side: Side) -> ConnectionView {
        let status = Status::parse(&self.status)
            .map(|s| lifecycle::seen_by(s, side).as_str().to_string())
            .unwrap_or(self.status);
        // Account, owner and template are the inviter's own data; the invitee sees its owner.
        let (owner_user_id, account, template_id) = match side {
            Side::Inviter => (self.owner_user_id, self.account_name, self.template_id),
            Side::Invitee => (self.partner_owner_user_id, None, None),
        };
        ConnectionView {
            id: self.id,
            org_id: self.org_id,
            partner_org_id: self.partner_org_id,
            status,
            contact: Contact {
                name: self.contact_name,
                email: self.contact_email,
            },
            account,
            owner_user_id,
            template_id,
            invited_at: self.invited_at,
            response_date: self.response_date,
            updated_at: self.updated_at,
        }
    }
}

/// A connection, as the API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub id: Uuid,
    /// The org that sent the invitation.
    pub org_id: Uuid,
    /// The invited org, once it has claimed the invitation.
    pub partner_org_id: Option<Uuid>,
    /// The status as the asking org sees it: `Sent` for the inviter, `Received` (or `Pending`)
    /// for the invitee while the invitation is unanswered.
    #[schema(value_type = Status)]
    pub status: String,
    pub contact: Contact,
    /// The related account (the inviter's own; absent for the invited org).
    pub account: Option<String>,
    /// The asking org's connection owner (each side has its own).
    pub owner_user_id: Option<Uuid>,
    /// The connection template (the inviter's own; absent for the invited org).
    pub template_id: Option<Uuid>,
    pub invited_at: DateTime<Utc>,
    /// When the invitation was accepted or rejected.
    pub response_date: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The person invited. Unknown fields are refused, as at the top level of a request.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub name: String,
    #[schema(format = "email")]
    pub email: String,
}

/// A connection filter: the connections `org` is one of the two sides of. Every query that shows
/// or changes a connection for an org goes through it, so isolation is written once.
pub type VisibleTo = Box<
    dyn diesel::BoxableExpression<
            connections::table,
            diesel::pg::Pg,
            SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
        >,
>;

pub fn visible_to(org: shared::ids::OrgId) -> VisibleTo {
    Box::new(
        connections::org_id
            .eq(org.as_uuid())
            .nullable()
            .or(connections::partner_org_id.eq(org.as_uuid())),
    )
}
