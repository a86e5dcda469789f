//! The benchmark: forward RECORDS (default 1000; the figure is 10,000) accounts
//! in requests of 200 with Auto-Accept on, each with CHILDREN contacts (default 0; the issue's
//! second figure is 3) sent as its related list, and print records per second (accounts, and
//! accounts plus children) until every copy exists (every sent link Active). Ignored in the
//! suite; run it alone:
//!
//!     RECORDS=10000 CHILDREN=3 cargo nextest run -p tests -E 'test(/links_forward_throughput/)' \
//!         --run-ignored only --no-capture -j 1

use crate::links_children::children_net;
use crate::links_support::forward;
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
    let children: usize = std::env::var("CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let app = TestApp::spawn().await;
    let net = children_net(&app, true).await;
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
    if children > 0 {
        let body: String = (0..n)
            .flat_map(|i| (0..children).map(move |c| (i, c)))
            .map(|(i, c)| json!({ "record_id": format!("con-{i}-{c}"), "fields": { "LastName": format!("Contact {i} {c}"), "AccountId": format!("acc-{i}") } }).to_string() + "\n")
            .collect();
        let response = app
            .http
            .post(format!("{}/v1/records/Contact/bulk", app.base_url))
            .bearer_auth(net.acme())
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .expect("bulk answered");
        assert_eq!(response.status(), 200);
    }
    let related = if children > 0 {
        json!(["Contact"])
    } else {
        json!([])
    };
    let total_records = n * (1 + children);

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
            json!({ "records": records, "connection_ids": [net.id], "related_objects": related }),
            200,
        )
        .await;
    }
    let forwarded = start.elapsed();
    let org = net.p.acme.id;
    eventually("every sent link active", Duration::from_secs(1800), || async {
        let mut conn = app.pool().get().await.ok()?;
        let done: Count = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM sharing.record_links WHERE org_id = '{org}' AND status = 'Active (sent)'"
        ))
        .get_result(&mut conn)
        .await
        .ok()?;
        (done.n as usize >= total_records).then_some(())
    })
    .await;
    let total = start.elapsed();
    println!(
        "forward {n} accounts with {children} children each ({total_records} records), Auto-Accept: requests took {:.2}s ({:.0} accounts/s); every copy and both links active after {:.2}s: {:.0} accounts/s, {:.0} records/s",
        forwarded.as_secs_f64(),
        n as f64 / forwarded.as_secs_f64(),
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        total_records as f64 / total.as_secs_f64()
    );
    app.stop().await;
}
