//! What each event asks of the notification service: which email kind, to whom, with which
//! values. Rendering and queueing are in [`crate::intake`].

use crate::intake::{AsksForEmail, EmailRequest, Links};
use serde_json::json;
use shared::ids::ConnectionId;
use shared::message::events::Recipient;
use shared::message::events::connection::{
    ConnectionDeactivatedV1, InvitationAcceptedV1, InvitationAnswer, InvitationCancelledV1,
    InvitationDeclinedV1, InvitationResentV1, InvitationSentV1,
};
use shared::message::events::identity::SignInLinkRequestedV1;
use shared::message::events::sharing::{PublicationsChangedV1, RecordsForwardedV1};

fn date(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

fn contact(name: &str, email: &str) -> Recipient {
    Recipient {
        name: name.to_string(),
        email: email.to_string(),
    }
}

/// The invitation email, first sent or resent: the same values, another template.
#[allow(clippy::too_many_arguments)]
fn invitation_email(
    kind: &'static str,
    connection_id: ConnectionId,
    inviter_org_name: &str,
    contact_name: &str,
    contact_email: &str,
    accept_url: &str,
    expires_at: &chrono::DateTime<chrono::Utc>,
) -> EmailRequest {
    EmailRequest {
        kind,
        connection_id: Some(connection_id),
        recipient: contact(contact_name, contact_email),
        sender_org_name: inviter_org_name.to_string(),
        context: json!({
            "inviter_org_name": inviter_org_name,
            "contact_name": contact_name,
            "accept_url": accept_url,
            "expires_on": date(expires_at),
        }),
    }
}

impl AsksForEmail for InvitationSentV1 {
    fn email(&self, _links: &Links) -> Option<EmailRequest> {
        Some(invitation_email(
            "invitation",
            self.connection_id,
            &self.inviter_org_name,
            &self.contact_name,
            &self.contact_email,
            &self.accept_url,
            &self.expires_at,
        ))
    }
}

impl AsksForEmail for InvitationResentV1 {
    fn email(&self, _links: &Links) -> Option<EmailRequest> {
        Some(invitation_email(
            "invitation_resent",
            self.connection_id,
            &self.inviter_org_name,
            &self.contact_name,
            &self.contact_email,
            &self.accept_url,
            &self.expires_at,
        ))
    }
}

impl AsksForEmail for InvitationCancelledV1 {
    fn email(&self, _links: &Links) -> Option<EmailRequest> {
        Some(EmailRequest {
            kind: "invitation_cancelled",
            connection_id: Some(self.connection_id),
            recipient: contact(&self.contact_name, &self.contact_email),
            sender_org_name: self.inviter_org_name.clone(),
            context: json!({
                "inviter_org_name": self.inviter_org_name,
                "contact_name": self.contact_name,
            }),
        })
    }
}

fn answer_email(kind: &'static str, answer: &InvitationAnswer, links: &Links) -> EmailRequest {
    EmailRequest {
        kind,
        connection_id: Some(answer.connection_id),
        recipient: answer.owner.clone(),
        sender_org_name: answer.partner_org_name.clone(),
        context: json!({
            "partner_org_name": answer.partner_org_name,
            "owner_name": answer.owner.name,
            "response_date": date(&answer.response_date),
            "connection_url": links.connection(answer.connection_id),
        }),
    }
}

impl AsksForEmail for InvitationAcceptedV1 {
    fn email(&self, links: &Links) -> Option<EmailRequest> {
        Some(answer_email("invitation_accepted", &self.0, links))
    }
}

impl AsksForEmail for InvitationDeclinedV1 {
    fn email(&self, links: &Links) -> Option<EmailRequest> {
        Some(answer_email("invitation_declined", &self.0, links))
    }
}

impl AsksForEmail for ConnectionDeactivatedV1 {
    fn email(&self, links: &Links) -> Option<EmailRequest> {
        Some(EmailRequest {
            kind: "connection_deactivated",
            connection_id: Some(self.connection_id),
            recipient: self.notify.clone(),
            sender_org_name: self.deactivated_by_org_name.clone(),
            context: json!({
                "deactivated_by_org_name": self.deactivated_by_org_name,
                "recipient_name": self.notify.name,
                "deactivated_on": date(&self.deactivated_at),
                "connection_url": links.connection(self.connection_id),
            }),
        })
    }
}

impl AsksForEmail for PublicationsChangedV1 {
    fn email(&self, links: &Links) -> Option<EmailRequest> {
        Some(EmailRequest {
            kind: "connection_updated",
            connection_id: Some(self.connection_id),
            recipient: self.partner.clone(),
            sender_org_name: self.publisher_org_name.clone(),
            context: json!({
                "publisher_org_name": self.publisher_org_name,
                "recipient_name": self.partner.name,
                "objects_published": self.objects_published,
                "objects_unpublished": self.objects_unpublished,
                "changes": self.changes,
                "connection_url": links.connection(self.connection_id),
            }),
        })
    }
}

impl AsksForEmail for RecordsForwardedV1 {
    /// Only when the forward asked for an email, and only for records new to the recipient.
    fn email(&self, links: &Links) -> Option<EmailRequest> {
        if !self.send_email || self.new_records.is_empty() {
            return None;
        }
        Some(EmailRequest {
            kind: "records_forwarded",
            connection_id: Some(self.connection_id),
            recipient: self.recipient.clone(),
            sender_org_name: self.sender_org_name.clone(),
            context: json!({
                "sender_org_name": self.sender_org_name,
                "recipient_name": self.recipient.name,
                "records": self.new_records,
                "connection_url": links.connection(self.connection_id),
            }),
        })
    }
}

impl AsksForEmail for SignInLinkRequestedV1 {
    fn email(&self, _links: &Links) -> Option<EmailRequest> {
        Some(EmailRequest {
            kind: "sign_in_link",
            connection_id: None,
            recipient: self.user.clone(),
            sender_org_name: self.org_name.clone(),
            context: json!({
                "user_name": self.user.name,
                "org_name": self.org_name,
                "sign_in_url": self.sign_in_url,
                "expires_at": self.expires_at.format("%-d %B %Y %H:%M UTC").to_string(),
            }),
        })
    }
}
