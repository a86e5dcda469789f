//! Events published by the invitation service.

use super::Recipient;
use crate::ids::{ConnectionId, OrgId};
use crate::message::Message;
use crate::message::rules::{self, NAME_MAX, URL_MAX};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An org invited a partner; the invitation email must go out. Addressed to the inviting org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvitationSentV1 {
    pub connection_id: ConnectionId,
    /// The inviting organization's display name.
    pub inviter_org_name: String,
    /// The person invited.
    pub contact_name: String,
    pub contact_email: String,
    /// The link the invitee follows; it holds a single-use token.
    pub accept_url: String,
    pub expires_at: DateTime<Utc>,
}

impl Message for InvitationSentV1 {
    const KIND: &'static str = "connection.invitation_sent";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "An organization invited a partner to connect; the invitation email must be sent.";

    fn validate(&self) -> Result<(), String> {
        rules::text("inviter_org_name", &self.inviter_org_name, NAME_MAX)?;
        rules::text("contact_name", &self.contact_name, NAME_MAX)?;
        rules::email("contact_email", &self.contact_email)?;
        rules::text("accept_url", &self.accept_url, URL_MAX)
    }
}

/// An unanswered invitation was sent again with a new token (the old one no longer works).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvitationResentV1 {
    pub connection_id: ConnectionId,
    pub inviter_org_name: String,
    pub contact_name: String,
    pub contact_email: String,
    /// The new link; the previous one stopped working.
    pub accept_url: String,
    pub expires_at: DateTime<Utc>,
}

impl Message for InvitationResentV1 {
    const KIND: &'static str = "connection.invitation_resent";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "An unanswered invitation was sent again with a new link; the old link stopped working.";

    fn validate(&self) -> Result<(), String> {
        rules::text("inviter_org_name", &self.inviter_org_name, NAME_MAX)?;
        rules::text("contact_name", &self.contact_name, NAME_MAX)?;
        rules::email("contact_email", &self.contact_email)?;
        rules::text("accept_url", &self.accept_url, URL_MAX)
    }
}

/// The inviter cancelled an unanswered invitation; its link stopped working.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvitationCancelledV1 {
    pub connection_id: ConnectionId,
    pub inviter_org_name: String,
    pub contact_name: String,
    pub contact_email: String,
}

impl Message for InvitationCancelledV1 {
    const KIND: &'static str = "connection.invitation_cancelled";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "The inviter cancelled an unanswered invitation.";

    fn validate(&self) -> Result<(), String> {
        rules::text("inviter_org_name", &self.inviter_org_name, NAME_MAX)?;
        rules::text("contact_name", &self.contact_name, NAME_MAX)?;
        rules::email("contact_email", &self.contact_email)
    }
}

/// The invited org accepted or declined. Addressed to the inviting org; the email goes to the
/// connection's owner there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InvitationAnswer {
    pub connection_id: ConnectionId,
    /// The org that answered.
    pub partner_org_id: OrgId,
    pub partner_org_name: String,
    /// The inviting org's connection owner, who is told of the decision.
    pub owner: Recipient,
    pub response_date: DateTime<Utc>,
}

impl InvitationAnswer {
    fn check(&self) -> Result<(), String> {
        rules::text("partner_org_name", &self.partner_org_name, NAME_MAX)?;
        rules::recipient("owner", &self.owner)
    }
}

/// The invited org accepted: the connection is Accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct InvitationAcceptedV1(pub InvitationAnswer);

impl Message for InvitationAcceptedV1 {
    const KIND: &'static str = "connection.invitation_accepted";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "The invited organization accepted; the connection is active. The inviter's owner is told.";

    fn validate(&self) -> Result<(), String> {
        self.0.check()
    }
}

/// The invited org declined: the connection is Rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct InvitationDeclinedV1(pub InvitationAnswer);

impl Message for InvitationDeclinedV1 {
    const KIND: &'static str = "connection.invitation_declined";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "The invited organization declined. The inviter's owner is told.";

    fn validate(&self) -> Result<(), String> {
        self.0.check()
    }
}

/// One side deactivated an active connection. Addressed to the org that deactivated it.
/// Other services stop sending updates over it; records shared with the other side stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectionDeactivatedV1 {
    pub connection_id: ConnectionId,
    pub deactivated_by_org_id: OrgId,
    pub deactivated_by_org_name: String,
    /// The other side of the connection.
    pub other_org_id: OrgId,
    /// Who is told on the other side (its connection owner, else the invited contact).
    pub notify: Recipient,
    pub deactivated_at: DateTime<Utc>,
}

impl Message for ConnectionDeactivatedV1 {
    const KIND: &'static str = "connection.deactivated";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "One side deactivated a connection; updates stop crossing it. The other side is told.";

    fn validate(&self) -> Result<(), String> {
        rules::text(
            "deactivated_by_org_name",
            &self.deactivated_by_org_name,
            NAME_MAX,
        )?;
        rules::recipient("notify", &self.notify)
    }
}

/// An org chose a connection template for a connection, when inviting or by editing the
/// connection: the sharing service makes the connection's published set exactly the template's.
/// Addressed to the org that chose it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectionTemplateChosenV1 {
    pub connection_id: ConnectionId,
    pub template_id: uuid::Uuid,
}

impl Message for ConnectionTemplateChosenV1 {
    const KIND: &'static str = "connection.template_chosen";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "An organization chose a connection template for a connection, at invite time or by editing it.";

    fn order_key(&self) -> Option<String> {
        Some(self.connection_id.to_string())
    }
}
