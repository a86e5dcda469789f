//! Running a consumer's handler without a broker, for tests of handlers against a real database.

use super::ConsumerSpec;
use super::handlers::Context;
use crate::error::HandlerError;
use crate::inbox::{self, InboxKey, InboxOutcome};
use crate::message::{Envelope, Message};
use diesel_async::{AsyncConnection, AsyncPgConnection};

impl ConsumerSpec {
    /// Handles `envelope` as the runtime would: the same decoding and validation, then one
    /// transaction with the inbox row (named `service.consumer`) and the effect.
    pub async fn handle_now<M: Message>(
        &self,
        conn: &mut AsyncPgConnection,
        envelope: &Envelope<M>,
    ) -> Result<InboxOutcome, HandlerError> {
        let body =
            serde_json::to_vec(envelope).map_err(|e| HandlerError::permanent(e.to_string()))?;
        let decoded = self
            .handlers
            .decode(&M::routing_key(), &body, None)
            .map_err(|e| HandlerError::permanent(e.to_string()))?;
        let consumer = format!("{}.{}", self.service, self.name);
        // One attempt, never retried here: not the last as far as the handler is concerned.
        let ctx = Context::new(self.service, &consumer, 1, false);
        let key = InboxKey {
            org: decoded.head.org_id.as_uuid(),
            message: decoded.head.message_id.as_uuid(),
        };
        let outcome = conn
            .transaction::<_, HandlerError, _>(async |conn| {
                match inbox::record(conn, &consumer, key).await? {
                    InboxOutcome::AlreadyHandled => Ok(InboxOutcome::AlreadyHandled),
                    InboxOutcome::New => {
                        decoded.runner.run(&ctx, conn, &[&decoded.message]).await?;
                        Ok(InboxOutcome::New)
                    }
                }
            })
            .await?;
        ctx.committed();
        Ok(outcome)
    }
}
