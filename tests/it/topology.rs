//! The whole topology is declared at `partnernet migrate`, before any service runs: every
//! consumer's queue with all its bindings, so that an ordered event (published as `kind.vN.bN`)
//! also waits in the queue of a consumer that has never run.

use crate::outbox_relay::probe_queue_bound_to;
use shared::amqp::Publisher;
use shared::ids::{ConnectionId, OrgId};
use shared::message::events::connection::InvitationSentV1;
use shared::message::events::sync::RecordLinksMayEndV1;
use shared::message::{Envelope, Message};
use shared::testing::{eventually, unique_prefix};
use std::collections::HashMap;
use std::time::Duration;
use tests::TestApp;
use tests::amqp::queue_depth;
use tests::records::http_change;

#[tokio::test(flavor = "multi_thread")]
async fn an_event_published_before_its_consumer_ever_ran_is_delivered_once_the_topology_was_declared_at_migrate()
 {
    let prefix = unique_prefix();
    let env = HashMap::from([
        ("QUEUE_PREFIX".to_string(), prefix.clone()),
        ("AMQP_URL".to_string(), shared::testing::amqp_url()),
    ]);
    let config = partnernet::AllConfig::from_source(&env).expect("a configuration");
    // What `partnernet migrate` does, on a deployment where no service has run yet.
    partnernet::declare_topology(&config)
        .await
        .expect("the topology declared");
    let topology = shared::amqp::Topology::new(&prefix, config.invitation.common.retry.clone());
    let publisher = Publisher::for_topology(&shared::testing::amqp_url(), "early bird", &topology);
    let event = InvitationSentV1 {
        connection_id: ConnectionId::new(),
        inviter_org_name: "Acme Corp".into(),
        contact_name: "Ann".into(),
        contact_email: "ann@initech.example".into(),
        accept_url: "https://partnernet.test/invitations/accept?token=tok".into(),
        expires_at: chrono::Utc::now(),
    };
    publisher
        .publish(&topology, &Envelope::new(OrgId::new(), event))
        .await
        .expect("published before any consumer ran");
    publisher.close().await;

    let app = TestApp::spawn_with(|env| {
        env.insert("QUEUE_PREFIX".into(), prefix.clone());
    })
    .await;
    eventually("the invitation email", Duration::from_secs(20), || async {
        app.smtp
            .received_by("ann@initech.example")
            .into_iter()
            .next()
    })
    .await;
    app.wait_idle().await;
    assert_eq!(
        queue_depth(app.amqp_url(), &topology.unrouted()).await,
        Some(0),
        "nothing unrouted"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ordered_event_waits_in_the_queue_of_a_consumer_that_never_ran() {
    let app = TestApp::spawn().await;
    // A consumer of an ordered type, declared as `partnernet migrate` does, and never run.
    let work = probe_queue_bound_to(&app, vec![RecordLinksMayEndV1::routing_key()]).await;

    let change = http_change("Account", "acc-1", 2, None);
    let event = Envelope::new(OrgId::new(), RecordLinksMayEndV1(change));
    assert!(
        shared::amqp::partitions::routing_key_for_envelope(&event).contains(".b"),
        "published under a bucketed key"
    );
    app.publisher
        .publish(app.topology(), &event)
        .await
        .expect("published");
    let url = app.amqp_url().to_string();
    eventually(
        "the event in the never-run consumer's queue",
        Duration::from_secs(20),
        || async { (queue_depth(&url, &work).await? == 1).then_some(()) },
    )
    .await;
    app.stop().await;
}
