//! Dead letters: list a service's dead-letter queue, and replay its messages into the queues
//! they came from (with a fresh attempt count).

use super::{ConfirmedChannel, Headers, Topology, connect, header_i64, header_str, timed};
use anyhow::Context;
use lapin::options::{BasicAckOptions, BasicGetOptions, QueueDeclareOptions};
use lapin::types::FieldTable;

/// A message in a dead-letter queue, as an operator sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeadLetter {
    pub reason: String,
    pub original_queue: String,
    pub original_routing_key: String,
    pub attempts: i64,
    pub failed_at: String,
    pub body: String,
}

/// Up to `limit` dead letters of `service`, oldest first. They stay in the queue.
pub async fn list(
    amqp_url: &str,
    topology: &Topology,
    service: &str,
    limit: usize,
) -> anyhow::Result<Vec<DeadLetter>> {
    let connection = connect(amqp_url, "partnernet dead-letters list").await?;
    let channel = timed("opening a channel", connection.create_channel()).await?;
    let queue = topology.dead_letter_queue(service);
    let mut found = Vec::new();
    while found.len() < limit {
        let got = timed(
            "reading a dead letter",
            channel.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false }),
        )
        .await
        .with_context(|| format!("reading {queue}"))?;
        let Some(message) = got else { break };
        let headers = message.properties.headers().as_ref();
        found.push(DeadLetter {
            reason: header_str(headers, "x-death-reason").unwrap_or_default(),
            original_queue: header_str(headers, "x-original-queue").unwrap_or_default(),
            original_routing_key: header_str(headers, "x-original-routing-key").unwrap_or_default(),
            attempts: header_i64(headers, "x-attempt").unwrap_or_default(),
            failed_at: header_str(headers, "x-failed-at").unwrap_or_default(),
            body: String::from_utf8_lossy(&message.data).into_owned(),
        });
    }
    // Closing without acknowledging puts every message back.
    let _ = timed("closing", connection.close(200, "listed".into())).await;
    Ok(found)
}

/// Moves up to `limit` dead letters of `service` back to their work queues. Returns how many.
pub async fn replay(
    amqp_url: &str,
    topology: &Topology,
    service: &str,
    limit: usize,
) -> anyhow::Result<usize> {
    replay_where(amqp_url, topology, service, limit, |_| true).await
}

/// Like [`replay`], only the dead letters whose body `pick` takes; the others stay in the queue
/// (read and put back when the connection closes, so each is looked at once).
pub async fn replay_where(
    amqp_url: &str,
    topology: &Topology,
    service: &str,
    limit: usize,
    pick: impl Fn(&[u8]) -> bool,
) -> anyhow::Result<usize> {
    let connection = connect(amqp_url, "partnernet dead-letters replay").await?;
    let channel = ConfirmedChannel::open(&connection).await?;
    let queue = topology.dead_letter_queue(service);
    // Only the letters waiting now: one replayed that fails again comes back to this queue
    // while the loop runs, and must not be taken (and sent) again by the same replay.
    let waiting = timed(
        "reading the dead-letter queue's depth",
        channel.channel().queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true, // only look: the topology declares it
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await?
    .message_count() as usize;
    let mut replayed = 0;
    let mut looked_at = 0;
    while replayed < limit && looked_at < waiting {
        looked_at += 1;
        let got = timed(
            "reading a dead letter",
            channel
                .channel()
                .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false }),
        )
        .await?;
        let Some(message) = got else { break };
        if !pick(&message.data) {
            continue;
        }
        let headers = message.properties.headers().as_ref();
        let Some(target) = header_str(headers, "x-original-queue") else {
            anyhow::bail!("a dead letter in {queue} has no x-original-queue header; left in place");
        };
        let properties = message.properties.clone().with_headers(
            Headers::from_table(headers)
                .int("x-attempt", 1)
                .into_table(),
        );
        channel
            .publish("", &target, &message.data, properties)
            .await?;
        timed(
            "acknowledging",
            message.acker.ack(BasicAckOptions::default()),
        )
        .await?;
        replayed += 1;
    }
    let _ = timed("closing", connection.close(200, "replayed".into())).await;
    Ok(replayed)
}
