//! The outbox relay: one active relay per service, rows of one key published in commit order.

use diesel_async::AsyncConnection;
use lapin::options::BasicGetOptions;
use shared::amqp::{ConsumerQueues, Publisher, connect, declare_all, timed};
use shared::health::Health;
use shared::ids::OrgId;
use shared::message::{Envelope, Message};
use shared::testing::eventually;
use std::collections::BTreeMap;
use std::time::Duration;
use tests::TestApp;
use tests::probe::{self, ProbeV1};
use tokio_util::sync::CancellationToken;

const WRITERS: i64 = 4;
const ROWS_PER_WRITER: i64 = 100;
const SERVICE: &str = "relaytest";

#[tokio::test(flavor = "multi_thread")]
async fn two_relays_of_one_service_publish_each_writers_rows_once_and_in_commit_order() {
    let app = TestApp::spawn().await;
    let work = probe_queue(&app).await;
    // Two replicas' relays of the same service.
    let stop = CancellationToken::new();
    let relays: Vec<_> = (0..2)
        .map(|replica| spawn_relay(&app, SERVICE, replica, Duration::from_millis(500), &stop))
        .collect();

    // Each writer commits its rows one transaction after another, all writers at once.
    let writers = (0..WRITERS).map(|writer| {
        let pool = app.pool().clone();
        tokio::spawn(async move {
            for seq in 0..ROWS_PER_WRITER {
                let mut conn = pool.get().await.expect("a connection");
                let envelope = Envelope::new(OrgId::new(), ProbeV1::ok(writer * 1_000_000 + seq));
                conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                    shared::outbox::enqueue(conn, SERVICE, &envelope).await
                })
                .await
                .expect("a row committed");
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.expect("the writer finished");
    }

    let received = std::sync::Mutex::new(Vec::new());
    let url = app.amqp_url().to_string();
    eventually("every row published", Duration::from_secs(30), || async {
        let taken = take_all(&url, &work).await?;
        let mut received = received.lock().ok()?;
        received.extend(taken);
        (received.len() as i64 >= WRITERS * ROWS_PER_WRITER).then_some(())
    })
    .await;
    let received = received.into_inner().expect("the numbers");
    stop.cancel();
    for relay in relays {
        relay.await.expect("the relay stopped");
    }

    let mut by_writer: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for n in &received {
        by_writer
            .entry(n / 1_000_000)
            .or_default()
            .push(n % 1_000_000);
    }
    assert_eq!(
        received.len() as i64,
        WRITERS * ROWS_PER_WRITER,
        "none twice"
    );
    for (writer, seqs) in by_writer {
        let expected: Vec<i64> = (0..ROWS_PER_WRITER).collect();
        assert_eq!(seqs, expected, "writer {writer}'s rows in commit order");
    }
    app.stop().await;
}

/// Runs a relay of `service` (replica number `replica`, idle poll `poll`) until `stop`.
pub(crate) fn spawn_relay(
    app: &TestApp,
    service: &'static str,
    replica: u32,
    poll: Duration,
    stop: &CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(shared::outbox::relay(
        service,
        app.db.url.clone(),
        app.pool().clone(),
        Publisher::for_topology(app.amqp_url(), &format!("relay {replica}"), app.topology()),
        app.topology().clone(),
        poll,
        Health::default(),
        stop.clone(),
    ))
}

/// Declares the probes' work queue and answers its name.
pub(crate) async fn probe_queue(app: &TestApp) -> String {
    probe_queue_bound_to(app, vec![ProbeV1::routing_key()]).await
}

/// Declares the probes' work queue bound to `routing_keys`, as `partnernet migrate` declares a
/// consumer's (bucketed keys included), and answers its name.
pub(crate) async fn probe_queue_bound_to(app: &TestApp, routing_keys: Vec<String>) -> String {
    let queue = ConsumerQueues {
        service: probe::SERVICE.into(),
        consumer: probe::CONSUMER.into(),
        routing_keys,
        unbound_keys: Vec::new(),
    };
    declare_all(app.amqp_url(), app.topology(), &[queue])
        .await
        .expect("a queue for the probes");
    app.topology().work_queue(probe::SERVICE, probe::CONSUMER)
}

/// Takes every message waiting in `queue` and returns the probes' numbers, in queue order.
pub(crate) async fn take_all(amqp_url: &str, queue: &str) -> Option<Vec<i64>> {
    let connection = connect(amqp_url, "test reader").await.ok()?;
    let channel = timed("channel", connection.create_channel()).await.ok()?;
    let mut numbers = Vec::new();
    while let Some(message) = timed(
        "basic.get",
        channel.basic_get(queue.into(), BasicGetOptions { no_ack: true }),
    )
    .await
    .ok()?
    {
        let envelope: Envelope<ProbeV1> = serde_json::from_slice(&message.delivery.data).ok()?;
        numbers.push(envelope.payload.n);
    }
    let _ = connection.close(200, "done".into()).await;
    Some(numbers)
}
