use shared::amqp::dead_letters;
use shared::testing::{TcpProxy, eventually};
use std::sync::Arc;
use std::time::Duration;
use tests::TestApp;
use tests::probe::{self, AttemptLog, ProbeV1};

const MESSAGES: i64 = 5;

#[tokio::test(flavor = "multi_thread")]
async fn while_postgres_is_unreachable_consumers_wait_without_spending_attempts_then_handle_everything_once()
 {
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().expect("an address"))
        .await
        .expect("a proxy");
    let port = proxy.port;
    let app = TestApp::spawn_with(|env| {
        if let Some(url) = env.get_mut("DATABASE_URL") {
            *url = url.replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"));
        }
    })
    .await;
    probe::create_effects_table(&app).await;
    let log = Arc::new(AttemptLog::default());
    let (stop, handle) = probe::start(&app, log.clone()).await;

    proxy.cut();
    probe::publish_all(&app, (1..=MESSAGES).map(ProbeV1::ok).collect()).await;
    // The runtime takes every delivery prefetch allows and holds them all while it waits.
    eventually(
        "the consumer holding every delivery",
        Duration::from_secs(20),
        || async { (app.platform.health.busy() == MESSAGES as usize).then_some(()) },
    )
    .await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), 503, "not ready without PostgreSQL");
    // Held, not attempted: no handler ran, nothing went to retry or dead letters.
    assert!((1..=MESSAGES).all(|n| log.attempts(n).is_empty()));
    let letters = dead_letters::list(app.amqp_url(), app.topology(), probe::SERVICE, 10)
        .await
        .expect("dead letters listed");
    assert!(letters.is_empty());

    proxy.restore();
    eventually("every message handled", Duration::from_secs(30), || async {
        (probe::effects(&app).await.len() == MESSAGES as usize).then_some(())
    })
    .await;
    app.wait_idle().await;
    let mut effects = probe::effects(&app).await;
    effects.sort_unstable();
    assert_eq!(effects, (1..=MESSAGES).collect::<Vec<_>>(), "each once");
    assert!(
        (1..=MESSAGES).all(|n| log.attempts(n).len() == 1),
        "no attempt was spent while PostgreSQL was away"
    );
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}
