//! The whole topology is declared at `partnernet migrate`, before any service runs.

use shared::amqp::Publisher;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::{eventually, unique_prefix};
use std::collections::HashMap;
use std::time::Duration;
use tests::TestApp;
use tests::amqp::queue_depth;

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
