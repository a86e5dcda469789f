//! The notification service: every email kind, per-org templates and senders, delivery
//! retries and failures, the sync-failure digest.

mod delivery;
mod digest;
mod kill;
mod kinds;
mod lease;
mod template_limits;
mod templates;

use shared::message::{Envelope, Message};
use tests::{TestApp, TestOrg};

/// Publishes `payload` as an event of `org`, as the service that owns it would.
async fn publish<M: Message>(app: &TestApp, org: &TestOrg, payload: M) {
    app.publisher
        .publish(app.topology(), &Envelope::new(org.id, payload))
        .await
        .expect("published");
}
