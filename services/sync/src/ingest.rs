//! The ingest consumer: records published by orgs' own systems to the ingest exchange.
//!
//! The org is the broker user that published the message (the AMQP `user_id` property, which
//! RabbitMQ checks equals the connection's user), never a field of the body. A message without
//! `user_id`, from a user that is no org's, or whose envelope names another org, is
//! dead-lettered with the reason, as is one that breaks the org's schema: nothing changes.
//! A delivery batch's upserts are written together (see `store::batch`); a refused message is
//! dead-lettered alone while the others of its batch are stored.

use crate::broker_users::Directory;
use crate::store::Mode;
use crate::store::batch::{Author, Write, upsert_many};
use crate::store::write::{Upsert, Writer};
use diesel_async::AsyncPgConnection;
use shared::consumer::{Context, FromOrg, IngestBatchHandler};
use shared::error::HandlerError;
use shared::hlc::Clock;
use shared::ids::OrgId;
use shared::message::events::record::{RecordDeleteV1, RecordUpsertV1};
use shared::message::events::sync::{ChangeSource, ChangedBy};
use shared::message::{Envelope, EnvelopeHead, Message};
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
}

/// Every ingested change is the org's own, over AMQP.
const CHANGED_BY: ChangedBy = ChangedBy::Org {
    source: ChangeSource::Amqp,
};

impl IngestBatchHandler<RecordUpsertV1> for Ingest {
    /// The run's upserts in one set of statements ([`upsert_many`]); a message refused (its
    /// org, or a rule of the org's schema) changes nothing and does not stop the others.
    async fn handle_batch(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[FromOrg<'_, RecordUpsertV1>],
    ) -> Result<Vec<Result<(), String>>, HandlerError> {
        let heads: Vec<EnvelopeHead> = messages.iter().map(|m| m.envelope.head()).collect();
        let mut results = Vec::with_capacity(messages.len());
        let mut writes = Vec::with_capacity(messages.len());
        let mut slots = Vec::with_capacity(messages.len());
        for (i, (message, head)) in messages.iter().zip(&heads).enumerate() {
            match self.org(conn, message.user_id, message.envelope).await {
                Ok(org) => {
                    let record = &message.envelope.payload;
                    writes.push(Write {
                        org,
                        cause: Some(head),
                        input: Upsert {
                            object: &record.object,
                            record_id: &record.record_id,
                            fields: &record.fields,
                            private: record.private,
                            mode: Mode::Upsert,
                        },
                        synced: None,
                    });
                    slots.push(i);
                    results.push(Ok(()));
                }
                Err(HandlerError::Permanent(reason)) => results.push(Err(reason)),
                Err(transient) => return Err(transient),
            }
        }
        let author = Author {
            clock: &self.clock,
            changed_by: &CHANGED_BY,
        };
        let outcomes = upsert_many(conn, &author, &writes).await?;
        for (slot, outcome) in slots.into_iter().zip(outcomes) {
            if let Err(refused) = outcome {
                match refused.into_handler_error() {
                    HandlerError::Permanent(reason) => results[slot] = Err(reason),
                    transient => return Err(transient),
                }
            }
        }
        Ok(results)
    }
}

impl IngestBatchHandler<RecordDeleteV1> for Ingest {
    /// One by one (deletes are rare); each is refused before it writes, so a refused one
    /// changes nothing.
    async fn handle_batch(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[FromOrg<'_, RecordDeleteV1>],
    ) -> Result<Vec<Result<(), String>>, HandlerError> {
        let mut results = Vec::with_capacity(messages.len());
        for message in messages {
            let org = match self.org(conn, message.user_id, message.envelope).await {
                Ok(org) => org,
                Err(HandlerError::Permanent(reason)) => {
                    results.push(Err(reason));
                    continue;
                }
                Err(transient) => return Err(transient),
            };
            let head = message.envelope.head();
            let record = &message.envelope.payload;
            let writer = Writer {
                clock: &self.clock,
                org,
                changed_by: CHANGED_BY,
                cause: Some(&head),
            };
            match writer.delete(conn, &record.object, &record.record_id).await {
                // Deleting what is not there (any more) is done: a redelivered delete is no error.
                Ok(_) | Err(crate::store::WriteError::NotFound(_)) => results.push(Ok(())),
                Err(e) => match e.into_handler_error() {
                    HandlerError::Permanent(reason) => results.push(Err(reason)),
                    transient => return Err(transient),
                },
            }
        }
        Ok(results)
    }
}
