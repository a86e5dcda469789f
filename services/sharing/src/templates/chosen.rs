//! A template chosen for a connection (at invite time, or by editing it) is applied here. A
//! refusal the org can act on (inactive template, schema changed, connection closed) is kept as
//! a failed application, not dead-lettered: the org sees it beside the connection's publications.

use super::apply::{ApplyError, apply, record};
use super::store::TemplateError;
use crate::connections;
use crate::publications::change::PublishError;
use crate::schema::connections as connection_rows;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::message::Envelope;
use shared::message::events::connection::ConnectionTemplateChosenV1;

pub struct ApplyChosenTemplate;

impl Handler<ConnectionTemplateChosenV1> for ApplyChosenTemplate {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<ConnectionTemplateChosenV1>,
    ) -> Result<(), HandlerError> {
        let org = message.org_id;
        let chosen = &message.payload;
        let connection_id = chosen.connection_id.as_uuid();
        let known: i64 = connection_rows::table
            .filter(connection_rows::id.eq(connection_id))
            .count()
            .get_result(conn)
            .await?;
        if known == 0 {
            // The invitation event travels on another queue: wait for the read model.
            return Err(HandlerError::transient(anyhow::anyhow!(
                "connection {connection_id} not known yet"
            )));
        }
        if connections::party_to(conn, org, connection_id, false)
            .await?
            .is_none()
        {
            return Err(HandlerError::permanent(format!(
                "org {org} is not a party to connection {connection_id}"
            )));
        }
        let head = message.head();
        match apply(conn, org, chosen.template_id, connection_id, Some(&head)).await {
            Ok(_) => Ok(()),
            Err(err) if err.is_database() => Err(match err {
                ApplyError::Template(TemplateError::Database(e))
                | ApplyError::Publish(PublishError::Database(e)) => e.into(),
                other => HandlerError::transient(other),
            }),
            Err(err) => {
                tracing::info!(connection = %connection_id, error = %err, "template not applied");
                record(
                    conn,
                    org,
                    chosen.template_id,
                    connection_id,
                    Some(&err.to_string()),
                )
                .await?;
                Ok(())
            }
        }
    }
}
