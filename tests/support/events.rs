//! A consumer that records which connection lifecycle events were published. It also gives
//! those events a queue to land in until the notification service consumes them.

use diesel_async::AsyncPgConnection;
use shared::consumer::{ConsumerSpec, Context, Handler, Handlers};
use shared::error::HandlerError;
use shared::message::events::connection::{
    ConnectionDeactivatedV1, InvitationAcceptedV1, InvitationCancelledV1, InvitationDeclinedV1,
    InvitationResentV1,
};
use shared::message::{Envelope, Message};
use shared::service::ServiceParts;
use std::sync::{Arc, Mutex};

/// The kinds of the events seen, in arrival order.
#[derive(Default)]
pub struct Seen(Mutex<Vec<String>>);

impl Seen {
    pub fn kinds(&self) -> Vec<String> {
        self.0.lock().expect("seen lock").clone()
    }
}

struct Recorder(Arc<Seen>);

impl<M: Message> Handler<M> for Recorder {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        _conn: &mut AsyncPgConnection,
        _message: &Envelope<M>,
    ) -> Result<(), HandlerError> {
        self.0
            .0
            .lock()
            .expect("seen lock")
            .push(M::KIND.to_string());
        Ok(())
    }
}

/// The recorder, to start with [`crate::TestApp::spawn_parts`].
pub fn parts(seen: Arc<Seen>) -> ServiceParts {
    let handlers = Handlers::new()
        .on::<InvitationResentV1, _>(Recorder(seen.clone()))
        .on::<InvitationCancelledV1, _>(Recorder(seen.clone()))
        .on::<InvitationAcceptedV1, _>(Recorder(seen.clone()))
        .on::<InvitationDeclinedV1, _>(Recorder(seen.clone()))
        .on::<ConnectionDeactivatedV1, _>(Recorder(seen));
    ServiceParts {
        name: "eventprobe",
        router: axum::Router::new(),
        consumers: vec![ConsumerSpec {
            service: "eventprobe",
            name: "connection",
            handlers,
        }],
        workers: Vec::new(),
        publishes: false,
    }
}

/// Starts the event recorder beside the app and waits until it consumes: an event published
/// before its queue is bound would go to the unrouted queue instead.
pub async fn start(
    app: &crate::TestApp,
    seen: Arc<Seen>,
) -> (
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let started = app.spawn_parts(vec![parts(seen)]);
    let component = format!(
        "consumer {}",
        app.topology().work_queue("eventprobe", "connection")
    );
    shared::testing::eventually(
        "the event recorder",
        std::time::Duration::from_secs(20),
        || async { app.platform.health.is_up(&component).then_some(()) },
    )
    .await;
    started
}
