//! The delivery worker: claims due emails under a lease ([`crate::lease`]), sends each over SMTP
//! with no database transaction open, then records the outcome and its event in a transaction
//! of its own.
//!
//! Recording is retried until PostgreSQL answers (for as long as the lease lasts): a database
//! crash during a send therefore re-sends nothing. Only a worker that dies between the server's
//! `250` and the recording commit leaves an email to be sent again, with the same `Message-ID`,
//! once its lease runs out: at most the emails in flight in that worker.

use crate::NAME;
use crate::lease::{self, ClaimedEmail};
use crate::mailer::{Mailer, Outgoing, SendError};
use crate::schema::emails;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::config::Secret;
use shared::db::DbPool;
use shared::ids::{ConnectionId, EmailId, OrgId};
use shared::message::Envelope;
use shared::message::events::notification::{EmailFailedV1, EmailSentV1};
use shared::outbox;
use shared::retry::RetrySchedule;
use shared::sealed_link;
use shared::telemetry::mask_email;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Emails one worker claims at once: fewer claim transactions, a small batch held by one worker.
const CLAIM_BATCH: i64 = 8;

pub struct Delivery {
    pub pool: DbPool,
    pub mailer: Mailer,
    pub retry: RetrySchedule,
    pub poll: Duration,
    /// How long a claim lasts; past it, an unrecorded email is sent again.
    pub lease: Duration,
    /// Turns sealed invitation links into working ones as the email leaves ([`sealed_link`]).
    pub link_key: Secret<String>,
}

impl Delivery {
    pub async fn run(self, worker: usize, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let pause = match self.deliver_batch(&shutdown).await {
                Ok(0) => self.poll,
                Ok(_) => continue,
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

    /// Claims a batch of due emails, sends and records each. Returns how many were claimed.
    pub async fn deliver_batch(&self, shutdown: &CancellationToken) -> anyhow::Result<usize> {
        self.deliver(CLAIM_BATCH, shutdown).await
    }

    async fn deliver(&self, limit: i64, shutdown: &CancellationToken) -> anyhow::Result<usize> {
        let claimed = {
            let mut conn = self.pool.get().await?;
            lease::claim(&mut conn, limit, self.lease).await?
        };
        let leased_at = Instant::now();
        let key = self.link_key.expose().as_bytes();
        for email in &claimed {
            // The working link exists only here, in memory, and in the email itself.
            let (text, html) = (
                sealed_link::unseal_all(key, &email.text_body),
                sealed_link::unseal_all(key, &email.html_body),
            );
            let outcome = self
                .mailer
                .send(&Outgoing {
                    id: email.id,
                    from: &email.from_header,
                    reply_to: email.reply_to.as_deref(),
                    to: &email.recipient,
                    subject: &email.subject,
                    text: &text,
                    html: &html,
                })
                .await;
            self.record_until_done(email, outcome, leased_at, shutdown)
                .await;
        }
        Ok(claimed.len())
    }

    /// Records `outcome`, retrying while PostgreSQL is unreachable, within the lease.
    async fn record_until_done(
        &self,
        email: &ClaimedEmail,
        outcome: Result<(), SendError>,
        leased_at: Instant,
        shutdown: &CancellationToken,
    ) {
        let mut pause = Duration::from_millis(100);
        loop {
            let recorded = async {
                let mut conn = self.pool.get().await?;
                conn.transaction::<_, anyhow::Error, _>(async |conn| {
                    self.record(conn, email, &outcome).await
                })
                .await
            }
            .await;
            let Err(err) = recorded else { return };
            if leased_at.elapsed() + pause >= self.lease || shutdown.is_cancelled() {
                tracing::error!(email_id = %email.id, error = %format!("{err:#}"),
                    "could not record an email's outcome within its lease; it will be sent again");
                return;
            }
            tracing::warn!(email_id = %email.id, error = %format!("{err:#}"),
                "recording an email's outcome failed; trying again");
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        email: &ClaimedEmail,
        outcome: &Result<(), SendError>,
    ) -> anyhow::Result<()> {
        let attempts = email.attempts;
        let recipient = mask_email(&email.recipient);
        let row = emails::table
            .find(email.id)
            .filter(emails::status.eq("sending"));
        match outcome {
            Ok(()) => {
                let sent_at = Utc::now();
                diesel::update(row)
                    .set((
                        emails::status.eq("sent"),
                        emails::sent_at.eq(sent_at),
                        emails::lease_until.eq(None::<chrono::DateTime<Utc>>),
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
                                emails::next_attempt_at.eq(next),
                                emails::lease_until.eq(None::<chrono::DateTime<Utc>>),
                                emails::last_error.eq(reason),
                            ))
                            .execute(conn)
                            .await?;
                        tracing::info!(email_id = %email.id, recipient, reason, ?delay, "email will be retried");
                        metrics::counter!("partnernet_emails_retried_total").increment(1);
                    }
                    None => {
                        let reason = format!("gave up after {attempts} attempts: {reason}");
                        self.fail(conn, email, reason).await?;
                    }
                }
            }
            Err(SendError::Permanent(reason)) => self.fail(conn, email, reason.clone()).await?,
        }
        Ok(())
    }

    async fn fail(
        &self,
        conn: &mut AsyncPgConnection,
        email: &ClaimedEmail,
        reason: String,
    ) -> anyhow::Result<()> {
        let failed_at = Utc::now();
        diesel::update(
            emails::table
                .find(email.id)
                .filter(emails::status.eq("sending")),
        )
        .set((
            emails::status.eq("failed"),
            emails::lease_until.eq(None::<chrono::DateTime<Utc>>),
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
