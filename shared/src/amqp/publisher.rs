use super::connection::{connect, timed};
use super::headers::Headers;
use super::topology::Topology;
use crate::message::{Envelope, EnvelopeHead, Message};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Connection};
use lapin::{Confirmation, PublisherConfirm};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// No queue is bound for the routing key: the message would be lost.
    #[error("unroutable: no queue bound for {exchange}/{routing_key}")]
    Unroutable {
        exchange: String,
        routing_key: String,
    },
    #[error("the broker refused the message (nack) for {routing_key}")]
    Nacked { routing_key: String },
    #[error(transparent)]
    Broker(#[from] anyhow::Error),
}

/// A channel in confirm mode. Every publish is `mandatory`, persistent, and waits for its confirm.
pub struct ConfirmedChannel {
    channel: Channel,
}

impl ConfirmedChannel {
    pub async fn open(connection: &Connection) -> anyhow::Result<Self> {
        let channel = timed("opening a channel", connection.create_channel()).await?;
        timed(
            "enabling publisher confirms",
            channel.confirm_select(ConfirmSelectOptions::default()),
        )
        .await?;
        Ok(Self { channel })
    }

    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Publishes one message and waits for the broker to take responsibility for it.
    pub async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        self.publish_many(exchange, &[(routing_key, body, properties)])
            .await
    }

    /// Publishes several messages, then waits for all their confirms (pipelined).
    pub async fn publish_many(
        &self,
        exchange: &str,
        messages: &[(&str, &[u8], BasicProperties)],
    ) -> Result<(), PublishError> {
        self.send_many(exchange, messages).await?.confirmed().await
    }

    /// Publishes several messages without waiting for their confirms: await them with
    /// [`PendingConfirms::confirmed`], in the order the batches were sent.
    pub async fn send_many(
        &self,
        exchange: &str,
        messages: &[(&str, &[u8], BasicProperties)],
    ) -> Result<PendingConfirms, PublishError> {
        let mut confirms = Vec::with_capacity(messages.len());
        for (routing_key, body, properties) in messages {
            let confirm = timed(
                "publishing",
                self.channel.basic_publish(
                    exchange.into(),
                    (*routing_key).into(),
                    BasicPublishOptions {
                        mandatory: true,
                        immediate: false,
                    },
                    body,
                    properties.clone().with_delivery_mode(2),
                ),
            )
            .await?;
            confirms.push((routing_key.to_string(), confirm));
        }
        Ok(PendingConfirms {
            exchange: exchange.to_string(),
            confirms,
        })
    }
}

/// The outstanding confirms of messages sent by [`ConfirmedChannel::send_many`].
pub struct PendingConfirms {
    exchange: String,
    confirms: Vec<(String, PublisherConfirm)>,
}

impl PendingConfirms {
    /// Waits for every confirm: `Ok` only if the broker took responsibility for all of them
    /// (acked and routed). Unroutable (returned) and nacked messages are errors.
    pub async fn confirmed(self) -> Result<(), PublishError> {
        for (routing_key, confirm) in self.confirms {
            match timed("waiting for a publisher confirm", confirm).await? {
                Confirmation::Ack(None) => {}
                Confirmation::Ack(Some(_returned)) => {
                    return Err(PublishError::Unroutable {
                        exchange: self.exchange,
                        routing_key,
                    });
                }
                Confirmation::Nack(_) => return Err(PublishError::Nacked { routing_key }),
                Confirmation::NotRequested => {
                    return Err(PublishError::Broker(anyhow::anyhow!(
                        "channel is not in confirm mode"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// AMQP properties for an envelope body: persistent, JSON, ids and trace context.
pub fn envelope_properties(head: &EnvelopeHead, app_id: &str) -> BasicProperties {
    let timestamp = u64::try_from(head.occurred_at.timestamp()).unwrap_or_default();
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(head.message_id.to_string().into())
        .with_correlation_id(head.correlation_id.to_string().into())
        .with_type(head.routing_key().into())
        .with_timestamp(timestamp)
        .with_app_id(app_id.into())
        .with_headers(
            Headers::default()
                .text("traceparent", &head.traceparent)
                .into_table(),
        )
}

struct Link {
    connection: Connection,
    channel: ConfirmedChannel,
}

/// A confirmed publisher that connects on first use and reconnects after any failure.
#[derive(Clone)]
pub struct Publisher {
    url: Arc<String>,
    name: Arc<String>,
    /// Declared on each new connection, so publishing never waits for a consumer to declare it.
    topology: Option<Topology>,
    link: Arc<Mutex<Option<Link>>>,
}

impl Publisher {
    pub fn new(url: &str, name: &str) -> Self {
        Self {
            url: Arc::new(url.to_string()),
            name: Arc::new(name.to_string()),
            topology: None,
            link: Arc::new(Mutex::new(None)),
        }
    }

    /// A publisher that declares the events exchange (and its alternate) when it connects.
    pub fn for_topology(url: &str, name: &str, topology: &Topology) -> Self {
        Self {
            topology: Some(topology.clone()),
            ..Self::new(url, name)
        }
    }

    /// Publishes envelope bodies (routing key, JSON body) to `exchange`, all confirmed.
    pub async fn publish_batch(
        &self,
        exchange: &str,
        batch: &[(String, Vec<u8>)],
        app_id: &str,
    ) -> Result<(), PublishError> {
        let mut session = self.session().await;
        let pending = session.send_batch(exchange, batch, app_id).await?;
        session.settle(pending).await
    }

    /// Takes the publisher for a run of batches whose confirms may overlap (see
    /// [`PublishSession`]). Other publishes through this publisher wait until it is dropped.
    pub async fn session(&self) -> PublishSession {
        PublishSession {
            publisher: self.clone(),
            link: self.link.clone().lock_owned().await,
        }
    }

    /// Publishes raw bytes with the given properties (operators' tools, tests of bad input).
    pub async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let mut guard = self.link.lock().await;
        let result = match self.ensure_link(&mut guard).await {
            Ok(channel) => {
                channel
                    .publish(exchange, routing_key, body, properties)
                    .await
            }
            Err(err) => Err(err),
        };
        Self::forget_link_after(&mut guard, &result);
        result
    }

    /// Publishes a typed envelope to the events exchange, bypassing any outbox.
    /// For messages that come from outside a service (the CLI, an org's own systems, tests).
    pub async fn publish<M: Message>(
        &self,
        topology: &Topology,
        envelope: &Envelope<M>,
    ) -> Result<(), PublishError> {
        let body = serde_json::to_vec(envelope).map_err(|e| PublishError::Broker(e.into()))?;
        let properties = envelope_properties(&envelope.head(), &self.name);
        self.publish_raw(
            &topology.events_exchange(),
            &super::partitions::routing_key_for_envelope(envelope),
            &body,
            properties,
        )
        .await
    }

    async fn ensure_link<'g>(
        &self,
        slot: &'g mut Option<Link>,
    ) -> Result<&'g ConfirmedChannel, PublishError> {
        if slot
            .as_ref()
            .is_none_or(|link| !link.connection.status().connected())
        {
            let connection = connect(&self.url, &self.name).await?;
            let channel = ConfirmedChannel::open(&connection).await?;
            if let Some(topology) = &self.topology {
                topology.declare_exchanges(channel.channel()).await?;
            }
            *slot = Some(Link {
                connection,
                channel,
            });
        }
        slot.as_ref()
            .map(|link| &link.channel)
            .ok_or_else(|| PublishError::Broker(anyhow::anyhow!("no channel")))
    }

    /// After a broker error the channel may be dead or in an unknown state: start afresh.
    fn forget_link_after<T>(slot: &mut Option<Link>, result: &Result<T, PublishError>) {
        if matches!(
            result,
            Err(PublishError::Broker(_) | PublishError::Nacked { .. })
        ) {
            *slot = None;
        }
    }

    pub async fn close(&self) {
        if let Some(link) = self.link.lock().await.take() {
            let _ = timed("closing", link.connection.close(200, "bye".into())).await;
        }
    }
}

/// Exclusive use of a [`Publisher`]'s channel for pipelined batches: send a batch, send the
/// next while the broker confirms the first, settle them oldest first. Each batch is judged by
/// its own confirms only: a caller treats a message as delivered only once its confirm acked it.
pub struct PublishSession {
    publisher: Publisher,
    link: OwnedMutexGuard<Option<Link>>,
}

impl PublishSession {
    /// Publishes envelope bodies (routing key, JSON body) to `exchange`, not yet confirmed.
    pub async fn send_batch(
        &mut self,
        exchange: &str,
        batch: &[(String, Vec<u8>)],
        app_id: &str,
    ) -> Result<PendingConfirms, PublishError> {
        let messages: Vec<(&str, &[u8], BasicProperties)> = batch
            .iter()
            .map(|(key, body)| {
                let properties = EnvelopeHead::decode(body)
                    .map(|head| envelope_properties(&head, app_id))
                    .unwrap_or_default();
                (key.as_str(), body.as_slice(), properties)
            })
            .collect();
        let result = match self.publisher.ensure_link(&mut self.link).await {
            Ok(channel) => channel.send_many(exchange, &messages).await,
            Err(err) => Err(err),
        };
        Publisher::forget_link_after(&mut self.link, &result);
        result
    }

    /// Waits for the confirms of a batch sent by [`Self::send_batch`].
    pub async fn settle(&mut self, pending: PendingConfirms) -> Result<(), PublishError> {
        let result = pending.confirmed().await;
        Publisher::forget_link_after(&mut self.link, &result);
        result
    }
}
