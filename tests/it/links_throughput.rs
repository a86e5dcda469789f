//! A first measure of the slice (the benchmark, 10,000 records with children, is still
//! to come): forward RECORDS (default 1000) accounts in requests of 200 with Auto-Accept on
//! and print records per second until every copy exists. Ignored in the suite; run it alone:
//!
//!     RECORDS=1000 cargo nextest run -p tests -E 'test(/links_forward_throughput/)' \
//!         --run-ignored only --no-capture -j 1

use crate::links_support::{forward, net};
use diesel_async::RunQueryDsl;
use serde_json::json;
use shared::testing::eventually;
use std::time::{Duration, Instant};
use tests::TestApp;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run it alone with --run-ignored only"]
async fn links_forward_throughput() {
    let n: usize = std::env::var("RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let app = TestApp::spawn().await;
    let net = net(&app, true).await;
    let body: String = (0..n)
        .map(|i| json!({ "record_id": format!("acc-{i}"), "fields": { "Name": format!("Account {i}"), "Rating": "Hot" } }).to_string() + "\n")
        .collect();
    let response = app
        .http
        .post(format!("{}/v1/records/Account/bulk", app.base_url))
        .bearer_auth(net.acme())
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("bulk answered");
    assert_eq!(response.status(), 200);

    let start = Instant::now();
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(200) {
        let records: Vec<_> = chunk
            .iter()
            .map(|i| json!({ "object": "Account", "record_id": format!("acc-{i}") }))
            .collect();
        forward(
            &app,
            net.acme(),
            json!({ "records": records, "connection_ids": [net.id] }),
            200,
        )
        .await;
    }
    let forwarded = start.elapsed();
    let org = net.p.acme.id;
    eventually("every sent link active", Duration::from_secs(600), || async {
        let mut conn = app.pool().get().await.ok()?;
        let done: Count = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM sharing.record_links WHERE org_id = '{org}' AND status = 'Active (sent)'"
        ))
        .get_result(&mut conn)
        .await
        .ok()?;
        (done.n as usize >= n).then_some(())
    })
    .await;
    let total = start.elapsed();
    println!(
        "forward {n} accounts, Auto-Accept: requests took {:.2}s ({:.0} records/s); every copy and both links active after {:.2}s: {:.0} records/s",
        forwarded.as_secs_f64(),
        n as f64 / forwarded.as_secs_f64(),
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64()
    );
    app.stop().await;
}
