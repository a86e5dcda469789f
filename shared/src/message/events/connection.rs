//! Events published by the invitation service.

use crate::ids::ConnectionId;
use crate::message::Message;
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
}
