//! Helpers of the upgrade tests of retired bindings: a work queue bound as an older version
//! bound it, and the bindings it has now (read with `rabbitmqctl`).

use lapin::options::QueueBindOptions;
use lapin::types::FieldTable;
use tests::TestApp;
use tests::amqp::rabbitmqctl;

/// The routing keys binding `queue` to the app's events exchange, sorted.
pub fn bindings_from_events(app: &TestApp, queue: &str) -> Vec<String> {
    let events = app.topology().events_exchange();
    let mut keys: Vec<String> = rabbitmqctl(&[
        "list_bindings",
        "-q",
        "--no-table-headers",
        "source_name",
        "destination_name",
        "routing_key",
    ])
    .lines()
    .filter_map(|line| {
        let mut columns = line.split('\t');
        let (source, destination) = (columns.next()?, columns.next()?);
        (source == events && destination == queue).then(|| columns.next().unwrap_or("").into())
    })
    .collect();
    keys.sort();
    keys
}

/// Binds `queue` to the events exchange with `key`, as an older version did, on a connection
/// of its own (returned, to declare the consumer on again and close at the end).
pub async fn bind_as_an_older_version(
    app: &TestApp,
    queue: &str,
    key: &str,
) -> (lapin::Connection, lapin::Channel) {
    let connection = shared::amqp::connect(app.amqp_url(), "test: an older version")
        .await
        .expect("connected");
    let channel = connection.create_channel().await.expect("a channel");
    channel
        .queue_bind(
            queue.into(),
            app.topology().events_exchange().as_str().into(),
            key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("bound");
    (connection, channel)
}
