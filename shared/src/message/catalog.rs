//! The list of every message type, for the AsyncAPI document and for tests that check it.

use super::{Envelope, Message, events};

/// What the AsyncAPI document says of one message type.
#[derive(Debug, Clone)]
pub struct MessageDoc {
    pub kind: &'static str,
    pub version: u32,
    pub description: &'static str,
    /// The service that publishes it.
    pub publisher: &'static str,
    /// JSON schema of the whole envelope with this payload.
    pub schema: serde_json::Value,
}

impl MessageDoc {
    pub fn routing_key(&self) -> String {
        super::routing_key(self.kind, self.version)
    }
}

fn doc<M: Message>(publisher: &'static str) -> MessageDoc {
    MessageDoc {
        kind: M::KIND,
        version: M::VERSION,
        description: M::DESCRIPTION,
        publisher,
        schema: inline_schema::<Envelope<M>>(),
    }
}

/// A self-contained JSON schema (no `$defs`), so it can sit inside another document.
fn inline_schema<T: schemars::JsonSchema>() -> serde_json::Value {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    schema
}

/// Every message type PartnerNet publishes or accepts.
pub fn all() -> Vec<MessageDoc> {
    use events::{
        connection, field_sync, identity, link_ends, links, notification, record, sharing, sync,
    };
    vec![
        doc::<connection::InvitationSentV1>("invitation"),
        doc::<connection::InvitationResentV1>("invitation"),
        doc::<connection::InvitationCancelledV1>("invitation"),
        doc::<connection::InvitationAcceptedV1>("invitation"),
        doc::<connection::InvitationDeclinedV1>("invitation"),
        doc::<connection::ConnectionDeactivatedV1>("invitation"),
        doc::<connection::ConnectionTemplateChosenV1>("invitation"),
        doc::<identity::SignInLinkRequestedV1>("invitation"),
        doc::<notification::EmailSentV1>("notification"),
        doc::<notification::EmailFailedV1>("notification"),
        doc::<sharing::PublicationsChangedV1>("sharing"),
        doc::<sharing::RecordsForwardedV1>("sharing"),
        doc::<sharing::RecordAcceptFailedV1>("sharing"),
        doc::<links::RecordForwardedV1>("sharing"),
        doc::<links::CopyRequestedV1>("sharing"),
        doc::<links::RecordAcceptedV1>("sharing"),
        doc::<links::RecordRejectedV1>("sharing"),
        doc::<links::RecordHeldV1>("sharing"),
        doc::<link_ends::LinkEndedV1>("sharing"),
        doc::<sharing::ObjectSchemaChangedV1>("sharing"),
        doc::<sharing::ConnectionTemplateChangedV1>("sharing"),
        doc::<sharing::SubscriptionChangedV1>("sharing"),
        doc::<sync::SyncUpdateFailedV1>("sync"),
        doc::<sync::RecordChangedV1>("sync"),
        doc::<sync::RecordLinksMayEndV1>("sync"),
        doc::<links::CopyCreatedV1>("sync"),
        doc::<field_sync::FieldsUpdatedV1>("sync"),
        doc::<field_sync::RecordDeletedV1>("sync"),
        doc::<field_sync::RecordTouchedV1>("sync"),
        doc::<links::CopyRefusedV1>("sync"),
        doc::<record::RecordUpsertV1>("an org's own system (ingest exchange)"),
        doc::<record::RecordDeleteV1>("an org's own system (ingest exchange)"),
    ]
}
