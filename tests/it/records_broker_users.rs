//! Each org's own broker user, made as `partnernet org create` makes it: the broker itself
//! refuses it another org's routing key, another user id, the events exchange, and another
//! org's change feed.

use lapin::BasicProperties;
use lapin::options::BasicGetOptions;
use shared::amqp::{ConfirmedChannel, PublishError, Topology, connect, timed};
use shared::message::Message;
use shared::message::events::record::RecordUpsertV1;
use tests::TestApp;
use tests::records::OrgBroker;

fn refused(result: &Result<(), PublishError>, code: &str) -> bool {
    matches!(result, Err(e) if format!("{e:?}").contains(code))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_broker_user_may_publish_only_its_own_records_as_itself() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let acme_broker = OrgBroker::create(&app, &acme).await;
    let globex_broker = OrgBroker::create(&app, &globex).await;
    let topology = app.topology();
    let own_key = Topology::ingest_routing_key(acme.id, &RecordUpsertV1::routing_key());
    let other_key = Topology::ingest_routing_key(globex.id, &RecordUpsertV1::routing_key());
    let me = Some(acme_broker.user.username.as_str());
    let body = b"{}";

    let own = acme_broker.publish(topology, &own_key, body, me).await;
    let other_org = acme_broker.publish(topology, &other_key, body, me).await;
    let other_user = acme_broker
        .publish(
            topology,
            &own_key,
            body,
            Some(globex_broker.user.username.as_str()),
        )
        .await;
    let on_events = {
        let connection = connect(&acme_broker.amqp_url(), "test")
            .await
            .expect("connects");
        let channel = ConfirmedChannel::open(&connection).await.expect("channel");
        let result = channel
            .publish(
                &topology.events_exchange(),
                "connection.invited.v1",
                body,
                BasicProperties::default(),
            )
            .await;
        let _ = connection.close(200, "done".into()).await;
        result
    };

    assert!(own.is_ok(), "its own routing key as itself: {own:?}");
    assert!(
        refused(&other_org, "ACCESS_REFUSED"),
        "another org's routing key: {other_org:?}"
    );
    assert!(
        refused(&other_user, "PRECONDITION_FAILED"),
        "another user id: {other_user:?}"
    );
    assert!(
        refused(&on_events, "ACCESS_REFUSED"),
        "the internal events exchange: {on_events:?}"
    );
    drop((acme_broker, globex_broker));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_broker_user_cannot_read_another_orgs_change_feed() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let acme_broker = OrgBroker::create(&app, &acme).await;
    let globex_broker = OrgBroker::create(&app, &globex).await;

    let read = |queue: String| {
        let url = acme_broker.amqp_url();
        async move {
            let connection = connect(&url, "test").await.expect("connects");
            let channel = timed("channel", connection.create_channel())
                .await
                .expect("channel");
            let result = timed(
                "get",
                channel.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false }),
            )
            .await
            .map(|_| ());
            let _ = connection.close(200, "done".into()).await;
            result
        }
    };
    let own = read(acme_broker.user.change_feed.clone()).await;
    let other = read(globex_broker.user.change_feed.clone()).await;

    assert!(own.is_ok(), "its own feed: {own:?}");
    assert!(
        matches!(&other, Err(e) if format!("{e:?}").contains("ACCESS_REFUSED")),
        "another org's feed: {other:?}"
    );
    drop((acme_broker, globex_broker));
    app.stop().await;
}
