//! Events in, emails out. Each event type that asks for an email says which kind, to whom, and
//! with which values ([`AsksForEmail`]); one handler renders it with the org's template (or the
//! default) and queues it in the email outbox, in the transaction of the inbox row, so a
//! redelivered event queues nothing twice.

use crate::schema::emails;
use crate::sender;
use crate::templates::{Rendered, Templates};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::ids::{ConnectionId, EmailId, MessageId, OrgId};
use shared::message::events::Recipient;
use shared::message::{Envelope, Message};
use std::sync::Arc;

/// One email an event asks for.
pub struct EmailRequest {
    pub kind: &'static str,
    pub connection_id: Option<ConnectionId>,
    pub recipient: Recipient,
    /// Named in the layout's footer ("on behalf of ...").
    pub sender_org_name: String,
    pub context: Value,
}

/// An event that asks for an email (or, by returning `None`, decides it needs none).
pub trait AsksForEmail: Message {
    fn email(&self, links: &Links) -> Option<EmailRequest>;
}

/// Links into PartnerNet, built from `PUBLIC_BASE_URL`.
#[derive(Debug, Clone)]
pub struct Links {
    pub base_url: String,
}

impl Links {
    pub fn connection(&self, id: ConnectionId) -> String {
        format!("{}/connections/{id}", self.base_url)
    }
}

/// What every email handler needs.
pub struct Intake {
    pub templates: Arc<Templates>,
    /// The deployment's sender (`Name <address>`).
    pub default_from: String,
    pub links: Links,
}

/// Turns any [`AsksForEmail`] event into a queued email.
pub struct EmailOnEvent(pub Arc<Intake>);

impl<M: AsksForEmail> Handler<M> for EmailOnEvent {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<M>,
    ) -> Result<(), HandlerError> {
        let Some(request) = message.payload.email(&self.0.links) else {
            return Ok(());
        };
        queue_rendered(conn, &self.0, message.org_id, message.message_id, request)
            .await
            .map(|_| ())
    }
}

/// Renders `request` with the org's template and sender, and queues it. Returns the email's id,
/// or `None` when the same email was queued before.
pub async fn queue_rendered(
    conn: &mut AsyncPgConnection,
    intake: &Intake,
    org_id: OrgId,
    source_message_id: MessageId,
    mut request: EmailRequest,
) -> Result<Option<EmailId>, HandlerError> {
    if let Some(map) = request.context.as_object_mut() {
        map.insert("sender_org_name".into(), json!(request.sender_org_name));
    }
    let (custom, org_sender) = sender::for_email(conn, org_id, Some(request.kind)).await?;
    let rendered = match intake
        .templates
        .render(request.kind, custom.as_ref(), &request.context)
    {
        Ok(rendered) => rendered,
        // The org's template was checked when saved; if it fails now, the default still informs.
        Err(problem) if custom.is_some() => {
            tracing::warn!(kind = request.kind, %problem, "org template failed; default used");
            intake
                .templates
                .render(request.kind, None, &request.context)
                .map_err(|p| HandlerError::permanent(format!("{} template: {p}", request.kind)))?
        }
        Err(problem) => {
            return Err(HandlerError::permanent(format!(
                "{} template: {problem}",
                request.kind
            )));
        }
    };
    let from = sender::choose(&intake.default_from, org_sender.as_ref());
    queue_email(
        conn,
        NewEmail {
            org_id,
            connection_id: request.connection_id,
            kind: request.kind,
            recipient: &request.recipient.email,
            from_header: &from.from,
            reply_to: from.reply_to.as_deref(),
            rendered,
            source_message_id,
        },
    )
    .await
}

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
) -> Result<Option<EmailId>, HandlerError> {
    if email.recipient.parse::<lettre::Address>().is_err() {
        return Err(HandlerError::permanent(format!(
            "recipient of the {} email is not a valid address",
            email.kind
        )));
    }
    let id = EmailId::new();
    let inserted = diesel::insert_into(emails::table)
        .values((
            emails::id.eq(id.as_uuid()),
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
    Ok((inserted == 1).then_some(id))
}
