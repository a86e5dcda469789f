//! The ingest consumer: records published by orgs' own systems to the ingest exchange.
//!
//! The org is the broker user that published the message (the AMQP `user_id` property, which
//! RabbitMQ checks equals the connection's user), never a field of the body. A message without
//! `user_id`, from a user that is no org's, or whose envelope names another org, is
//! dead-lettered with the reason, as is one that breaks the org's schema: nothing changes.

use crate::broker_users::Directory;
use crate::store::Mode;
use crate::store::write::{Upsert, Writer};
use diesel_async::AsyncPgConnection;
use shared::consumer::{Context, IngestHandler};
use shared::error::HandlerError;
use shared::hlc::Clock;
use shared::ids::OrgId;
use shared::message::events::record::{RecordDeleteV1, RecordUpsertV1};
use shared::message::events::sync::{ChangeSource, ChangedBy};
use shared::message::{Envelope, Message};
use std::sync::Arc;

#[derive(Clone)]
pub struct Ingest {
    pub clock: Arc<Clock>,
    pub directory: Arc<Directory>,
}

impl Ingest {
    /// The publishing org, or why the message cannot be taken.
    async fn org<M: Message>(
        &self,
        conn: &mut AsyncPgConnection,
        user_id: Option<&str>,
        message: &Envelope<M>,
    ) -> Result<OrgId, HandlerError> {
        let Some(user) = user_id else {
            return Err(HandlerError::permanent(
                "no user_id property: publish with user_id set to your org's broker user",
            ));
        };
        let Some(org) = self.directory.org_of(conn, user).await? else {
            return Err(HandlerError::permanent(format!(
                "broker user {user:?} is no org's broker user"
            )));
        };
        if message.org_id != org {
            return Err(HandlerError::permanent(format!(
                "envelope org_id {} is not the publishing org {org}",
                message.org_id
            )));
        }
        Ok(org)
    }

    fn writer<'a>(&'a self, org: OrgId, cause: &'a shared::message::EnvelopeHead) -> Writer<'a> {
        Writer {
            clock: &self.clock,
            org,
            changed_by: ChangedBy::Org {
                source: ChangeSource::Amqp,
            },
            cause: Some(cause),
        }
    }
}

impl IngestHandler<RecordUpsertV1> for Ingest {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        user_id: Option<&str>,
        message: &Envelope<RecordUpsertV1>,
    ) -> Result<(), HandlerError> {
        let org = self.org(conn, user_id, message).await?;
        let head = message.head();
        let record = &message.payload;
        self.writer(org, &head)
            .upsert(
                conn,
                &Upsert {
                    object: &record.object,
                    record_id: &record.record_id,
                    fields: &record.fields,
                    private: record.private,
                    mode: Mode::Upsert,
                },
            )
            .await
            .map(drop)
            .map_err(|e| e.into_handler_error())
    }
}

impl IngestHandler<RecordDeleteV1> for Ingest {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        user_id: Option<&str>,
        message: &Envelope<RecordDeleteV1>,
    ) -> Result<(), HandlerError> {
        let org = self.org(conn, user_id, message).await?;
        let head = message.head();
        let record = &message.payload;
        match self
            .writer(org, &head)
            .delete(conn, &record.object, &record.record_id)
            .await
        {
            // Deleting what is not there (any more) is done: a redelivered delete is no error.
            Ok(_) | Err(crate::store::WriteError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into_handler_error()),
        }
    }
}
