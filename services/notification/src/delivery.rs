//! The delivery worker: claims due emails under a lease ([`crate::lease`]), sends each over SMTP
//! with no database transaction open, and records the outcomes and their events
//! ([`crate::delivery_record`]) in transactions of their own.
//!
//! Recording runs beside the sending: while one group of outcomes commits, the worker sends the
//! next emails, and the outcomes gathered meanwhile are recorded together in the following
//! transaction (one commit for several emails, no send waiting for a commit). A worker never
//! has more than [`RECORD_AHEAD`] sent emails waiting for a record to start, nor more than one
//! record in progress, so a crash leaves at most `2 × RECORD_AHEAD` sent emails unrecorded.
//!
//! Recording is retried until PostgreSQL answers (for as long as the lease lasts): a database
//! crash during a send therefore re-sends nothing. Only a worker that dies between the server's
//! `250` and the recording commit leaves an email to be sent again, with the same `Message-ID`,
//! once its lease runs out: at most the unrecorded emails above.

use crate::delivery_record::{Recorder, SentEmail};
use crate::lease::{self, ClaimedEmail};
use crate::mailer::{Mailer, Outgoing, SendError};
use shared::config::Secret;
use shared::db::DbPool;
use shared::retry::RetrySchedule;
use shared::sealed_link;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Emails one worker claims at once: fewer claim transactions, a small batch held by one worker.
/// The worker sends them one after another, so the lease (`EMAIL_LEASE_SECS`, 300 s by default)
/// must outlast this many sends at `SMTP_TIMEOUT_SECS` (15 s): 16 × 15 s = 240 s.
const CLAIM_BATCH: i64 = 16;

/// Sent emails a worker lets wait for the record in progress before it waits for that record.
pub const RECORD_AHEAD: usize = 4;

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
        let recorder = Arc::new(Recorder {
            pool: self.pool.clone(),
            retry: self.retry.clone(),
            lease: self.lease,
        });
        while !shutdown.is_cancelled() {
            let pause = match self.deliver_batch(&recorder, &shutdown).await {
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

    /// Claims a batch of due emails, sends them and records their outcomes. Returns how many
    /// were claimed. Every outcome is recorded (or given up on) before it returns.
    async fn deliver_batch(
        &self,
        recorder: &Arc<Recorder>,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<usize> {
        let claimed = {
            let mut conn = self.pool.get().await?;
            lease::claim(&mut conn, CLAIM_BATCH, self.lease).await?
        };
        let count = claimed.len();
        let leased_at = Instant::now();
        let mut recording: Option<JoinHandle<()>> = None;
        let mut waiting: Vec<SentEmail> = Vec::new();
        for email in claimed {
            let outcome = self.send(&email).await;
            waiting.push(SentEmail { email, outcome });
            let busy = recording
                .as_ref()
                .is_some_and(|record| !record.is_finished());
            if busy && waiting.len() < RECORD_AHEAD {
                continue;
            }
            finish(recording.take()).await;
            recording = Some(tokio::spawn(Recorder::record_until_done(
                recorder.clone(),
                std::mem::take(&mut waiting),
                leased_at,
                shutdown.clone(),
            )));
        }
        finish(recording.take()).await;
        if !waiting.is_empty() {
            Recorder::record_until_done(recorder.clone(), waiting, leased_at, shutdown.clone())
                .await;
        }
        Ok(count)
    }

    async fn send(&self, email: &ClaimedEmail) -> Result<(), SendError> {
        let key = self.link_key.expose().as_bytes();
        // The working link exists only here, in memory, and in the email itself.
        let (text, html) = (
            sealed_link::unseal_all(key, &email.text_body),
            sealed_link::unseal_all(key, &email.html_body),
        );
        self.mailer
            .send(&Outgoing {
                id: email.id,
                from: &email.from_header,
                reply_to: email.reply_to.as_deref(),
                to: &email.recipient,
                subject: &email.subject,
                text: &text,
                html: &html,
            })
            .await
    }
}

/// Waits for a record in progress. A record that panicked leaves its emails to their lease.
async fn finish(recording: Option<JoinHandle<()>>) {
    if let Some(recording) = recording
        && let Err(err) = recording.await
    {
        tracing::error!(error = %err, "recording email outcomes stopped; they will be sent again after their lease");
    }
}
