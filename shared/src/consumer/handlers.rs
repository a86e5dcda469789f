use crate::error::HandlerError;
use crate::message::{DecodeError, Envelope, Message};
use diesel_async::AsyncPgConnection;
use futures_util::future::BoxFuture;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Handles one message type. Runs inside the transaction that also records the inbox row:
/// write the effect through `conn`, and use [`crate::outbox::enqueue`] for the messages it causes.
pub trait Handler<M: Message>: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        message: &'a Envelope<M>,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
}

/// A decoded message bound to its handler, ready to run.
pub(crate) trait Ready: Send + Sync {
    fn run<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
}

struct Bound<M, H> {
    handler: Arc<H>,
    message: Envelope<M>,
}

impl<M: Message, H: Handler<M>> Ready for Bound<M, H> {
    fn run<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        self.handler.handle(conn, &self.message)
    }
}

type Decoder = Arc<dyn Fn(&[u8]) -> Result<Box<dyn Ready>, DecodeError> + Send + Sync>;

/// The handlers of one consumer, by routing key (`kind.vN`).
#[derive(Clone, Default)]
pub struct Handlers {
    by_routing_key: BTreeMap<String, Decoder>,
}

impl Handlers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for messages of type `M`; the work queue is bound to `M`'s routing key.
    pub fn on<M: Message, H: Handler<M>>(mut self, handler: H) -> Self {
        let handler = Arc::new(handler);
        let decoder: Decoder = Arc::new(move |body: &[u8]| {
            let message = Envelope::<M>::decode(body)?;
            Ok(Box::new(Bound {
                handler: handler.clone(),
                message,
            }) as Box<dyn Ready>)
        });
        self.by_routing_key.insert(M::routing_key(), decoder);
        self
    }

    pub fn routing_keys(&self) -> Vec<String> {
        self.by_routing_key.keys().cloned().collect()
    }

    pub(crate) fn decode(
        &self,
        routing_key: &str,
        body: &[u8],
    ) -> Result<Box<dyn Ready>, DecodeError> {
        let decoder = self
            .by_routing_key
            .get(routing_key)
            .ok_or_else(|| DecodeError::UnknownType(routing_key.to_string()))?;
        decoder(body)
    }
}
