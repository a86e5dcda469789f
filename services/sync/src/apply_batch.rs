//! Field sync, the receiving side, a delivery batch at a time: the run of `FieldsUpdatedV1` the
//! runtime hands over applied with set statements, whatever its size (see
//! [`crate::apply_update`] for what applying means).
//!
//! The store's batch path ([`write_many`], with each update a [`Synced`] write) reads and locks
//! the copies in one statement per (org, object), compares the stamps in memory in message
//! order (a later update of a copy sees the earlier one's result), validates each update on its
//! own and writes the winners in one multi-row upsert with their changes in one outbox insert.
//! Then one multi-row ledger write for every update of the run, the failure reports (rare: one
//! per failed update, not yet reported), and metrics hooked to the commit.

use crate::apply_update::{ApplyUpdates, count_after_commit};
use crate::failure_report;
use crate::ledger::{self, State};
use crate::ledger_batch::{self, Outcome};
use crate::store::batch::{Author, Synced, Write, write_many};
use crate::store::write::Upsert;
use crate::store::{FieldStamp, Mode, WriteError};
use diesel_async::AsyncPgConnection;
use serde_json::{Map, Value};
use shared::consumer::Context;
use shared::error::HandlerError;
use shared::message::events::field_sync::FieldsUpdatedV1;
use shared::message::events::sync::ChangedBy;
use shared::message::{Envelope, EnvelopeHead};
use std::collections::BTreeMap;

/// One update as the store's batch path takes it.
struct Incoming {
    head: EnvelopeHead,
    values: Map<String, Value>,
    stamps: BTreeMap<String, FieldStamp>,
    changed_by: ChangedBy,
}

impl Incoming {
    fn of(message: &Envelope<FieldsUpdatedV1>) -> Self {
        let update = &message.payload;
        Self {
            head: message.head(),
            values: update
                .fields
                .iter()
                .map(|(name, field)| (name.clone(), field.value.clone()))
                .collect(),
            // A field without a valid stamp is never taken (decoding refuses such messages).
            stamps: update
                .fields
                .iter()
                .filter_map(|(name, field)| {
                    let stamp = FieldStamp {
                        stamp: field.hlc()?,
                        origin: field.origin.as_uuid(),
                    };
                    Some((name.clone(), stamp))
                })
                .collect(),
            // The org's Connection User for the connection, on behalf of the sender.
            changed_by: ChangedBy::ConnectionUser {
                connection_id: update.connection_id,
                partner_org_id: Some(update.sender_org_id),
            },
        }
    }
}

/// A failure for good of one update of the run: Failed in the ledger and reported.
struct Failure<'a> {
    message: &'a Envelope<FieldsUpdatedV1>,
    error: String,
}

impl ApplyUpdates {
    /// Applies the run in the handler's transaction. One result per message: `Err(reason)` for
    /// an update its copy refused (Failed and reported here, in the same transaction; the
    /// runtime dead-letters it and commits the rest). A missing or deleted copy is Failed and
    /// reported, but `Ok`: acked, not dead-lettered (see [`crate::apply_update`]). A database
    /// error fails the whole run.
    pub(crate) async fn apply_batch(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<FieldsUpdatedV1>],
    ) -> Result<Vec<Result<(), String>>, HandlerError> {
        let incoming: Vec<Incoming> = messages.iter().map(|m| Incoming::of(m)).collect();
        let writes: Vec<Write<'_>> = messages
            .iter()
            .zip(&incoming)
            .map(|(message, incoming)| Write {
                org: message.org_id,
                cause: Some(&incoming.head),
                input: Upsert {
                    object: &message.payload.object,
                    record_id: &message.payload.record_id,
                    fields: &incoming.values,
                    private: None,
                    mode: Mode::UpdateOnly,
                },
                synced: Some(Synced {
                    stamps: &incoming.stamps,
                    changed_by: &incoming.changed_by,
                }),
            })
            .collect();
        let Some(first) = incoming.first() else {
            return Ok(Vec::new());
        };
        // Every write of the run is synced, with its own writer: the author's is never used.
        let author = Author {
            clock: &self.clock,
            changed_by: &first.changed_by,
        };
        let written = write_many(conn, &author, &writes).await?;
        let mut outcomes = Vec::with_capacity(messages.len());
        let mut results = Vec::with_capacity(messages.len());
        let mut failures = Vec::new();
        for (&message, written) in messages.iter().zip(written) {
            let update = &message.payload;
            let (state, error, overwritten) = match written {
                Ok(w) if w.overwritten.is_empty() => (State::Superseded, None, None),
                Ok(w) => (State::Applied, None, Some(Value::Object(w.overwritten))),
                Err(WriteError::Database(e)) => return Err(e.into()),
                Err(WriteError::NotFound(_)) => {
                    let error = format!(
                        "record_id: no copy {:?} of {}",
                        update.record_id, update.object
                    );
                    tracing::warn!(update_id = %update.update_id, %error, "a partner's update has no copy");
                    failures.push(Failure {
                        message,
                        error: error.clone(),
                    });
                    (State::Failed, Some(error), None)
                }
                Err(refused) => {
                    let error = refused.to_string();
                    tracing::warn!(update_id = %update.update_id, %error, "a partner's update failed for good");
                    failures.push(Failure {
                        message,
                        error: error.clone(),
                    });
                    results.push(Err(error.clone()));
                    outcomes.push(Outcome {
                        receiver: message.org_id,
                        update,
                        state: State::Failed,
                        attempted: true,
                        error: Some(error),
                        overwritten: None,
                    });
                    continue;
                }
            };
            results.push(Ok(()));
            outcomes.push(Outcome {
                receiver: message.org_id,
                update,
                state,
                attempted: true,
                error,
                overwritten,
            });
        }
        let states = ledger_batch::finish_many(conn, &outcomes).await?;
        // A failure is reported once, however often its update comes again.
        for failure in &failures {
            let update_id = failure.message.payload.update_id;
            if let Some(attempts) = ledger::mark_reported(conn, update_id).await? {
                let message = failure.message;
                let head = message.head();
                failure_report::report(
                    conn,
                    message.org_id,
                    &message.payload,
                    &head,
                    &failure.error,
                    attempts,
                )
                .await?;
            }
        }
        for ((message, outcome), state) in messages.iter().zip(&outcomes).zip(states) {
            // Counted as what this attempt did, whatever the row says (an Applied row stays so
            // when a redelivery is Superseded); an applied one as Applied or Resolved.
            let counted = match outcome.state {
                State::Applied => state,
                attempted => attempted,
            };
            count_after_commit(ctx, counted, message.occurred_at);
        }
        Ok(results)
    }
}
