//! The read model of the sharing service's connection templates: which templates an org has and
//! whether each is active, so that `template_id` can be checked without asking the sharing
//! service (services never call each other).

use crate::schema::connection_templates;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::consumer::{Context, Handler};
use shared::error::HandlerError;
use shared::message::Envelope;
use shared::message::events::sharing::ConnectionTemplateChangedV1;

/// Applies a template's creation, change or deletion. The event's time guards the row: an older
/// event (redelivered late) never overwrites a newer state. A template id already held by
/// another org is refused for good: one org never changes another's templates.
pub struct TrackTemplate;

impl Handler<ConnectionTemplateChangedV1> for TrackTemplate {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<ConnectionTemplateChangedV1>,
    ) -> Result<(), HandlerError> {
        let template = &message.payload;
        let org = message.org_id.as_uuid();
        let owner: Option<uuid::Uuid> = connection_templates::table
            .find(template.template_id)
            .select(connection_templates::org_id)
            .first(conn)
            .await
            .optional()?;
        if owner.is_some_and(|owner| owner != org) {
            return Err(HandlerError::permanent(format!(
                "connection template {} is not a template of org {org}",
                template.template_id
            )));
        }
        if template.deleted {
            diesel::delete(
                connection_templates::table
                    .find(template.template_id)
                    .filter(connection_templates::changed_at.le(message.occurred_at)),
            )
            .execute(conn)
            .await?;
            return Ok(());
        }
        diesel::sql_query(
            "INSERT INTO invitation.connection_templates (id, org_id, name, active, changed_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE \
               SET name = excluded.name, active = excluded.active, \
                   changed_at = excluded.changed_at, updated_at = now() \
             WHERE connection_templates.org_id = excluded.org_id \
               AND connection_templates.changed_at <= excluded.changed_at",
        )
        .bind::<SqlUuid, _>(template.template_id)
        .bind::<SqlUuid, _>(org)
        .bind::<Text, _>(&template.name)
        .bind::<Bool, _>(template.active)
        .bind::<Timestamptz, _>(message.occurred_at)
        .execute(conn)
        .await?;
        Ok(())
    }
}
