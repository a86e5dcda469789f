//! Consuming processes that die: `kill -9` mid-batch, a message that crashes its process every
//! time, and two processes sharing one partitioned consumer.

use shared::testing::eventually;
use std::collections::HashSet;
use std::time::Duration;
use tests::TestApp;
use tests::steps::{self, StepV1};

const WORKER: &str = env!("CARGO_BIN_EXE_runtime-worker");

fn interleaved(keys: i64, steps_per_key: i64) -> Vec<shared::message::Envelope<StepV1>> {
    (0..steps_per_key)
        .flat_map(|seq| {
            (0..keys).map(move |key| steps::envelope(StepV1::new(&format!("key-{key}"), seq)))
        })
        .collect()
}

fn assert_once_in_order(effects: &[(String, i64, uuid::Uuid)], keys: i64, steps_per_key: i64) {
    let ids: HashSet<uuid::Uuid> = effects.iter().map(|(_, _, id)| *id).collect();
    assert_eq!(
        ids.len(),
        (keys * steps_per_key) as usize,
        "every message took effect"
    );
    assert_eq!(effects.len(), ids.len(), "no message took effect twice");
    let by_key = steps::per_key(effects);
    for key in 0..keys {
        assert_eq!(
            by_key[&format!("key-{key}")],
            (0..steps_per_key).collect::<Vec<_>>(),
            "key-{key} in queue order"
        );
    }
}

async fn effects_reach(app: &TestApp, n: usize) -> Vec<(String, i64, uuid::Uuid)> {
    eventually("effects", Duration::from_secs(90), || async {
        let effects = steps::effects(app).await;
        (effects.len() >= n).then_some(effects)
    })
    .await
}

/// The work queue has no message ready and none unacknowledged is left to a live process.
async fn drained(app: &TestApp, queues: &[String]) {
    eventually("the queues drained", Duration::from_secs(60), || async {
        for queue in queues {
            if tests::amqp::queue_depth(app.amqp_url(), queue).await? > 0 {
                return None;
            }
        }
        Some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_a_consuming_process_mid_batch_loses_and_doubles_nothing() {
    let app = TestApp::spawn().await;
    steps::create_tables(&app).await;
    steps::declare(&app, None).await;
    let (keys, per_key) = (20, 60);
    steps::publish(&app, &interleaved(keys, per_key)).await;

    let slow = [("STEP_PAUSE_MS", "20"), ("AMQP_PREFETCH", "200")];
    let mut first = steps::spawn_worker(&app, WORKER, &slow);
    let before = effects_reach(&app, 200).await.len();
    first.start_kill().expect("SIGKILL sent");
    first.wait().await.expect("the worker ended");
    let at_kill = steps::effects(&app).await.len();
    assert!(
        at_kill < (keys * per_key) as usize,
        "killed mid-way ({before}, {at_kill})"
    );

    let mut second = steps::spawn_worker(&app, WORKER, &[]);
    effects_reach(&app, (keys * per_key) as usize).await;
    drained(
        &app,
        &[app.topology().work_queue(steps::SERVICE, steps::CONSUMER)],
    )
    .await;
    second.start_kill().expect("SIGKILL sent");
    second.wait().await.expect("the worker ended");
    assert_once_in_order(&steps::effects(&app).await, keys, per_key);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_that_crashes_its_process_is_dead_lettered_at_the_delivery_limit() {
    let app = TestApp::spawn().await;
    steps::create_tables(&app).await;
    steps::declare(&app, None).await;
    let mut crash = StepV1::new("x", 1);
    crash.crash = true;
    steps::publish(&app, &[steps::envelope(crash)]).await;

    let limit = [("DELIVERY_LIMIT", "3")];
    let mut crashes = 0;
    let survivor = loop {
        let mut worker = steps::spawn_worker(&app, WORKER, &limit);
        let outcome = tokio::select! {
            status = worker.wait() => Err(status.expect("the worker waited on")),
            () = eventually("the dead letter", Duration::from_secs(30), || async {
                (!steps::dead_letters(&app).await.is_empty()).then_some(())
            }) => Ok(()),
        };
        match outcome {
            Err(status) => {
                assert!(!status.success(), "the worker crashed");
                crashes += 1;
                assert!(crashes <= 3, "crashed past the limit");
            }
            Ok(()) => break worker,
        }
    };
    assert_eq!(crashes, 3, "one crash per allowed delivery");
    let letters = steps::dead_letters(&app).await;
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].reason.contains("delivered 4 times"),
        "{}",
        letters[0].reason
    );

    // The surviving process goes on with the next message.
    steps::publish(&app, &[steps::envelope(StepV1::new("y", 1))]).await;
    effects_reach(&app, 1).await;
    let mut survivor = survivor;
    survivor.start_kill().expect("SIGKILL sent");
    survivor.wait().await.expect("the worker ended");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_consuming_one_partitioned_consumer_keep_per_key_order() {
    let app = TestApp::spawn().await;
    steps::create_tables(&app).await;
    let partitions = 4;
    steps::declare(&app, Some(partitions)).await;
    let (keys, per_key) = (20, 50);
    steps::publish(&app, &interleaved(keys, per_key)).await;

    let settings = [("STEP_PARTITIONS", "4"), ("STEP_PAUSE_MS", "10")];
    let mut first = steps::spawn_worker(&app, WORKER, &settings);
    effects_reach(&app, 1).await;
    let mut second = steps::spawn_worker(&app, WORKER, &settings);
    effects_reach(&app, 300).await;
    // The first process dies; the second takes its partitions over.
    first.start_kill().expect("SIGKILL sent");
    first.wait().await.expect("the worker ended");
    effects_reach(&app, (keys * per_key) as usize).await;
    let queues: Vec<String> = (0..partitions)
        .map(|p| {
            app.topology()
                .partition_queue(steps::SERVICE, steps::CONSUMER, p)
        })
        .collect();
    drained(&app, &queues).await;
    second.start_kill().expect("SIGKILL sent");
    second.wait().await.expect("the worker ended");

    assert_once_in_order(&steps::effects(&app).await, keys, per_key);
    assert_eq!(
        steps::writers(&app).await,
        2,
        "both processes handled messages"
    );
    app.stop().await;
}
