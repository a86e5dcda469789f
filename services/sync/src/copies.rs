//! The copies of accepted records: the sharing service asks (`CopyRequestedV1`, addressed to
//! the accepting org) and this consumer creates the org's copy from the mapped fields through
//! the one write path, last modified by the org's Connection User for that connection, or
//! checks the existing record an offer is related to. The answer goes back to sharing:
//! `CopyCreatedV1`, or `CopyRefusedV1` with the rule the copy broke (nothing is created then).

use crate::store::write::{Upsert, Writer};
use crate::store::{Mode, WriteError, read};
use diesel_async::AsyncPgConnection;
use shared::consumer::{Context, Handler};
use shared::crm::values::OWNER_FIELD;
use shared::error::HandlerError;
use shared::hlc::Clock;
use shared::message::Envelope;
use shared::message::events::links::{CopyCreatedV1, CopyRefusedV1, CopyRequestedV1};
use shared::message::events::sync::ChangedBy;
use std::sync::Arc;

#[derive(Clone)]
pub struct CreateCopies {
    pub clock: Arc<Clock>,
}

impl Handler<CopyRequestedV1> for CreateCopies {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<CopyRequestedV1>,
    ) -> Result<(), HandlerError> {
        let request = &message.payload;
        let org = message.org_id;
        let outcome = if request.relate {
            relate(conn, message).await?
        } else {
            let head = message.head();
            let writer = Writer {
                clock: &self.clock,
                org,
                changed_by: ChangedBy::ConnectionUser {
                    connection_id: request.connection_id,
                    partner_org_id: None,
                },
                cause: Some(&head),
            };
            // The assignee (a user or a queue) owns the copy as its `OwnerId`, so the record
            // store keeps it through later updates.
            let mut fields = request.fields.clone();
            if let Some(owner) = request.owner {
                fields.insert(OWNER_FIELD.to_string(), owner.to_string().into());
            }
            let created = writer
                .upsert(
                    conn,
                    &Upsert {
                        object: &request.object,
                        record_id: &request.record_id,
                        fields: &fields,
                        private: None,
                        mode: Mode::CreateOnly,
                    },
                )
                .await;
            match created {
                Ok(_) => Ok(()),
                Err(WriteError::Database(e)) => return Err(e.into()),
                Err(refused) => Err(refused.to_string()),
            }
        };
        match outcome {
            Ok(()) => {
                let created = CopyCreatedV1 {
                    connection_id: request.connection_id,
                    inbox_id: request.inbox_id,
                    object: request.object.clone(),
                    record_id: request.record_id.clone(),
                    related: request.relate,
                };
                ctx.emit(conn, message, org, created).await
            }
            Err(error) => {
                let refused = CopyRefusedV1 {
                    connection_id: request.connection_id,
                    inbox_id: request.inbox_id,
                    object: request.object.clone(),
                    error,
                };
                ctx.emit(conn, message, org, refused).await
            }
        }
    }
}

/// Relating changes nothing in the record: it must exist (and be live) in the org.
async fn relate(
    conn: &mut AsyncPgConnection,
    message: &Envelope<CopyRequestedV1>,
) -> Result<Result<(), String>, HandlerError> {
    let request = &message.payload;
    let found = read::one(
        conn,
        message.org_id,
        &request.object,
        &request.record_id,
        false,
    )
    .await?
    .filter(|row| !row.deleted);
    Ok(match found {
        Some(_) => Ok(()),
        None => Err(format!(
            "record_id: no {} {:?} to relate to",
            request.object, request.record_id
        )),
    })
}
