use shared::testing::eventually;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::probe::{self, AttemptLog, ProbeV1};
use tests::steps::{self, StepLog, StepV1};

const MESSAGES: i64 = 60;

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_finishes_the_message_in_hand_and_a_restart_handles_the_rest_once() {
    // One message in hand at a time, so that the consumer is slower than the publisher and the
    // stop comes mid-way (with lanes and batches it would often finish before the stop).
    let app = TestApp::spawn_with(|env| {
        env.insert("CONSUMER_LANES".into(), "1".into());
        env.insert("CONSUMER_BATCH".into(), "1".into());
    })
    .await;
    probe::create_effects_table(&app).await;
    let log = Arc::new(AttemptLog::default());
    let (stop, handle) = probe::start(&app, log.clone()).await;
    let probes = (1..=MESSAGES)
        .map(|n| ProbeV1 {
            work_ms: 30,
            ..ProbeV1::ok(n)
        })
        .collect();
    probe::publish_all(&app, probes).await;
    eventually(
        "a few messages handled",
        Duration::from_secs(20),
        || async { (probe::effects(&app).await.len() >= 5).then_some(()) },
    )
    .await;

    // The same token SIGTERM cancels.
    stop.cancel();
    handle.await.expect("joined").expect("a clean stop");
    let after_stop = probe::effects(&app).await;
    assert!(
        after_stop.len() < MESSAGES as usize,
        "stopped before the end"
    );
    // Every attempt that began, finished: nothing was cut off mid-transaction.
    let begun: usize = (1..=MESSAGES).map(|n| log.attempts(n).len()).sum();
    assert_eq!(begun, after_stop.len());

    let (stop, handle) = probe::start(&app, log).await;
    let effects = eventually(
        "every message handled after the restart",
        Duration::from_secs(30),
        || async {
            let effects = probe::effects(&app).await;
            (effects.len() >= MESSAGES as usize).then_some(effects)
        },
    )
    .await;
    app.wait_idle().await;
    let distinct: BTreeSet<i64> = effects.iter().copied().collect();
    assert_eq!(distinct.len(), MESSAGES as usize);
    assert_eq!(
        probe::effects(&app).await.len(),
        MESSAGES as usize,
        "none applied twice"
    );
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_leaves_in_the_queue_exactly_the_messages_not_yet_handled() {
    // One key hangs on its first message, so its later ones wait unstarted while the other
    // keys' messages (published between them) are handled: those wait for the `multiple` ack
    // that would close the gap, and the stop must acknowledge them.
    const PAIRS: i64 = 20;
    let app = TestApp::spawn_with(|env| {
        env.insert("CONSUMER_LANES".into(), "4".into());
        env.insert("CONSUMER_BATCH".into(), "4".into());
    })
    .await;
    steps::create_tables(&app).await;
    steps::declare(&app, None).await;
    let envelopes: Vec<_> = (0..PAIRS)
        .flat_map(|seq| {
            let slow = StepV1 {
                hang_ms: if seq == 0 { 800 } else { 0 },
                ..StepV1::new("slow", seq)
            };
            [slow, StepV1::new(&format!("fast-{seq}"), 0)]
        })
        .map(steps::envelope)
        .collect();
    steps::publish(&app, &envelopes).await;
    let (stop, handle) = steps::start(&app, Arc::new(StepLog::default())).await;
    eventually(
        "the other keys handled",
        Duration::from_secs(20),
        || async {
            let effects = steps::effects(&app).await;
            let fast = effects.iter().filter(|(key, _, _)| key != "slow").count();
            (fast == PAIRS as usize).then_some(())
        },
    )
    .await;

    stop.cancel();
    handle.await.expect("joined").expect("a clean stop");
    let unhandled = envelopes.len() - steps::effects(&app).await.len();
    assert!(unhandled > 0, "stopped before the slow key's end");
    // The channel is closed: what it held unacknowledged is back in the queue.
    let queue = app.topology().work_queue(steps::SERVICE, steps::CONSUMER);
    let depth = eventually("the queue settled", Duration::from_secs(10), || async {
        let depth = tests::amqp::queue_depth(app.amqp_url(), &queue).await? as usize;
        (depth >= unhandled).then_some(depth)
    })
    .await;
    assert_eq!(
        depth, unhandled,
        "only the unhandled messages are left; a handled one was left unacknowledged"
    );
    app.stop().await;
}
