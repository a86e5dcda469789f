//! A connection as stored, and as the API shows it.

use crate::schema::connections;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

/// The status of a connection, with S2S's API values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
}

/// A connection, as the API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub id: Uuid,
    /// The org that sent the invitation.
    pub org_id: Uuid,
    /// The invited org, once it has claimed the invitation.
    pub partner_org_id: Option<Uuid>,
    #[schema(value_type = Status)]
    pub status: String,
    pub contact: Contact,
    pub account: Option<String>,
    pub owner_user_id: Option<Uuid>,
    pub template_id: Option<Uuid>,
    pub invited_at: DateTime<Utc>,
    /// When the invitation was accepted or rejected.
    pub response_date: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The person invited.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
}

impl From<ConnectionRow> for ConnectionView {
    fn from(row: ConnectionRow) -> Self {
        Self {
            id: row.id,
            org_id: row.org_id,
            partner_org_id: row.partner_org_id,
            status: row.status,
            contact: Contact {
                name: row.contact_name,
                email: row.contact_email,
            },
            account: row.account_name,
            owner_user_id: row.owner_user_id,
            template_id: row.template_id,
            invited_at: row.invited_at,
            response_date: row.response_date,
            updated_at: row.updated_at,
        }
    }
}
