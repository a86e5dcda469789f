//! The delivery worker: sends due emails one at a time, each in its own transaction that also
//! records the outcome and its event.
//!
//! The row stays locked (`FOR UPDATE SKIP LOCKED`) while it is sent, so several workers and
//! several replicas never send the same email at once. If the process dies after the SMTP server
//! accepted an email but before the commit, the email is sent again with the same `Message-ID`.

use crate::NAME;
use crate::mailer::{Mailer, Outgoing, SendError};
use crate::schema::emails;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::db::DbPool;
use shared::ids::{ConnectionId, EmailId, OrgId};
use shared::message::Envelope;
use shared::message::events::notification::{EmailFailedV1, EmailSentV1};
use shared::outbox;
use shared::retry::RetrySchedule;
use shared::telemetry::mask_email;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = emails)]
struct DueEmail {
    id: Uuid,
    org_id: Uuid,
    connection_id: Option<Uuid>,
    kind: String,
    recipient: String,
    from_header: String,
    reply_to: Option<String>,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i32,
}

pub struct Delivery {
    pub pool: DbPool,
    pub mailer: Mailer,
    pub retry: RetrySchedule,
    pub poll: Duration,
}

impl Delivery {
    pub async fn run(self, worker: usize, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let pause = match self.deliver_one().await {
                Ok(true) => continue,
                Ok(false) => self.poll,
                Err(err) => {
                    tracing::warn!(worker, error = %format!("{err:#}"), "email delivery pass failed");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Sends the most overdue email, if any. Returns whether there was one.
    pub async fn deliver_one(&self) -> anyhow::Result<bool> {
        let mut conn = self.pool.get().await?;
        let delivered = conn
            .transaction::<_, anyhow::Error, _>(async |conn| {
                let due: Option<DueEmail> = emails::table
                    .filter(emails::status.eq_any(["queued", "retrying"]))
                    .filter(emails::next_attempt_at.le(Utc::now()))
                    .order(emails::next_attempt_at)
                    .select(DueEmail::as_select())
                    .limit(1)
                    .for_update()
                    .skip_locked()
                    .first(conn)
                    .await
                    .optional()?;
                let Some(email) = due else {
                    return Ok(false);
                };
                let outcome = self
                    .mailer
                    .send(&Outgoing {
                        id: email.id,
                        from: &email.from_header,
                        reply_to: email.reply_to.as_deref(),
                        to: &email.recipient,
                        subject: &email.subject,
                        text: &email.text_body,
                        html: &email.html_body,
                    })
                    .await;
                self.record(conn, &email, outcome).await?;
                Ok(true)
            })
            .await?;
        Ok(delivered)
    }

    async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        email: &DueEmail,
        outcome: Result<(), SendError>,
    ) -> anyhow::Result<()> {
        let attempts = email.attempts + 1;
        let recipient = mask_email(&email.recipient);
        let row = emails::table.find(email.id);
        match outcome {
            Ok(()) => {
                let sent_at = Utc::now();
                diesel::update(row)
                    .set((
                        emails::status.eq("sent"),
                        emails::attempts.eq(attempts),
                        emails::sent_at.eq(sent_at),
                        emails::last_error.eq(None::<String>),
                    ))
                    .execute(conn)
                    .await?;
                let event = EmailSentV1 {
                    email_id: EmailId(email.id),
                    connection_id: email.connection_id.map(ConnectionId),
                    email_kind: email.kind.clone(),
                    recipient: email.recipient.clone(),
                    subject: email.subject.clone(),
                    sent_at,
                };
                outbox::enqueue(conn, NAME, &Envelope::new(OrgId(email.org_id), event)).await?;
                tracing::info!(email_id = %email.id, kind = email.kind, recipient, "email sent");
                metrics::counter!("partnernet_emails_sent_total").increment(1);
            }
            Err(SendError::Temporary(reason)) => {
                let retry = u32::try_from(attempts)
                    .ok()
                    .and_then(|n| self.retry.delay_before_retry(n));
                match retry {
                    Some(delay) => {
                        let next = Utc::now() + chrono::Duration::from_std(delay)?;
                        diesel::update(row)
                            .set((
                                emails::status.eq("retrying"),
                                emails::attempts.eq(attempts),
                                emails::next_attempt_at.eq(next),
                                emails::last_error.eq(&reason),
                            ))
                            .execute(conn)
                            .await?;
                        tracing::info!(email_id = %email.id, recipient, reason, ?delay, "email will be retried");
                        metrics::counter!("partnernet_emails_retried_total").increment(1);
                    }
                    None => {
                        let reason = format!("gave up after {attempts} attempts: {reason}");
                        self.fail(conn, email, attempts, reason).await?;
                    }
                }
            }
            Err(SendError::Permanent(reason)) => self.fail(conn, email, attempts, reason).await?,
        }
        Ok(())
    }

    async fn fail(
        &self,
        conn: &mut AsyncPgConnection,
        email: &DueEmail,
        attempts: i32,
        reason: String,
    ) -> anyhow::Result<()> {
        let failed_at = Utc::now();
        diesel::update(emails::table.find(email.id))
            .set((
                emails::status.eq("failed"),
                emails::attempts.eq(attempts),
                emails::last_error.eq(&reason),
            ))
            .execute(conn)
            .await?;
        let event = EmailFailedV1 {
            email_id: EmailId(email.id),
            connection_id: email.connection_id.map(ConnectionId),
            email_kind: email.kind.clone(),
            recipient: email.recipient.clone(),
            subject: email.subject.clone(),
            reason: reason.clone(),
            failed_at,
        };
        outbox::enqueue(conn, NAME, &Envelope::new(OrgId(email.org_id), event)).await?;
        tracing::warn!(email_id = %email.id, recipient = mask_email(&email.recipient), reason, "email failed for good");
        metrics::counter!("partnernet_emails_failed_total").increment(1);
        Ok(())
    }
}
