//! One batch: the messages handled in one transaction (inbox rows for all in one statement, the
//! effects, commit) and one acknowledgement. When a handler fails, the batch is rolled back and
//! each message is tried alone, so only the failing one goes to a retry or the dead letters.
//! A batch handler may instead refuse single messages (having changed nothing for them): the
//! batch commits without their inbox rows and each refused one is dead-lettered alone.

use super::handlers::{AnyMessage, Context, Decoded};
use super::item::{Item, Work};
use super::settle::{Shared, dead_letter, retry_later};
use crate::db;
use crate::error::HandlerError;
use crate::inbox::{self, InboxKey};
use crate::telemetry::trace_context;
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, SimpleAsyncConnection, TransactionManager,
};
use futures_util::FutureExt;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// Messages of a key given back to wait before their retry (the key stays held meanwhile).
pub(crate) struct Deferred {
    pub key: String,
    pub items: VecDeque<Item>,
    pub delay: Duration,
}

pub(crate) enum End {
    Done,
    /// Shutdown came while PostgreSQL was down: the rest is left for redelivery.
    Abandoned,
}

pub(crate) struct Report {
    pub keys: Vec<String>,
    pub deferred: Vec<Deferred>,
    /// `Err`: the broker session is unusable; unsettled messages will be delivered again.
    pub end: anyhow::Result<End>,
}

enum Failure {
    DatabaseDown,
    Handler(HandlerError),
}

/// A committed attempt: how many messages were new, and which of them the handlers refused
/// (by message id, with the reason).
struct Attempted {
    new: usize,
    refused: Vec<(InboxKey, String)>,
}

pub(crate) async fn run(shared: Arc<Shared>, items: Vec<Item>, keys: Vec<String>) -> Report {
    let span = tracing::info_span!("batch", consumer = shared.queue, messages = items.len());
    // A batch of many has many senders: its span links to each, and what its handlers send
    // carries the batch's own span. A batch of one continues its sender's trace, and so does a
    // message tried alone after its batch failed (`message_span`).
    match items.as_slice() {
        [item] => {
            if let Some(d) = decoded(item) {
                trace_context::continue_trace(&span, &d.head.traceparent);
            }
        }
        _ => {
            for d in items.iter().filter_map(decoded) {
                trace_context::link(&span, &d.head.traceparent);
            }
        }
    }
    let mut deferred = Vec::new();
    let end = settle(&shared, items, &mut deferred).instrument(span).await;
    Report {
        keys,
        deferred,
        end,
    }
}

async fn settle(
    shared: &Shared,
    items: Vec<Item>,
    deferred: &mut Vec<Deferred>,
) -> anyhow::Result<End> {
    let is_refused = |item: &Item| matches!(item.work, Work::Refuse(_));
    // Refusals are rare: without one, the batch is not moved item by item into a new Vec.
    let (refused, work): (Vec<Item>, Vec<Item>) = if items.iter().any(is_refused) {
        items.into_iter().partition(is_refused)
    } else {
        (Vec::new(), items)
    };
    for item in &refused {
        if let Work::Refuse(reason) = &item.work {
            dead_letter(shared, item, reason).await?;
        }
    }
    if work.len() > 1 {
        let all: Vec<&Item> = work.iter().collect();
        loop {
            match attempt(shared, &all).await {
                Ok(done) => {
                    finish(shared, &all, done).await?;
                    return Ok(End::Done);
                }
                Err(Failure::DatabaseDown) => {
                    if !db::wait_until_reachable(&shared.ctx.pool, &shared.shutdown).await {
                        return Ok(End::Abandoned);
                    }
                }
                Err(Failure::Handler(err)) => {
                    tracing::debug!(error = %err, "batch failed; each message is tried alone");
                    break;
                }
            }
        }
    }
    one_by_one(shared, work, deferred).await
}

/// After a commit: acks what was handled (or a duplicate), dead-letters what was refused.
async fn finish(shared: &Shared, items: &[&Item], done: Attempted) -> anyhow::Result<()> {
    let Attempted { new, mut refused } = done;
    let refused_count = refused.len();
    let mut tags = Vec::with_capacity(items.len());
    let mut dead = Vec::new();
    for item in items {
        let key = decoded(item).map(inbox_key);
        // A second copy of a refused message in the batch was a duplicate: it is acked.
        match key.and_then(|key| refused.iter().position(|(r, _)| *r == key)) {
            Some(i) => dead.push((*item, refused.swap_remove(i).1)),
            None => tags.push(item.tag()),
        }
    }
    shared.acks.ack(&tags).await?;
    for (item, reason) in dead {
        dead_letter(shared, item, &reason)
            .instrument(message_span(item))
            .await?;
    }
    shared.count_handled("handled", new - refused_count);
    shared.count_handled("duplicate", items.len() - new);
    Ok(())
}

/// Each message in its own transaction, in order (a batch of one, or a batch that failed).
/// A key whose message waits for a retry keeps its later messages behind it.
async fn one_by_one(
    shared: &Shared,
    work: Vec<Item>,
    deferred: &mut Vec<Deferred>,
) -> anyhow::Result<End> {
    for item in work {
        if let Some(key) = item.key_owned()
            && let Some(waiting) = deferred.iter_mut().find(|d| d.key == key)
        {
            waiting.items.push_back(item);
            continue;
        }
        let span = message_span(&item);
        match alone(shared, &item).instrument(span.clone()).await? {
            Alone::Settled => {}
            Alone::Abandoned => return Ok(End::Abandoned),
            Alone::Failed(err) => fail(shared, item, err, deferred).instrument(span).await?,
        }
    }
    Ok(End::Done)
}

enum Alone {
    Settled,
    Abandoned,
    Failed(HandlerError),
}

async fn alone(shared: &Shared, item: &Item) -> anyhow::Result<Alone> {
    loop {
        match attempt(shared, &[item]).await {
            Ok(Attempted { refused, .. }) if !refused.is_empty() => {
                let reason = refused.into_iter().map(|(_, r)| r).collect::<Vec<_>>();
                return Ok(Alone::Failed(HandlerError::Permanent(reason.join("; "))));
            }
            Ok(Attempted { new, .. }) => {
                shared.acks.ack(&[item.tag()]).await?;
                let outcome = if new == 1 { "handled" } else { "duplicate" };
                shared.count_handled(outcome, 1);
                return Ok(Alone::Settled);
            }
            Err(Failure::DatabaseDown) => {
                if !db::wait_until_reachable(&shared.ctx.pool, &shared.shutdown).await {
                    return Ok(Alone::Abandoned);
                }
            }
            Err(Failure::Handler(err)) => return Ok(Alone::Failed(err)),
        }
    }
}

/// The failure policy of [`crate::error`] for one message. An ordered message is retried in
/// place (its key waits, other keys go on), so that a later message of its key cannot overtake it.
async fn fail(
    shared: &Shared,
    mut item: Item,
    err: HandlerError,
    deferred: &mut Vec<Deferred>,
) -> anyhow::Result<()> {
    let error = match err {
        HandlerError::Permanent(reason) => return dead_letter(shared, &item, &reason).await,
        HandlerError::Transient(err) => format!("{err:#}"),
    };
    let key = match (item.key_owned(), decoded(&item)) {
        (Some(key), _) => key,
        (None, Some(d)) if shared.retry_in_place => format!("message {}", d.head.message_id),
        _ => return retry_later(shared, &item, &error).await,
    };
    let schedule = shared.ctx.topology.retry_schedule();
    let Some(delay) = schedule.delay_before_retry(item.attempt) else {
        let reason = format!(
            "gave up after {} attempts; last error: {error}",
            item.attempt
        );
        return dead_letter(shared, &item, &reason).await;
    };
    tracing::info!(
        error,
        ?delay,
        "transient failure; the message's key waits for its retry"
    );
    shared.count("partnernet_messages_retried_total");
    item.attempt += 1;
    deferred.push(Deferred {
        key,
        items: VecDeque::from([item]),
        delay,
    });
    Ok(())
}

/// The message's key in the inbox: its org and its id.
fn inbox_key(decoded: &Decoded) -> InboxKey {
    InboxKey {
        org: decoded.head.org_id.as_uuid(),
        message: decoded.head.message_id.as_uuid(),
    }
}

fn decoded(item: &Item) -> Option<&Decoded> {
    match &item.work {
        Work::Handle(decoded) => Some(decoded),
        Work::Refuse(_) => None,
    }
}

fn message_span(item: &Item) -> tracing::Span {
    match decoded(item) {
        Some(d) => {
            let span = tracing::info_span!(
                "message",
                kind = %d.head.routing_key(),
                message_id = %d.head.message_id,
                correlation_id = %d.head.correlation_id,
                traceparent = d.head.traceparent,
                attempt = item.attempt,
            );
            trace_context::continue_trace(&span, &d.head.traceparent);
            span
        }
        None => tracing::info_span!("message", attempt = item.attempt),
    }
}

/// One transaction for `items`: bounded waits on locks and statements, the inbox rows of all
/// in one statement, then each new message's handler in order (runs of one type together).
/// The inbox rows of messages a handler refused are taken back before the commit, so that a
/// refused message put back on the queue (after its cause is fixed) is handled again.
async fn attempt(shared: &Shared, items: &[&Item]) -> Result<Attempted, Failure> {
    let Ok(mut conn) = shared.ctx.pool.get().await else {
        return Err(Failure::DatabaseDown);
    };
    let settings = &shared.ctx.settings;
    // BEGIN and the limits go in one simple-query round trip (diesel's `transaction()` would
    // send BEGIN alone): at low rates a batch holds one or two messages, and round trips are
    // its latency. Diesel's transaction manager is told of the BEGIN, so a handler's nested
    // `transaction()` still becomes a savepoint.
    let begin = format!(
        "BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
        settings.lock_timeout.as_millis(),
        settings.statement_timeout.as_millis()
    );
    // The handler learns whether a transient failure now is the message's last (see `fail`
    // and `retry_later`: both stop where the schedule has no delay for the attempt).
    let attempt = items.iter().map(|item| item.attempt).min().unwrap_or(1);
    let last_attempt = items.len() == 1
        && shared
            .ctx
            .topology
            .retry_schedule()
            .delay_before_retry(attempt)
            .is_none();
    let ctx = Context::new(shared.service, &shared.queue, attempt, last_attempt);
    let body = async |conn: &mut AsyncPgConnection| -> Result<Attempted, HandlerError> {
        let keys: Vec<InboxKey> = items
            .iter()
            .filter_map(|item| decoded(item))
            .map(inbox_key)
            .collect();
        let mut new = inbox::record_many(conn, &shared.queue, &keys).await?;
        // `remove` also drops a second copy of a message inside this batch.
        let fresh: Vec<&Decoded> = items
            .iter()
            .filter_map(|item| decoded(item))
            .filter(|d| new.remove(&inbox_key(d)))
            .collect();
        let mut refused = Vec::new();
        let mut start = 0;
        while start < fresh.len() {
            let mut end = start + 1;
            while end < fresh.len() && Arc::ptr_eq(&fresh[start].runner, &fresh[end].runner) {
                end += 1;
            }
            let messages: Vec<&AnyMessage> = fresh[start..end].iter().map(|d| &d.message).collect();
            let run = guarded(fresh[start].runner.as_ref(), &ctx, conn, &messages).await?;
            for (i, reason) in run {
                if let Some(d) = fresh[start..end].get(i) {
                    refused.push((inbox_key(d), reason));
                }
            }
            start = end;
        }
        if !refused.is_empty() {
            let keys: Vec<InboxKey> = refused.iter().map(|(key, _)| *key).collect();
            inbox::forget_many(conn, &shared.queue, &keys).await?;
        }
        Ok(Attempted {
            new: fresh.len(),
            refused,
        })
    };
    let transaction = async {
        let conn: &mut AsyncPgConnection = &mut conn;
        if let Err(err) = AnsiTransactionManager::begin_transaction_sql(conn, &begin).await {
            // If BEGIN passed and a SET failed, the server holds an aborted transaction that
            // diesel does not know of: end it before the connection goes back to the pool.
            let _ = conn.batch_execute("ROLLBACK").await;
            return Err(HandlerError::from(err));
        }
        // The rest is what `TransactionManager::transaction` does.
        match body(conn).await {
            Ok(done) => {
                <AnsiTransactionManager as TransactionManager<AsyncPgConnection>>::commit_transaction(conn)
                    .await?;
                Ok(done)
            }
            Err(err) => {
                match <AnsiTransactionManager as TransactionManager<AsyncPgConnection>>::rollback_transaction(conn)
                    .await
                {
                    Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(err),
                    Err(rollback) => Err(HandlerError::from(rollback)),
                }
            }
        }
    };
    let outcome = tokio::time::timeout(settings.handler_timeout, transaction).await;
    match outcome {
        Ok(Ok(done)) => {
            ctx.committed();
            Ok(done)
        }
        Ok(Err(HandlerError::Transient(err))) => {
            drop(conn);
            // A failure because PostgreSQL went away is not the message's fault.
            if db::ping(&shared.ctx.pool).await {
                Err(Failure::Handler(HandlerError::Transient(err)))
            } else {
                Err(Failure::DatabaseDown)
            }
        }
        Ok(Err(permanent)) => Err(Failure::Handler(permanent)),
        Err(_elapsed) => {
            // The transaction was cut mid-way: this connection must not go back to the pool.
            drop(db::DbConn::take(conn));
            Err(Failure::Handler(HandlerError::transient(anyhow::anyhow!(
                "the handler took longer than {:?}",
                settings.handler_timeout
            ))))
        }
    }
}

/// A panicking handler is a bug that retrying will not fix: a permanent failure of its message.
async fn guarded(
    runner: &dyn super::handlers::Runner,
    ctx: &Context<'_>,
    conn: &mut AsyncPgConnection,
    messages: &[&AnyMessage],
) -> Result<super::handlers::Refused, HandlerError> {
    match AssertUnwindSafe(runner.run(ctx, conn, messages))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            Err(HandlerError::permanent(format!(
                "the handler panicked: {text}"
            )))
        }
    }
}
