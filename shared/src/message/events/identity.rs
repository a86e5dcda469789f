//! Events of the invitation service about its users (sign-in by emailed link).

use super::Recipient;
use crate::message::Message;
use crate::message::rules::{self, NAME_MAX, URL_MAX};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user asked to sign in to the web pages; the sign-in link email must be sent. Addressed to
/// the user's org. Like an invitation link, `sign_in_url` carries a sealed reference, never the
/// working token ([`crate::sealed_link`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignInLinkRequestedV1 {
    pub user: Recipient,
    pub org_name: String,
    pub sign_in_url: String,
    pub expires_at: DateTime<Utc>,
}

impl Message for SignInLinkRequestedV1 {
    const KIND: &'static str = "identity.sign_in_link_requested";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str =
        "A user asked for a link to sign in to the web pages; the sign-in email must be sent.";

    fn validate(&self) -> Result<(), String> {
        rules::recipient("user", &self.user)?;
        rules::text("org_name", &self.org_name, NAME_MAX)?;
        rules::text("sign_in_url", &self.sign_in_url, URL_MAX)
    }
}
