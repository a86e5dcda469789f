//! The broker users of deploy/rabbitmq/permissions, created on the real broker. (Orgs' own
//! broker users, which RabbitMQ refuses the events exchange, are in records_broker_users.rs.)

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, ExchangeKind};
use shared::amqp::{ConfirmedChannel, PublishError, Topology, connect, timed};
use shared::testing::{amqp_url, unique_prefix};
use tests::amqp::rabbitmqctl;

const PERMISSIONS: &str = include_str!("../../deploy/rabbitmq/permissions");

/// A throw-away broker user with the permissions the file gives `role`, for `prefix` instead of
/// the deployment's `partnernet`. Deleted on drop.
struct BrokerUser {
    name: String,
    password: String,
}

impl BrokerUser {
    fn create(role: &str, prefix: &str) -> Self {
        let line = PERMISSIONS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .find(|line| line.split_whitespace().next() == Some(role))
            .unwrap_or_else(|| panic!("deploy/rabbitmq/permissions lists {role}"));
        let regexes: Vec<String> = line
            .split_whitespace()
            .skip(1)
            .map(|regex| regex.replace("partnernet", prefix))
            .collect();
        assert_eq!(regexes.len(), 3, "configure, write, read: {line}");
        let user = Self {
            name: format!("{prefix}-{role}"),
            password: uuid::Uuid::new_v4().simple().to_string(),
        };
        rabbitmqctl(&["add_user", &user.name, &user.password]);
        rabbitmqctl(&[
            "set_permissions",
            "-p",
            "/",
            &user.name,
            &regexes[0],
            &regexes[1],
            &regexes[2],
        ]);
        user
    }

    fn amqp_url(&self) -> String {
        let base = amqp_url();
        let (scheme, rest) = base.split_once("://").expect("AMQP_URL has a scheme");
        let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        format!("{scheme}://{}:{}@{host}", self.name, self.password)
    }
}

impl Drop for BrokerUser {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| rabbitmqctl(&["delete_user", &self.name]));
    }
}

/// The events exchange as the services declare it, plus the ingest exchange, each with a
/// bound queue so that an accepted message is routed. Declared by the admin (test) user.
async fn declare_exchanges(topology: &Topology) {
    let connection = connect(&amqp_url(), "test broker users setup")
        .await
        .expect("admin connection");
    let channel = timed("channel", connection.create_channel())
        .await
        .expect("channel");
    topology
        .declare_exchanges(&channel)
        .await
        .expect("events exchange declared");
    let ingest = format!("{}.ingest", topology.prefix());
    timed(
        "declaring the ingest exchange",
        channel.exchange_declare(
            ingest.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await
    .expect("ingest exchange declared");
    for exchange in [topology.events_exchange(), ingest] {
        let queue = format!("{exchange}.catch-all");
        timed(
            "declaring a queue",
            channel.queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            ),
        )
        .await
        .expect("queue declared");
        timed(
            "binding",
            channel.queue_bind(
                queue.as_str().into(),
                exchange.as_str().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await
        .expect("queue bound");
    }
    let _ = connection.close(200, "done".into()).await;
}

async fn delete_exchanges(topology: &Topology) {
    let Ok(connection) = connect(&amqp_url(), "test broker users clean-up").await else {
        return;
    };
    let Ok(channel) = timed("channel", connection.create_channel()).await else {
        return;
    };
    let ingest = format!("{}.ingest", topology.prefix());
    for exchange in [topology.events_exchange(), ingest.clone()] {
        let queue = format!("{exchange}.catch-all");
        let _ = timed(
            "deleting a queue",
            channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()),
        )
        .await;
    }
    let _ = timed(
        "deleting a queue",
        channel.queue_delete(
            topology.unrouted().as_str().into(),
            QueueDeleteOptions::default(),
        ),
    )
    .await;
    for exchange in [
        topology.changes_exchange(),
        topology.events_exchange(),
        ingest,
        topology.unrouted(),
    ] {
        let _ = timed(
            "deleting an exchange",
            channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()),
        )
        .await;
    }
    let _ = connection.close(200, "clean".into()).await;
}

/// Publishes one persistent, confirmed message as `user` to `exchange`.
async fn publish_as(user: &BrokerUser, exchange: &str) -> Result<(), PublishError> {
    let connection = connect(&user.amqp_url(), "test broker user")
        .await
        .expect("the user may connect");
    let channel = ConfirmedChannel::open(&connection)
        .await
        .expect("the user may open a channel");
    let result = channel
        .publish(
            exchange,
            "connection.invited.v1",
            br#"{"forged":true}"#,
            BasicProperties::default(),
        )
        .await;
    let _ = connection.close(200, "done".into()).await;
    result
}

#[tokio::test(flavor = "multi_thread")]
async fn the_services_broker_user_may_publish_events() {
    let prefix = unique_prefix();
    let topology = Topology::new(&prefix, shared::retry::RetrySchedule::default());
    declare_exchanges(&topology).await;
    let services = BrokerUser::create("partnernet", &prefix);

    let on_events = publish_as(&services, &topology.events_exchange()).await;

    drop(services);
    delete_exchanges(&topology).await;
    assert!(on_events.is_ok(), "{on_events:?}");
}
