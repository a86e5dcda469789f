//! Batches: one transaction for what is delivered together; a poison message in it goes alone
//! to the dead letters while the rest commits.

use shared::testing::eventually;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::steps::{self, StepLog, StepV1};

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_message_in_a_batch_is_dead_lettered_alone_while_the_rest_commits() {
    // A linger lets the whole burst gather into one batch, on one lane.
    let app = TestApp::spawn_with(|env| {
        env.insert("CONSUMER_LINGER_MS".into(), "300".into());
        env.insert("CONSUMER_LANES".into(), "1".into());
    })
    .await;
    steps::create_tables(&app).await;
    steps::declare(&app, None).await;
    let envelopes: Vec<_> = (0..10)
        .map(|seq| {
            let mut step = StepV1::new(&format!("key-{seq}"), seq);
            step.poison = seq == 4;
            steps::envelope(step)
        })
        .collect();
    steps::publish(&app, &envelopes).await;
    let log = Arc::new(StepLog::default());
    let (stop, handle) = steps::start(&app, log.clone()).await;

    let effects = eventually(
        "the good steps handled",
        Duration::from_secs(30),
        || async {
            let effects = steps::effects(&app).await;
            (effects.len() >= 9).then_some(effects)
        },
    )
    .await;
    let letters = eventually(
        "the poison dead-lettered",
        Duration::from_secs(30),
        || async {
            let letters = steps::dead_letters(&app).await;
            (!letters.is_empty()).then_some(letters)
        },
    )
    .await;
    eventually("the consumer idle", Duration::from_secs(30), || async {
        (app.platform.health.busy() == 0).then_some(())
    })
    .await;

    let mut seqs: Vec<i64> = effects.iter().map(|(_, seq, _)| *seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, vec![0, 1, 2, 3, 5, 6, 7, 8, 9]);
    assert_eq!(steps::effects(&app).await.len(), 9, "none twice");
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].reason.contains("step 4 is poison"),
        "{}",
        letters[0].reason
    );
    assert!(
        letters[0]
            .body
            .contains(&envelopes[4].message_id.to_string())
    );
    let first = &log.batches()[0];
    assert!(
        first.len() > 1 && first.contains(&4),
        "the poison came in a batch with others: {first:?}"
    );
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}
