//! Ordered lanes: messages with the same key take effect in queue order, once, while keys run
//! concurrently, through transient failures and duplicate deliveries; a key stuck on a lock holds
//! only itself.

use diesel_async::SimpleAsyncConnection;
use shared::testing::eventually;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::steps::{self, StepLog, StepV1};

const KEYS: i64 = 25;
const STEPS: i64 = 16;

/// A fixed pseudo-random sequence (no seed to chase when a run fails).
fn dice(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

#[tokio::test(flavor = "multi_thread")]
async fn each_key_takes_effect_once_in_queue_order_through_failures_and_duplicates() {
    let app = TestApp::spawn().await;
    steps::create_tables(&app).await;
    steps::declare(&app, None).await;

    // Interleaved keys; about one message in five fails transiently once or twice; about one
    // in eight is published twice (the second copy later, as a redelivery would come).
    let mut state = 7;
    let mut envelopes = Vec::new();
    let mut again = Vec::new();
    for seq in 0..STEPS {
        for key in 0..KEYS {
            let mut step = StepV1::new(&format!("key-{key}"), seq);
            if dice(&mut state).is_multiple_of(5) {
                step.transient_failures = 1 + (dice(&mut state) % 2) as u32;
            }
            let envelope = steps::envelope(step);
            if dice(&mut state).is_multiple_of(8) {
                again.push(envelope.clone());
            }
            envelopes.push(envelope);
        }
        envelopes.append(&mut again);
    }
    steps::publish(&app, &envelopes).await;
    // Started after publishing: the backlog runs on every lane, in batches.
    let log = Arc::new(StepLog::default());
    let (stop, handle) = steps::start(&app, log).await;

    let total = (KEYS * STEPS) as usize;
    let effects = eventually("every step handled", Duration::from_secs(60), || async {
        let effects = steps::effects(&app).await;
        (effects.len() >= total).then_some(effects)
    })
    .await;
    eventually("the consumer idle", Duration::from_secs(30), || async {
        (app.platform.health.busy() == 0).then_some(())
    })
    .await;
    let effects_after = steps::effects(&app).await;
    assert_eq!(effects_after.len(), effects.len(), "nothing more came");

    let ids: HashSet<uuid::Uuid> = effects_after.iter().map(|(_, _, id)| *id).collect();
    assert_eq!(ids.len(), total, "every message had its effect once");
    assert_eq!(effects_after.len(), total, "no effect twice");
    let by_key = steps::per_key(&effects_after);
    for key in 0..KEYS {
        assert_eq!(
            by_key[&format!("key-{key}")],
            (0..STEPS).collect::<Vec<_>>(),
            "key-{key} in queue order"
        );
    }
    assert!(steps::dead_letters(&app).await.is_empty());
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}

/// One transaction per consumer runs on a steady flow (see `shared/src/consumer/lanes.rs`), but a
/// batch stuck on a row lock must not hold other keys: the next lane starts beside it.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_stuck_on_a_row_lock_holds_only_itself() {
    // Lock waits of ten minutes: only another lane can let the other keys through meanwhile.
    let app = TestApp::spawn_with(|env| {
        for name in [
            "DB_LOCK_TIMEOUT_MS",
            "DB_STATEMENT_TIMEOUT_MS",
            "HANDLER_TIMEOUT_MS",
        ] {
            env.insert(name.into(), "600000".into());
        }
    })
    .await;
    steps::create_tables(&app).await;
    let log = Arc::new(StepLog::default());
    let (stop, handle) = steps::start(&app, log.clone()).await;

    let mut locker = steps::hold_step_lock(&app).await;
    let stuck_id = steps::publish_lock_step(&app, &log, "stuck", 0).await;

    // The stuck key's next step, then other keys, several rounds.
    let mut others = Vec::new();
    for seq in 0..3 {
        for key in 0..KEYS {
            others.push(steps::envelope(StepV1::new(&format!("key-{key}"), seq)));
        }
    }
    steps::publish(&app, &[steps::envelope(StepV1::new("stuck", 1))]).await;
    steps::publish(&app, &others).await;
    let effects = eventually(
        "every other key handled while the lock is held",
        Duration::from_secs(60),
        || async {
            let effects = steps::effects(&app).await;
            (effects.len() >= others.len()).then_some(effects)
        },
    )
    .await;
    assert!(
        effects.iter().all(|(key, _, _)| key != "stuck"),
        "the stuck key waits, its next step behind it: {effects:?}"
    );
    assert_eq!(log.tries(stuck_id), 1, "still in its first try");

    locker.batch_execute("COMMIT").await.expect("lock released");
    let effects = eventually("the stuck key handled", Duration::from_secs(30), || async {
        let effects = steps::effects(&app).await;
        (effects.len() == others.len() + 2).then_some(effects)
    })
    .await;
    let by_key = steps::per_key(&effects);
    assert_eq!(by_key["stuck"], vec![0, 1], "the stuck key in queue order");
    for key in 0..KEYS {
        assert_eq!(by_key[&format!("key-{key}")], vec![0, 1, 2]);
    }
    assert!(steps::dead_letters(&app).await.is_empty());
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}
