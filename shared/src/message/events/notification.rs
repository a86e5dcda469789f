//! Events published by the notification service.

use crate::ids::{ConnectionId, EmailId};
use crate::message::Message;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An email was accepted by the SMTP server. Addressed to the org that sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EmailSentV1 {
    pub email_id: EmailId,
    /// The connection the email is about, when it is about one.
    pub connection_id: Option<ConnectionId>,
    /// The email kind, e.g. `invitation`.
    pub email_kind: String,
    pub recipient: String,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
}

impl Message for EmailSentV1 {
    const KIND: &'static str = "notification.email_sent";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "An email was accepted by the SMTP server.";
}

/// An email could not be delivered and will not be tried again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EmailFailedV1 {
    pub email_id: EmailId,
    pub connection_id: Option<ConnectionId>,
    pub email_kind: String,
    pub recipient: String,
    pub subject: String,
    /// The SMTP server's answer, or why sending stopped.
    pub reason: String,
    pub failed_at: DateTime<Utc>,
}

impl Message for EmailFailedV1 {
    const KIND: &'static str = "notification.email_failed";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "An email could not be delivered (permanent SMTP error or attempts exhausted).";
}
