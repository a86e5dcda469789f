//! What field sync's exhausted retries rely on, in the consumer runtime against real servers:
//! a handler's `Context` says which attempt it runs and whether it is the last (the retry
//! schedule's), for a consumer retrying through its retry queues and for an ordered one retrying
//! in place; hooks given to `Context::after_commit` run only for the attempt that commits.

use serde::{Deserialize, Serialize};
use shared::amqp::dead_letters;
use shared::consumer::{ConsumerSpec, Context, Handler, Handlers};
use shared::error::HandlerError;
use shared::message::{Envelope, Message};
use shared::service::ServiceParts;
use shared::testing::eventually;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tests::TestApp;
use tests::app::TEST_RETRY_DELAYS_MS;

const SERVICE: &str = "attempts";

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
struct CountedV1 {
    n: i64,
    /// Fail transiently on attempts up to this one.
    fail_until: u32,
}

impl Message for CountedV1 {
    const KIND: &'static str = "test.counted";
    const VERSION: u32 = 1;
    const DESCRIPTION: &'static str = "A message used only by tests.";

    fn order_key(&self) -> Option<String> {
        Some(format!("counted {}", self.n))
    }
}

/// A consumer's queue and a message's `n`.
type Key = (String, i64);

/// Per consumer and message: each call's (attempt, last attempt), and the attempts whose
/// after-commit hook ran.
#[derive(Default)]
struct Log {
    calls: Mutex<BTreeMap<Key, Vec<(u32, bool)>>>,
    committed: Mutex<BTreeMap<Key, Vec<u32>>>,
}

struct Counting(Arc<Log>);

impl Handler<CountedV1> for Counting {
    async fn handle(
        &self,
        ctx: &Context<'_>,
        _conn: &mut diesel_async::AsyncPgConnection,
        message: &Envelope<CountedV1>,
    ) -> Result<(), HandlerError> {
        let key = (ctx.consumer.to_string(), message.payload.n);
        self.0
            .calls
            .lock()
            .expect("log")
            .entry(key.clone())
            .or_default()
            .push((ctx.attempt, ctx.last_attempt));
        let (log, attempt) = (self.0.clone(), ctx.attempt);
        ctx.after_commit(move || {
            log.committed
                .lock()
                .expect("log")
                .entry(key)
                .or_default()
                .push(attempt);
        });
        if ctx.attempt <= message.payload.fail_until {
            return Err(HandlerError::transient(anyhow::anyhow!(
                "fails on attempt {}",
                ctx.attempt
            )));
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_exhausted_runtime_context_knows_the_last_attempt_and_hooks_follow_commits() {
    let app = TestApp::spawn().await;
    let log = Arc::new(Log::default());
    // One consumer retrying through retry queues, one ordered (retrying in place).
    let parts = ServiceParts {
        name: SERVICE,
        router: axum::Router::new(),
        consumers: vec![
            ConsumerSpec {
                service: SERVICE,
                name: "queues",
                handlers: Handlers::new().on(Counting(log.clone())),
            },
            ConsumerSpec {
                service: SERVICE,
                name: "ordered",
                handlers: Handlers::new().on_ordered(Counting(log.clone())),
            },
        ],
        workers: Vec::new(),
        publishes: false,
    };
    let (stop, handle) = app.spawn_parts(vec![parts]);
    let queues: Vec<String> = ["queues", "ordered"]
        .iter()
        .map(|name| app.topology().work_queue(SERVICE, name))
        .collect();
    eventually("both consumers", Duration::from_secs(20), || async {
        queues
            .iter()
            .all(|q| app.platform.health.is_up(&format!("consumer {q}")))
            .then_some(())
    })
    .await;

    for (n, fail_until) in [(1, 2), (2, u32::MAX)] {
        let envelope = Envelope::new(shared::ids::OrgId::new(), CountedV1 { n, fail_until });
        app.publisher
            .publish(app.topology(), &envelope)
            .await
            .expect("published");
    }
    let letters = eventually("two dead letters", Duration::from_secs(30), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), SERVICE, 10)
            .await
            .ok()?;
        (letters.len() == 2).then_some(letters)
    })
    .await;
    eventually(
        "the third attempts committed",
        Duration::from_secs(20),
        || async {
            let committed = log.committed.lock().expect("log");
            queues
                .iter()
                .all(|q| committed.get(&(q.clone(), 1)) == Some(&vec![3]))
                .then_some(())
        },
    )
    .await;

    let max = u32::try_from(TEST_RETRY_DELAYS_MS.len()).expect("few") + 1;
    let calls = log.calls.lock().expect("log").clone();
    let committed = log.committed.lock().expect("log").clone();
    for queue in &queues {
        // Resolved on the third attempt: none of them the last; only the third's hook ran.
        assert_eq!(
            calls.get(&(queue.clone(), 1)),
            Some(&vec![(1, false), (2, false), (3, false)]),
            "{queue}"
        );
        // Never: every attempt of the schedule, the last one said so; no hook ran.
        let want: Vec<(u32, bool)> = (1..=max).map(|a| (a, a == max)).collect();
        assert_eq!(calls.get(&(queue.clone(), 2)), Some(&want), "{queue}");
        assert_eq!(committed.get(&(queue.clone(), 2)), None, "{queue}");
    }
    for letter in &letters {
        assert_eq!(letter.attempts, i64::from(max));
        assert!(
            letter
                .reason
                .starts_with(&format!("gave up after {max} attempts")),
            "{}",
            letter.reason
        );
    }
    stop.cancel();
    let _ = handle.await;
    app.stop().await;
}
