use shared::amqp::dead_letters;
use shared::testing::eventually;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::app::TEST_RETRY_DELAYS_MS;
use tests::probe::{self, AttemptLog, ProbeV1};

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_failing_transiently_twice_succeeds_on_the_third_attempt_after_the_scheduled_delays()
 {
    let app = TestApp::spawn().await;
    probe::create_effects_table(&app).await;
    let log = Arc::new(AttemptLog::default());
    let (stop, handle) = probe::start(&app, log.clone()).await;

    probe::publish_all(
        &app,
        vec![ProbeV1 {
            transient_failures: 2,
            ..ProbeV1::ok(1)
        }],
    )
    .await;
    eventually(
        "the effect of the third attempt",
        Duration::from_secs(20),
        || async { (probe::effects(&app).await == vec![1]).then_some(()) },
    )
    .await;

    let attempts = log.attempts(1);
    assert_eq!(attempts.len(), 3);
    // The broker held the message in each retry queue for at least its TTL.
    assert!(attempts[1] - attempts[0] >= Duration::from_millis(TEST_RETRY_DELAYS_MS[0]));
    assert!(attempts[2] - attempts[1] >= Duration::from_millis(TEST_RETRY_DELAYS_MS[1]));
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_that_always_fails_is_dead_lettered_after_the_last_attempt() {
    let app = TestApp::spawn().await;
    probe::create_effects_table(&app).await;
    let log = Arc::new(AttemptLog::default());
    let (stop, handle) = probe::start(&app, log.clone()).await;

    probe::publish_all(
        &app,
        vec![ProbeV1 {
            transient_failures: u32::MAX,
            ..ProbeV1::ok(2)
        }],
    )
    .await;
    let letters = eventually("the dead letter", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), probe::SERVICE, 10)
            .await
            .ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    let max_attempts = TEST_RETRY_DELAYS_MS.len() + 1;
    assert_eq!(log.attempts(2).len(), max_attempts);
    assert_eq!(letters.len(), 1);
    assert_eq!(
        letters[0].reason,
        format!(
            "gave up after {max_attempts} attempts; last error: probe 2 fails on attempt {max_attempts}"
        )
    );
    assert_eq!(letters[0].attempts, max_attempts as i64);
    assert!(probe::effects(&app).await.is_empty());
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_failure_is_dead_lettered_at_once_and_can_be_replayed() {
    let app = TestApp::spawn().await;
    probe::create_effects_table(&app).await;
    let log = Arc::new(AttemptLog::default());
    let (stop, handle) = probe::start(&app, log.clone()).await;

    probe::publish_all(
        &app,
        vec![ProbeV1 {
            permanent: true,
            ..ProbeV1::ok(3)
        }],
    )
    .await;
    let letters = eventually("the dead letter", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), probe::SERVICE, 10)
            .await
            .ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters[0].reason, "probe 3 refuses");
    assert_eq!(log.attempts(3).len(), 1, "no retry for a permanent failure");

    // Listing put the message back by closing its channel; the quorum queue requeues it
    // asynchronously, so the replay may find it only a moment later. Replayed once, it fails
    // again and is dead-lettered again: handled exactly twice (the replay does not take it
    // back while it runs).
    eventually(
        "the dead letter replayed",
        Duration::from_secs(20),
        || async {
            dead_letters::replay(app.amqp_url(), app.topology(), probe::SERVICE, 10)
                .await
                .ok()
                .filter(|replayed| *replayed == 1)
        },
    )
    .await;
    eventually(
        "the replayed message handled again",
        Duration::from_secs(20),
        || async { (log.attempts(3).len() == 2).then_some(()) },
    )
    .await;
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}
