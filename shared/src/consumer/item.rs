//! A delivery as the runtime holds it: admitted (size, delivery count, decode, validation)
//! once, when it arrives, and counted as in-flight work until it is dropped.

use super::handlers::{Decoded, Handlers};
use super::scheduler::Keyed;
use super::settings::ConsumerSettings;
use crate::amqp::header_i64;
use crate::health::Health;
use crate::message::EnvelopeHead;
use lapin::message::Delivery;
use std::sync::Arc;

pub(crate) enum Work {
    Handle(Decoded),
    /// Never handled: dead-lettered with this reason.
    Refuse(String),
}

pub(crate) struct Item {
    pub delivery: Delivery,
    /// The queue it was delivered from (a partition of a partitioned consumer).
    pub queue: Arc<str>,
    pub attempt: u32,
    pub work: Work,
    _busy: Busy,
}

impl Keyed for Item {
    fn key(&self) -> Option<&str> {
        match &self.work {
            Work::Handle(decoded) => decoded.key.as_deref(),
            Work::Refuse(_) => None,
        }
    }
}

/// Counts the item in [`Health::busy`] (what tests' `wait_idle` waits on) while it lives.
struct Busy(Health);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.end_work();
    }
}

impl Item {
    pub fn admit(
        delivery: Delivery,
        queue: Arc<str>,
        handlers: &Handlers,
        settings: &ConsumerSettings,
        health: &Health,
        own_user: &str,
    ) -> Self {
        health.begin_work();
        let busy = Busy(health.clone());
        let headers = delivery.properties.headers().as_ref();
        let attempt =
            u32::try_from(header_i64(headers, "x-attempt").unwrap_or(1).max(1)).unwrap_or(1);
        let work = match refusal(&delivery, settings) {
            Some(reason) => Work::Refuse(reason),
            None => match decode(&delivery, handlers, own_user) {
                Ok(decoded) => Work::Handle(decoded),
                Err(reason) => Work::Refuse(reason),
            },
        };
        Self {
            delivery,
            queue,
            attempt,
            work,
            _busy: busy,
        }
    }

    pub fn key_owned(&self) -> Option<String> {
        self.key().map(str::to_owned)
    }

    pub fn tag(&self) -> u64 {
        self.delivery.delivery_tag
    }
}

/// Checks made before decoding: the body's size and how often the broker has delivered it.
fn refusal(delivery: &Delivery, settings: &ConsumerSettings) -> Option<String> {
    let size = delivery.data.len();
    if size > settings.max_message_bytes {
        return Some(format!(
            "message of {size} bytes exceeds this consumer's limit of {} bytes",
            settings.max_message_bytes
        ));
    }
    // Quorum queues count deliveries that ended without a settlement (a crash, a lost channel).
    let returned = header_i64(delivery.properties.headers().as_ref(), "x-delivery-count")
        .unwrap_or(0)
        .max(0);
    let deliveries = u64::try_from(returned).unwrap_or(0) + 1;
    (deliveries > u64::from(settings.delivery_limit)).then(|| {
        format!(
            "delivered {deliveries} times without being settled (limit {}): it may crash its consumer",
            settings.delivery_limit
        )
    })
}

fn decode(delivery: &Delivery, handlers: &Handlers, own_user: &str) -> Result<Decoded, String> {
    // The publisher names the type in the `type` property; a message without it is looked at.
    let routing_key = match delivery.properties.kind() {
        Some(kind) => kind.as_str().to_string(),
        None => EnvelopeHead::decode(&delivery.data)
            .map_err(|e| e.to_string())?
            .routing_key(),
    };
    let user_id = super::republish::publisher(&delivery.properties, own_user);
    handlers
        .decode(&routing_key, &delivery.data, user_id.as_deref())
        .map_err(|e| e.to_string())
}
