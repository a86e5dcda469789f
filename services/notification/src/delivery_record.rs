//! Recording what became of sent emails: a group of outcomes and their events in one
//! transaction, retried while PostgreSQL is away, for as long as the group's lease lasts.

use crate::NAME;
use crate::lease::ClaimedEmail;
use crate::mailer::SendError;
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
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// An email this worker sent (or tried to), with what the SMTP server said.
pub struct SentEmail {
    pub email: ClaimedEmail,
    pub outcome: Result<(), SendError>,
}

pub struct Recorder {
    pub pool: DbPool,
    pub retry: RetrySchedule,
    /// How long a claim lasts: past it, recording is given up (the email is due again).
    pub lease: Duration,
}

impl Recorder {
    /// Records `group`, retrying while PostgreSQL is unreachable, within the lease that started
    /// at `leased_at`.
    pub async fn record_until_done(
        self: Arc<Self>,
        group: Vec<SentEmail>,
        leased_at: Instant,
        shutdown: CancellationToken,
    ) {
        let mut pause = Duration::from_millis(100);
        loop {
            let recorded = async {
                let mut conn = self.pool.get().await?;
                conn.transaction::<_, anyhow::Error, _>(async |conn| {
                    self.record(conn, &group).await
                })
                .await
            }
            .await;
            let err = match recorded {
                Ok(results) => {
                    for (sent, result) in group.iter().zip(results) {
                        log_recorded(&sent.email, result);
                    }
                    return;
                }
                Err(err) => err,
            };
            let ids: Vec<Uuid> = group.iter().map(|sent| sent.email.id).collect();
            if leased_at.elapsed() + pause >= self.lease || shutdown.is_cancelled() {
                tracing::error!(email_ids = ?ids, error = %format!("{err:#}"),
                    "could not record emails' outcomes within their lease; they will be sent again");
                return;
            }
            tracing::warn!(email_ids = ?ids, error = %format!("{err:#}"),
                "recording emails' outcomes failed; trying again");
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// Records every outcome of `group`; returns what each became, in the group's order.
    async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        group: &[SentEmail],
    ) -> anyhow::Result<Vec<Recorded>> {
        let sent: Vec<&ClaimedEmail> = group
            .iter()
            .filter(|sent| sent.outcome.is_ok())
            .map(|sent| &sent.email)
            .collect();
        record_sent(conn, &sent).await?;
        let mut results = Vec::with_capacity(group.len());
        for sent in group {
            results.push(match &sent.outcome {
                Ok(()) => Recorded::Sent,
                Err(SendError::Temporary(reason)) => {
                    self.retry_later(conn, &sent.email, reason).await?
                }
                Err(SendError::Permanent(reason)) => {
                    fail(conn, &sent.email, reason.clone()).await?
                }
            });
        }
        Ok(results)
    }

    async fn retry_later(
        &self,
        conn: &mut AsyncPgConnection,
        email: &ClaimedEmail,
        reason: &str,
    ) -> anyhow::Result<Recorded> {
        let attempts = email.attempts;
        let retry = u32::try_from(attempts)
            .ok()
            .and_then(|n| self.retry.delay_before_retry(n));
        let Some(delay) = retry else {
            return fail(
                conn,
                email,
                format!("gave up after {attempts} attempts: {reason}"),
            )
            .await;
        };
        let next = Utc::now() + chrono::Duration::from_std(delay)?;
        diesel::update(still_sending(email))
            .set((
                emails::status.eq("retrying"),
                emails::next_attempt_at.eq(next),
                emails::lease_until.eq(None::<chrono::DateTime<Utc>>),
                emails::last_error.eq(reason),
            ))
            .execute(conn)
            .await?;
        Ok(Recorded::Retrying {
            delay,
            reason: reason.to_string(),
        })
    }
}

/// The emails the SMTP server accepted: one update and their events in one insert.
async fn record_sent(conn: &mut AsyncPgConnection, sent: &[&ClaimedEmail]) -> anyhow::Result<()> {
    if sent.is_empty() {
        return Ok(());
    }
    let sent_at = Utc::now();
    let ids: Vec<Uuid> = sent.iter().map(|email| email.id).collect();
    diesel::update(
        emails::table
            .filter(emails::id.eq_any(&ids))
            .filter(emails::status.eq("sending")),
    )
    .set((
        emails::status.eq("sent"),
        emails::sent_at.eq(sent_at),
        emails::lease_until.eq(None::<chrono::DateTime<Utc>>),
        emails::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .await?;
    let events: Vec<Envelope<EmailSentV1>> = sent
        .iter()
        .map(|email| {
            let event = EmailSentV1 {
                email_id: EmailId(email.id),
                connection_id: email.connection_id.map(ConnectionId),
                email_kind: email.kind.clone(),
                recipient: email.recipient.clone(),
                subject: email.subject.clone(),
                sent_at,
            };
            Envelope::new(OrgId(email.org_id), event)
        })
        .collect();
    outbox::enqueue_many(conn, NAME, &events).await?;
    Ok(())
}

async fn fail(
    conn: &mut AsyncPgConnection,
    email: &ClaimedEmail,
    reason: String,
) -> anyhow::Result<Recorded> {
    let failed_at = Utc::now();
    diesel::update(still_sending(email))
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
    Ok(Recorded::Failed(reason))
}

type StillSending<'a> = diesel::dsl::Filter<
    diesel::dsl::Find<emails::table, &'a Uuid>,
    diesel::dsl::Eq<emails::status, &'static str>,
>;

/// The email's row while it is still ours to record.
fn still_sending(email: &ClaimedEmail) -> StillSending<'_> {
    emails::table
        .find(&email.id)
        .filter(emails::status.eq("sending"))
}

/// What an email became once recorded.
enum Recorded {
    Sent,
    Retrying { delay: Duration, reason: String },
    Failed(String),
}

/// Logs and counts one recorded outcome, once its transaction committed.
fn log_recorded(email: &ClaimedEmail, result: Recorded) {
    let recipient = mask_email(&email.recipient);
    match result {
        Recorded::Sent => {
            tracing::info!(email_id = %email.id, kind = email.kind, recipient, "email sent");
            metrics::counter!("partnernet_emails_sent_total").increment(1);
        }
        Recorded::Retrying { delay, reason } => {
            tracing::info!(email_id = %email.id, recipient, reason, ?delay, "email will be retried");
            metrics::counter!("partnernet_emails_retried_total").increment(1);
        }
        Recorded::Failed(reason) => {
            tracing::warn!(email_id = %email.id, recipient, reason, "email failed for good");
            metrics::counter!("partnernet_emails_failed_total").increment(1);
        }
    }
}
