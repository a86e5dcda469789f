//! Field sync's metrics on the sync service's /metrics, against real servers: after a few
//! partner updates (some applied, the echoes back superseded, one retried once then resolved),
//! `partnernet_sync_updates_total{outcome}` counts what the ledger says, and
//! `partnernet_sync_lag_seconds` has a sample per applied or resolved update.

use crate::field_sync_support::{entry_where, lock_copy, three_attempts};
use crate::field_sync_support::{linked, patch, settled};
use diesel_async::SimpleAsyncConnection;
use serde_json::json;
use shared::testing::eventually;
use std::collections::BTreeMap;
use std::time::Duration;
use tests::TestApp;

/// The value of the sample `series` (name and labels, as rendered) in the metrics text; 0 if
/// absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter_map(|line| line.strip_prefix(series))
        .filter_map(|rest| rest.trim().parse::<f64>().ok())
        .next()
        .unwrap_or(0.0)
}

/// The ledger's rows by state (every update of this test's database).
async fn ledger_states(app: &TestApp) -> BTreeMap<String, (i64, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        attempts: i64,
    }
    let mut conn = app.pool().get().await.expect("a connection");
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT state, count(*) AS rows, sum(attempts)::bigint AS attempts \
             FROM sync.ledger GROUP BY state",
        ),
        &mut conn,
    )
    .await
    .expect("the ledger");
    rows.into_iter()
        .map(|r| (r.state, (r.rows, r.attempts)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_metrics_count_outcomes_and_lag() {
    let app = three_attempts().await;
    let l = linked(&app).await;
    let n = &l.n;
    for name in ["One", "Two", "Three"] {
        patch(&app, n.acme(), "Account", "acc-1", json!({ "Name": name })).await;
    }
    settled(&app, n.acme(), &format!("connection_id={}", n.id), 3).await;
    // One more, failing once on the copy's lock, then resolved.
    let mut locker = lock_copy(&app, &l.copy).await;
    patch(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Four" }),
    )
    .await;
    entry_where(&app, &l, "a failed attempt", |e| e["state"] == "Retrying").await;
    locker
        .batch_execute("ROLLBACK")
        .await
        .expect("lock released");
    entry_where(&app, &l, "the entry Resolved", |e| e["state"] == "Resolved").await;
    app.wait_idle().await;

    let states = ledger_states(&app).await;
    let rows = |state: &str| states.get(state).map_or(0, |s| s.0) as f64;
    assert_eq!(rows("Resolved"), 1.0, "{states:?}");
    assert!(rows("Applied") >= 1.0, "{states:?}");
    // Each failed attempt of the resolved update was counted as retrying.
    let retried = states.get("Resolved").map_or(0, |s| s.1 - 1) as f64;
    assert!(retried >= 1.0);
    let want = [
        ("applied", rows("Applied")),
        ("resolved", 1.0),
        ("superseded", rows("Superseded")),
        ("failed", 0.0),
        ("retrying", retried),
    ];
    let metrics = eventually(
        "the counts on /metrics",
        Duration::from_secs(10),
        || async {
            let text = app.get("/metrics", None).await.text().await.ok()?;
            want.iter()
                .all(|(outcome, n)| {
                    sample(
                        &text,
                        &format!("partnernet_sync_updates_total{{outcome=\"{outcome}\"}}"),
                    ) == *n
                })
                .then_some(text)
        },
    )
    .await;
    // One lag sample per update applied to a copy, in the histogram's buckets.
    let applied = rows("Applied") + 1.0;
    assert_eq!(
        sample(&metrics, "partnernet_sync_lag_seconds_count"),
        applied,
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "partnernet_sync_lag_seconds_bucket{le=\"+Inf\"}"),
        applied,
        "{metrics}"
    );
    let sum = sample(&metrics, "partnernet_sync_lag_seconds_sum");
    assert!(sum > 0.0);
    // A figure, not an assertion: the mean lag on this machine (the resolved update's includes
    // its failed attempts and retry delay).
    println!(
        "partnernet_sync_lag_seconds: {applied} samples, mean {:.3} s",
        sum / applied
    );
    app.stop().await;
}
