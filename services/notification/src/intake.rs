//! Events in, emails out: each handler renders its email kind into a row of the email outbox.
//! The row commits with the inbox row, so a redelivered event queues nothing twice.

use crate::schema::emails;
use crate::templates::{Rendered, Templates};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use shared::consumer::Handler;
use shared::error::HandlerError;
use shared::ids::{ConnectionId, EmailId, MessageId, OrgId};
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use std::sync::Arc;

/// An email to queue.
pub struct NewEmail<'a> {
    pub org_id: OrgId,
    pub connection_id: Option<ConnectionId>,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub from_header: &'a str,
    pub reply_to: Option<&'a str>,
    pub rendered: Rendered,
    pub source_message_id: MessageId,
}

/// Queues an email for delivery. A second email for the same event, kind and recipient is ignored.
pub async fn queue_email(
    conn: &mut AsyncPgConnection,
    email: NewEmail<'_>,
) -> Result<(), HandlerError> {
    if email.recipient.parse::<lettre::Address>().is_err() {
        return Err(HandlerError::permanent(format!(
            "recipient of the {} email is not a valid address",
            email.kind
        )));
    }
    diesel::insert_into(emails::table)
        .values((
            emails::id.eq(EmailId::new().as_uuid()),
            emails::org_id.eq(email.org_id.as_uuid()),
            emails::connection_id.eq(email.connection_id.map(|c| c.as_uuid())),
            emails::kind.eq(email.kind),
            emails::recipient.eq(email.recipient),
            emails::from_header.eq(email.from_header),
            emails::reply_to.eq(email.reply_to),
            emails::subject.eq(&email.rendered.subject),
            emails::text_body.eq(&email.rendered.text),
            emails::html_body.eq(&email.rendered.html),
            emails::source_message_id.eq(email.source_message_id.as_uuid()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

fn render(
    templates: &Templates,
    kind: &str,
    context: &serde_json::Value,
) -> Result<Rendered, HandlerError> {
    templates
        .render(kind, context)
        .map_err(|e| HandlerError::permanent(format!("the {kind} template cannot render: {e}")))
}

/// `connection.invitation_sent.v1`: the invitation email, to the invited contact.
pub struct InvitationEmail {
    pub templates: Arc<Templates>,
    /// The deployment's sender (`Name <address>`).
    pub sender: String,
}

impl Handler<InvitationSentV1> for InvitationEmail {
    fn handle<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        message: &'a Envelope<InvitationSentV1>,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let invitation = &message.payload;
            let context = serde_json::json!({
                "inviter_org_name": invitation.inviter_org_name,
                "sender_org_name": invitation.inviter_org_name,
                "contact_name": invitation.contact_name,
                "accept_url": invitation.accept_url,
                "expires_on": invitation.expires_at.format("%-d %B %Y").to_string(),
            });
            let rendered = render(&self.templates, "invitation", &context)?;
            queue_email(
                conn,
                NewEmail {
                    org_id: message.org_id,
                    connection_id: Some(invitation.connection_id),
                    kind: "invitation",
                    recipient: &invitation.contact_email,
                    from_header: &self.sender,
                    reply_to: None,
                    rendered,
                    source_message_id: message.message_id,
                },
            )
            .await
        })
    }
}
