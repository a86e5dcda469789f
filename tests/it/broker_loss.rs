use shared::testing::eventually;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::amqp::ChaosVhost;
use tests::probe::{self, AttemptLog, ProbeV1};

const MESSAGES: i64 = 300;
const PREFETCH: u32 = 10;

#[tokio::test(flavor = "multi_thread")]
async fn consumers_come_back_with_their_prefetch_when_the_broker_closes_every_connection_and_nothing_is_lost_or_doubled()
 {
    let vhost = ChaosVhost::ensure();
    let url = vhost.amqp_url.clone();
    let app = TestApp::spawn_with(|env| {
        env.insert("AMQP_URL".into(), url);
        env.insert("AMQP_PREFETCH".into(), PREFETCH.to_string());
    })
    .await;
    probe::create_effects_table(&app).await;
    let log = Arc::new(AttemptLog::default());
    let (stop, handle) = probe::start(&app, log).await;

    let publishing = async {
        let probes = (1..=MESSAGES)
            .map(|n| ProbeV1 {
                work_ms: 2,
                ..ProbeV1::ok(n)
            })
            .collect();
        probe::publish_all(&app, probes).await;
    };
    let chaos = async {
        eventually("some messages handled", Duration::from_secs(30), || async {
            (probe::effects(&app).await.len() >= 50).then_some(())
        })
        .await;
        vhost.close_all_connections().await;
    };
    tokio::join!(publishing, chaos);

    let effects = eventually("every message handled", Duration::from_secs(60), || async {
        let effects = probe::effects(&app).await;
        let distinct: BTreeSet<i64> = effects.iter().copied().collect();
        (distinct.len() == MESSAGES as usize).then_some(effects)
    })
    .await;
    app.wait_idle().await;
    assert_eq!(probe::effects(&app).await.len(), effects.len());
    assert_eq!(effects.len(), MESSAGES as usize, "no message applied twice");

    let work_queues = [
        app.topology().work_queue(probe::SERVICE, probe::CONSUMER),
        app.topology().work_queue("notification", "emails"),
        app.topology().work_queue("invitation", "history"),
    ];
    eventually(
        "every consumer back with its prefetch",
        Duration::from_secs(30),
        || async {
            let consumers = vhost.consumers();
            work_queues
                .iter()
                .all(|q| {
                    consumers
                        .iter()
                        .any(|(queue, prefetch)| queue == q && *prefetch == PREFETCH)
                })
                .then_some(())
        },
    )
    .await;
    app.wait_ready().await;

    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}
