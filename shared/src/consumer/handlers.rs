//! The handler table of a consumer: which message types it takes, how each is keyed for
//! ordering, and the type-erased runners the runtime calls.

use crate::error::HandlerError;
use crate::message::{DecodeError, Envelope, EnvelopeHead, Message};
use diesel_async::AsyncPgConnection;
use futures_util::future::BoxFuture;
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Work to do once the handler's transaction has committed.
type Hook = Box<dyn FnOnce() + Send>;

/// What a handler knows of where it runs.
pub struct Context<'a> {
    /// The service the consumer belongs to: its outbox is the one [`Context::emit`] writes to.
    pub service: &'static str,
    /// The consumer's work queue (its name in the inbox).
    pub consumer: &'a str,
    /// Which attempt this is (1 for the first): the message's `x-attempt` header, or counted
    /// in place for a retry that waits in its key. For a transaction of several messages (a
    /// batch), the smallest of theirs.
    pub attempt: u32,
    /// Whether a transient failure now is the message's last: the retry schedule is spent, so
    /// the runtime dead-letters the message instead of retrying it. Never true for a batch of
    /// several messages: a failing batch settles nothing, its messages are then tried alone.
    pub last_attempt: bool,
    after_commit: std::sync::Mutex<Vec<Hook>>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        service: &'static str,
        consumer: &'a str,
        attempt: u32,
        last_attempt: bool,
    ) -> Self {
        Self {
            service,
            consumer,
            attempt,
            last_attempt,
            after_commit: std::sync::Mutex::default(),
        }
    }

    /// Runs `hook` once the transaction the handler runs in has committed, never if it rolls
    /// back: for what must only count what committed (metrics). A hook must be quick.
    pub fn after_commit(&self, hook: impl FnOnce() + Send + 'static) {
        if let Ok(mut hooks) = self.after_commit.lock() {
            hooks.push(Box::new(hook));
        }
    }

    /// Called by the runtime after the commit.
    pub(crate) fn committed(&self) {
        let hooks = match self.after_commit.lock() {
            Ok(mut hooks) => std::mem::take(&mut *hooks),
            Err(_) => return,
        };
        for hook in hooks {
            hook();
        }
    }
}

impl Context<'_> {
    /// Queues `payload` as an event caused by `cause`, in the handler's transaction (the
    /// outbox): it keeps `cause`'s correlation id and trace, and leaves only if the effect commits.
    pub async fn emit<C: Message, N: Message>(
        &self,
        conn: &mut AsyncPgConnection,
        cause: &Envelope<C>,
        org_id: crate::ids::OrgId,
        payload: N,
    ) -> Result<(), HandlerError> {
        let event = Envelope::caused_by(org_id, payload, &cause.head());
        crate::outbox::enqueue(conn, self.service, &event).await?;
        Ok(())
    }
}

/// Handles one message type. Runs inside the transaction that also records the inbox row:
/// write the effect through `conn`, and [`Context::emit`] the messages it causes.
/// Several messages may share one transaction (a batch); the runtime isolates a failing one.
///
/// ```ignore
/// impl Handler<InvitationSentV1> for SendInvitation {
///     async fn handle(&self, ctx: &Context<'_>, conn: &mut AsyncPgConnection,
///                     message: &Envelope<InvitationSentV1>) -> Result<(), HandlerError> { ... }
/// }
/// ```
pub trait Handler<M: Message>: Send + Sync + 'static {
    fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        message: &Envelope<M>,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// Handles a run of messages of one type at once (one statement for all, say), in queue order.
/// An error fails every message of the run; the runtime then retries each one alone.
pub trait BatchHandler<M: Message>: Send + Sync + 'static {
    fn handle_batch(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<M>],
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// Like [`BatchHandler`], but returns one result per message, in order: `Err(reason)` refuses
/// that message alone (see [`IngestBatchHandler`]: the handler must have changed nothing the
/// message's inbox row would guard; the runtime dead-letters it with the reason and commits the
/// others). An `Err` of the whole call fails the run; the runtime then tries each message alone.
pub trait RefusingBatchHandler<M: Message>: Send + Sync + 'static {
    fn handle_batch(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<M>],
    ) -> impl Future<Output = Result<Vec<Result<(), String>>, HandlerError>> + Send;
}

/// Whether a consumer handles a message type in order of [`Message::order_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Any order, as many at once as lanes allow.
    Any,
    /// Messages with the same key one after another, in queue order; other keys beside them.
    ByKey,
}

/// A decoded message waiting for its handler (an `Envelope<M>` behind `dyn Any`).
pub(crate) type AnyMessage = Box<dyn Any + Send + Sync>;

/// Messages of a run that a handler refused without changing anything: their index in the
/// run and the reason. The runtime dead-letters each alone; the rest of the batch commits.
pub(crate) type Refused = Vec<(usize, String)>;

/// Runs a run of same-type messages on a connection inside a transaction.
pub(crate) trait Runner: Send + Sync {
    fn run<'a>(
        &'a self,
        ctx: &'a Context<'a>,
        conn: &'a mut AsyncPgConnection,
        messages: &'a [&'a AnyMessage],
    ) -> BoxFuture<'a, Result<Refused, HandlerError>>;
}

fn typed<'a, M: Message>(
    messages: &'a [&'a AnyMessage],
) -> Result<Vec<&'a Envelope<M>>, HandlerError> {
    messages
        .iter()
        .map(|m| {
            m.downcast_ref::<Envelope<M>>()
                .ok_or_else(|| HandlerError::permanent("runtime bug: message of the wrong type"))
        })
        .collect()
}

struct One<H>(Arc<H>);
struct Many<H>(Arc<H>);
struct Typed<M, R> {
    inner: R,
    _m: std::marker::PhantomData<fn() -> M>,
}

impl<M: Message, H: Handler<M>> Runner for Typed<M, One<H>> {
    fn run<'a>(
        &'a self,
        ctx: &'a Context<'a>,
        conn: &'a mut AsyncPgConnection,
        messages: &'a [&'a AnyMessage],
    ) -> BoxFuture<'a, Result<Refused, HandlerError>> {
        Box::pin(async move {
            for message in typed::<M>(messages)? {
                self.inner.0.handle(ctx, conn, message).await?;
            }
            Ok(Refused::new())
        })
    }
}

impl<M: Message, H: BatchHandler<M>> Runner for Typed<M, Many<H>> {
    fn run<'a>(
        &'a self,
        ctx: &'a Context<'a>,
        conn: &'a mut AsyncPgConnection,
        messages: &'a [&'a AnyMessage],
    ) -> BoxFuture<'a, Result<Refused, HandlerError>> {
        Box::pin(async move {
            let typed = typed::<M>(messages)?;
            self.inner.0.handle_batch(ctx, conn, &typed).await?;
            Ok(Refused::new())
        })
    }
}

struct Refusing<H>(Arc<H>);

impl<M: Message, H: RefusingBatchHandler<M>> Runner for Typed<M, Refusing<H>> {
    fn run<'a>(
        &'a self,
        ctx: &'a Context<'a>,
        conn: &'a mut AsyncPgConnection,
        messages: &'a [&'a AnyMessage],
    ) -> BoxFuture<'a, Result<Refused, HandlerError>> {
        Box::pin(async move {
            let typed = typed::<M>(messages)?;
            let results = self.inner.0.handle_batch(ctx, conn, &typed).await?;
            refused_of(results, typed.len())
        })
    }
}

/// The refused messages of a run's results (one per message, in order).
fn refused_of(results: Vec<Result<(), String>>, count: usize) -> Result<Refused, HandlerError> {
    if results.len() != count {
        return Err(HandlerError::permanent(format!(
            "handler bug: {} results for {count} messages",
            results.len()
        )));
    }
    Ok(results
        .into_iter()
        .enumerate()
        .filter_map(|(i, result)| result.err().map(|reason| (i, reason)))
        .collect())
}

fn one<M: Message, H: Handler<M>>(handler: H) -> Typed<M, One<H>> {
    Typed {
        inner: One(Arc::new(handler)),
        _m: Default::default(),
    }
}

/// A message decoded, validated and bound to its runner.
pub(crate) struct Decoded {
    pub head: EnvelopeHead,
    pub key: Option<String>,
    pub message: AnyMessage,
    pub runner: Arc<dyn Runner>,
}

/// Decodes a body; the second argument is the AMQP `user_id` property (the broker checks it).
type Decoder = Arc<dyn Fn(&[u8], Option<&str>) -> Result<Decoded, DecodeError> + Send + Sync>;

/// Which exchange a consumer's work queue is bound to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Source {
    /// The events exchange, with `kind.vN` (services' own events).
    #[default]
    Events,
    /// The ingest exchange, with `*.kind.vN` (orgs' own systems; see `amqp::records`).
    Ingest,
}

/// Handles one message of an org's own system, with the broker user that published it.
pub trait IngestHandler<M: Message>: Send + Sync + 'static {
    /// `user_id`: the message's AMQP `user_id` property, which the broker has checked equals
    /// the user of the publishing connection; `None` when the publisher did not set it.
    fn handle(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        user_id: Option<&str>,
        message: &Envelope<M>,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// A message of an org's own system as the runtime holds it: with its publisher.
pub(crate) struct Published<M> {
    user_id: Option<String>,
    envelope: Envelope<M>,
}

struct Ingest<H>(Arc<H>);

impl<M: Message, H: IngestHandler<M>> Runner for Typed<M, Ingest<H>> {
    fn run<'a>(
        &'a self,
        ctx: &'a Context<'a>,
        conn: &'a mut AsyncPgConnection,
        messages: &'a [&'a AnyMessage],
    ) -> BoxFuture<'a, Result<Refused, HandlerError>> {
        Box::pin(async move {
            for message in messages {
                let published = message.downcast_ref::<Published<M>>().ok_or_else(|| {
                    HandlerError::permanent("runtime bug: message of the wrong type")
                })?;
                self.inner
                    .0
                    .handle(ctx, conn, published.user_id.as_deref(), &published.envelope)
                    .await?;
            }
            Ok(Refused::new())
        })
    }
}

/// A message of an org's own system handed to an [`IngestBatchHandler`].
pub struct FromOrg<'a, M> {
    /// The AMQP `user_id` property, checked by the broker (see [`IngestHandler::handle`]).
    pub user_id: Option<&'a str>,
    pub envelope: &'a Envelope<M>,
}

/// Handles a run of messages of orgs' own systems at once (set statements for all), in queue
/// order: several messages of one key come in the order they were published.
///
/// Returns one result per message, in order. `Err(reason)` refuses that message alone: the
/// handler must have changed nothing for it (check before writing); the runtime dead-letters it
/// with the reason and commits the others. An `Err` of the whole call (a database failure)
/// fails the run; the runtime then tries each message alone.
pub trait IngestBatchHandler<M: Message>: Send + Sync + 'static {
    fn handle_batch(
        &self,
        ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[FromOrg<'_, M>],
    ) -> impl Future<Output = Result<Vec<Result<(), String>>, HandlerError>> + Send;
}

struct IngestBatch<H>(Arc<H>);

impl<M: Message, H: IngestBatchHandler<M>> Runner for Typed<M, IngestBatch<H>> {
    fn run<'a>(
        &'a self,
        ctx: &'a Context<'a>,
        conn: &'a mut AsyncPgConnection,
        messages: &'a [&'a AnyMessage],
    ) -> BoxFuture<'a, Result<Refused, HandlerError>> {
        Box::pin(async move {
            let typed = messages
                .iter()
                .map(|message| {
                    let published = message.downcast_ref::<Published<M>>().ok_or_else(|| {
                        HandlerError::permanent("runtime bug: message of the wrong type")
                    })?;
                    Ok(FromOrg {
                        user_id: published.user_id.as_deref(),
                        envelope: &published.envelope,
                    })
                })
                .collect::<Result<Vec<_>, HandlerError>>()?;
            let results = self.inner.0.handle_batch(ctx, conn, &typed).await?;
            refused_of(results, typed.len())
        })
    }
}

/// The handlers of one consumer, by routing key (`kind.vN`).
#[derive(Clone, Default)]
pub struct Handlers {
    by_routing_key: BTreeMap<String, Decoder>,
    partitions: Option<u16>,
    source: Source,
    unbound: bool,
    /// Routing keys of types still handled but no longer bound ([`Handlers::retire`]).
    retired: BTreeSet<String>,
}

impl Handlers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for messages of type `M`, in any order; the work queue is bound to
    /// `M`'s routing key.
    pub fn on<M: Message, H: Handler<M>>(self, handler: H) -> Self {
        self.register::<M>(Arc::new(one::<M, H>(handler)), Order::Any)
    }

    /// Like [`Handlers::on`], but messages with the same [`Message::order_key`] are handled
    /// in queue order.
    pub fn on_ordered<M: Message, H: Handler<M>>(self, handler: H) -> Self {
        self.register::<M>(Arc::new(one::<M, H>(handler)), Order::ByKey)
    }

    /// Registers a handler that takes runs of `M` at once.
    pub fn on_batch<M: Message, H: BatchHandler<M>>(self, handler: H, order: Order) -> Self {
        let runner = Typed::<M, _> {
            inner: Many(Arc::new(handler)),
            _m: Default::default(),
        };
        self.register::<M>(Arc::new(runner), order)
    }

    /// Registers a handler that takes runs of `M` at once and may refuse messages of a run one
    /// by one.
    pub fn on_refusing_batch<M: Message, H: RefusingBatchHandler<M>>(
        self,
        handler: H,
        order: Order,
    ) -> Self {
        let runner = Typed::<M, _> {
            inner: Refusing(Arc::new(handler)),
            _m: Default::default(),
        };
        self.register::<M>(Arc::new(runner), order)
    }

    /// Registers a handler of messages orgs' own systems publish to the ingest exchange, in
    /// order of [`Message::order_key`]; the work queue is bound to the ingest exchange instead
    /// of the events exchange (a consumer takes one or the other).
    pub fn on_ingest<M: Message, H: IngestHandler<M>>(self, handler: H) -> Self {
        self.register_ingest::<M>(Arc::new(Typed::<M, _> {
            inner: Ingest(Arc::new(handler)),
            _m: Default::default(),
        }))
    }

    /// Like [`Handlers::on_ingest`], with a handler that takes a batch's run of `M` at once and
    /// may refuse messages of it one by one.
    pub fn on_ingest_batch<M: Message, H: IngestBatchHandler<M>>(self, handler: H) -> Self {
        self.register_ingest::<M>(Arc::new(Typed::<M, _> {
            inner: IngestBatch(Arc::new(handler)),
            _m: Default::default(),
        }))
    }

    fn register_ingest<M: Message>(mut self, runner: Arc<dyn Runner>) -> Self {
        self.source = Source::Ingest;
        let decoder: Decoder = Arc::new(move |body: &[u8], user_id: Option<&str>| {
            let message = decode_valid::<M>(body)?;
            Ok(Decoded {
                head: message.head(),
                key: message.payload.order_key(),
                message: Box::new(Published {
                    user_id: user_id.map(str::to_owned),
                    envelope: message,
                }),
                runner: runner.clone(),
            })
        });
        self.by_routing_key.insert(M::routing_key(), decoder);
        self
    }

    fn register<M: Message>(mut self, runner: Arc<dyn Runner>, order: Order) -> Self {
        let decoder: Decoder = Arc::new(move |body: &[u8], _user_id: Option<&str>| {
            let message = decode_valid::<M>(body)?;
            Ok(Decoded {
                head: message.head(),
                key: match order {
                    Order::Any => None,
                    Order::ByKey => message.payload.order_key(),
                },
                message: Box::new(message),
                runner: runner.clone(),
            })
        });
        self.by_routing_key.insert(M::routing_key(), decoder);
        self
    }

    /// The exchange the consumer's work queue is bound to.
    pub fn source(&self) -> Source {
        self.source
    }

    /// Spreads the consumer over `partitions` work queues, each taken by one process at a time
    /// (see [`crate::amqp::partitions`]): per-key order then holds across processes.
    /// Every transient failure is retried in place, its key waiting.
    pub fn partitioned(mut self, partitions: u16) -> Self {
        self.partitions = Some(partitions.max(1));
        self
    }

    pub fn partitions(&self) -> Option<u16> {
        self.partitions
    }

    /// Keeps handling what waits in the work queue, but binds it to nothing and removes the
    /// bindings of its message types: for a consumer whose work moved elsewhere, so that the
    /// messages queued before an upgrade are still handled and no new ones arrive. For a
    /// consumer of the events exchange with one work queue: partitioned and ingest consumers
    /// bind differently, and none of them is unbound today.
    pub fn unbound(mut self) -> Self {
        self.unbound = true;
        self
    }

    /// Like [`Handlers::unbound`] for one message type: `M`, registered before, is still
    /// handled when found in the work queue, but the queue is no longer bound to it and every
    /// declare removes that binding. For a type replaced by another one, so that what an
    /// older version queued is handled and nothing new of `M` arrives.
    pub fn retire<M: Message>(mut self) -> Self {
        self.retired.insert(M::routing_key());
        self
    }

    /// The routing keys the work queue is bound to (none for an [`Handlers::unbound`] one).
    pub fn routing_keys(&self) -> Vec<String> {
        if self.unbound {
            return Vec::new();
        }
        self.handled_keys()
            .into_iter()
            .filter(|key| !self.retired.contains(key))
            .collect()
    }

    /// The routing keys whose bindings are removed when the queue is declared: those of an
    /// [`Handlers::unbound`] consumer, or of [`Handlers::retire`]d types.
    pub fn unbound_keys(&self) -> Vec<String> {
        self.handled_keys()
            .into_iter()
            .filter(|key| self.unbound || self.retired.contains(key))
            .collect()
    }

    fn handled_keys(&self) -> Vec<String> {
        self.by_routing_key.keys().cloned().collect()
    }

    pub(crate) fn decode(
        &self,
        routing_key: &str,
        body: &[u8],
        user_id: Option<&str>,
    ) -> Result<Decoded, DecodeError> {
        let decoder = self
            .by_routing_key
            .get(routing_key)
            .ok_or_else(|| DecodeError::UnknownType(routing_key.to_string()))?;
        decoder(body, user_id)
    }
}

fn decode_valid<M: Message>(body: &[u8]) -> Result<Envelope<M>, DecodeError> {
    let message = Envelope::<M>::decode(body)?;
    message
        .payload
        .validate()
        .map_err(|reason| DecodeError::Invalid {
            message_type: M::routing_key(),
            reason,
        })?;
    Ok(message)
}
