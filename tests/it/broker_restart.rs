//! Messages waiting for a retry survive the broker going away: the retry queues are quorum
//! queues that dead-letter back to the work queue at-least-once. Runs on a private RabbitMQ node
//! (see `tests::private_rabbit`), never on the shared one.

use shared::amqp::{ConsumerQueues, Headers, declare_all, envelope_properties};
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::testing::eventually;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::amqp::queue_depth;
use tests::private_rabbit::PrivateRabbit;
use tests::probe::{self, AttemptLog, ProbeV1};

/// Messages per queue (the work queue and each retry queue).
const PER_QUEUE: i64 = 50;
/// Long enough that every retry queue still holds its messages when the broker goes down.
const RETRY_DELAYS_MS: [u64; 3] = [15_000, 16_000, 17_000];

#[tokio::test(flavor = "multi_thread")]
async fn messages_waiting_in_retry_queues_survive_a_clean_broker_restart_and_a_kill_9_unlost_and_undoubled()
 {
    let mut rabbit = PrivateRabbit::start();
    // The deployment's broker settings are in force: an unconfirmed retry moved back to its
    // work queue right after a restart is sent again within seconds, not three minutes.
    assert_eq!(
        rabbit
            .eval("application:get_env(rabbit, dead_letter_worker_publisher_confirm_timeout).")
            .as_deref(),
        Some("{ok,10000}"),
        "deploy/rabbitmq/advanced.config in force"
    );
    let url = rabbit.amqp_url();
    let app = TestApp::spawn_with(|env| {
        env.insert("AMQP_URL".into(), url);
        env.insert("RETRY_INITIAL_MS".into(), RETRY_DELAYS_MS[0].to_string());
        env.insert("RETRY_MULTIPLIER".into(), "1.0667".into());
        env.insert("RETRY_COUNT".into(), RETRY_DELAYS_MS.len().to_string());
    })
    .await;
    probe::create_effects_table(&app).await;
    let probe_queues = ConsumerQueues {
        service: probe::SERVICE.into(),
        consumer: probe::CONSUMER.into(),
        routing_keys: vec![<ProbeV1 as shared::message::Message>::routing_key()],
        unbound_keys: Vec::new(),
    };
    declare_all(app.amqp_url(), app.topology(), &[probe_queues])
        .await
        .expect("the probe's queues declared");
    let work = app.topology().work_queue(probe::SERVICE, probe::CONSUMER);
    let retry_queues = app.topology().retry_queues(&work);
    assert_eq!(retry_queues.len(), RETRY_DELAYS_MS.len());

    let mut next = 0;
    for (round, stop_broker) in [
        (
            "clean restart",
            PrivateRabbit::restart as fn(&mut PrivateRabbit),
        ),
        ("kill -9", PrivateRabbit::kill_and_restart),
    ] {
        let first = next + 1;
        next = fill_every_queue(&app, &work, &retry_queues, next).await;
        // A quorum queue's messages written within ~3 s of a kill can be lost by RabbitMQ 3.10
        // even though confirmed; wait until every queue shows its messages, then a little more.
        for queue in std::iter::once(&work).chain(&retry_queues) {
            let depth = eventually("messages in the queue", Duration::from_secs(40), || async {
                queue_depth(app.amqp_url(), queue)
                    .await
                    .filter(|d| *d as i64 >= PER_QUEUE)
            })
            .await;
            assert_eq!(
                depth as i64, PER_QUEUE,
                "{round}: {queue} holds its messages"
            );
        }
        tokio::time::sleep(Duration::from_secs(4)).await; // the broker's 3 s hazard, not sync
        stop_broker(&mut rabbit);

        let log = Arc::new(AttemptLog::default());
        let (stop, handle) = probe::start(&app, log).await;
        let all_handled = wait_until_handled(&app, first, next, Duration::from_secs(150)).await;
        if all_handled {
            app.wait_idle().await;
        }
        let counts = effect_counts(&app, first, next).await;
        let lost: Vec<i64> = (first..=next).filter(|n| !counts.contains_key(n)).collect();
        let doubled = counts.values().filter(|c| **c > 1).count();
        println!("{round}: lost {}, doubled {doubled}", lost.len());
        if !lost.is_empty() || doubled > 0 {
            // Where the missing ones are (still queued, dead-lettered), for the reader of a failure.
            let dead_letters = app.topology().dead_letter_queue(probe::SERVICE);
            let mut depths = Vec::new();
            for queue in std::iter::once(&work)
                .chain(&retry_queues)
                .chain(std::iter::once(&dead_letters))
            {
                depths.push(format!(
                    "{queue}: {:?}",
                    queue_depth(app.amqp_url(), queue).await
                ));
            }
            panic!("{round}: lost {lost:?}, doubled {doubled}; queue depths now {depths:?}");
        }
        stop.cancel();
        let _ = handle.await;
    }
    app.stop().await;
}

/// Waits until every probe of `first..=last` has an effect, or the deadline passes.
async fn wait_until_handled(app: &TestApp, first: i64, last: i64, deadline: Duration) -> bool {
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if effect_counts(app, first, last).await.len() as i64 == last - first + 1 {
            return true;
        }
        if tokio::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Puts `PER_QUEUE` new probes in the work queue and in each retry queue (as the runtime does
/// after a transient failure). Returns the highest probe number used.
async fn fill_every_queue(app: &TestApp, work: &str, retry_queues: &[String], from: i64) -> i64 {
    let mut n = from;
    for (index, queue) in std::iter::once(work)
        .chain(retry_queues.iter().map(String::as_str))
        .enumerate()
    {
        for _ in 0..PER_QUEUE {
            n += 1;
            let envelope = Envelope::new(OrgId::new(), ProbeV1::ok(n));
            let body = serde_json::to_vec(&envelope).expect("a body");
            let headers = Headers::default().int("x-attempt", index as i64 + 1);
            let properties =
                envelope_properties(&envelope.head(), "test").with_headers(headers.into_table());
            app.publisher
                .publish_raw("", queue, &body, properties)
                .await
                .expect("published and confirmed");
        }
    }
    n
}

/// How many effect rows each probe number in `first..=last` has.
async fn effect_counts(app: &TestApp, first: i64, last: i64) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for n in probe::effects(app).await {
        if (first..=last).contains(&n) {
            *counts.entry(n).or_default() += 1;
        }
    }
    counts
}
