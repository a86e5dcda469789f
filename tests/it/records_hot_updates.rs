//! A record's change and a ledger row's move rewrite no index entry (HOT updates): the indexes
//! of `sync.records` and `sync.ledger` cover only columns no write changes, and their pages keep
//! room for the next version (migrations 022501 and 022502; `docs/architecture.md`, "Rewritten
//! in place").

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;
use serde_json::json;
use std::time::{Duration, Instant};
use tests::TestApp;

#[derive(QueryableByName)]
struct Indexed {
    #[diesel(sql_type = Text)]
    index: String,
    /// The index's columns, or None where it indexes an expression or has a predicate.
    #[diesel(sql_type = Nullable<Text>)]
    columns: Option<String>,
}

#[derive(QueryableByName)]
struct Options {
    #[diesel(sql_type = Nullable<Text>)]
    options: Option<String>,
}

#[derive(QueryableByName)]
struct Updates {
    #[diesel(sql_type = BigInt)]
    updated: i64,
    #[diesel(sql_type = BigInt)]
    hot: i64,
}

/// Each index of `table` and its columns, comma-separated.
async fn indexes(conn: &mut diesel_async::AsyncPgConnection, table: &str) -> Vec<Indexed> {
    diesel::sql_query(
        "SELECT i.indexrelid::regclass::text AS index, \
                CASE WHEN i.indexprs IS NULL AND i.indpred IS NULL THEN \
                    (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a \
                     WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) END AS columns \
         FROM pg_index i WHERE i.indrelid = $1::regclass",
    )
    .bind::<Text, _>(table)
    .load(conn)
    .await
    .expect("the indexes")
}

async fn options(conn: &mut diesel_async::AsyncPgConnection, table: &str) -> String {
    let row: Options = diesel::sql_query(
        "SELECT array_to_string(reloptions, ',') AS options FROM pg_class WHERE oid = $1::regclass",
    )
    .bind::<Text, _>(table)
    .get_result(conn)
    .await
    .expect("the table's options");
    row.options.unwrap_or_default()
}

fn assert_only(table: &str, found: &[Indexed], unchanging: &[&str]) {
    for index in found {
        let columns = index.columns.as_deref().unwrap_or_else(|| {
            panic!("{table}: {} indexes an expression or a subset", index.index)
        });
        for column in columns.split(',') {
            assert!(
                unchanging.contains(&column),
                "{table}: {} indexes {column}, which a write changes: no update of the table \
                 could be HOT",
                index.index
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn record_and_ledger_writes_change_no_indexed_column() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool().get().await.expect("a connection");

    let records = indexes(&mut conn, "sync.records").await;
    assert_only("sync.records", &records, &["org_id", "object", "record_id"]);
    assert_eq!(options(&mut conn, "sync.records").await, "fillfactor=90");
    // Written once at insert: the keys, the parties and the paging order.
    let ledger = indexes(&mut conn, "sync.ledger").await;
    assert_only(
        "sync.ledger",
        &ledger,
        &[
            "update_id",
            "seq",
            "connection_id",
            "sender_org_id",
            "receiver_org_id",
        ],
    );
    assert_eq!(options(&mut conn, "sync.ledger").await, "fillfactor=50");

    // The outcome: one record changed 40 times over HTTP, each change its own transaction.
    let acme = app.create_org("Acme Corp").await;
    let url = format!("{}/v1/records/Account/A-1", app.base_url);
    let created = app
        .http
        .put(&url)
        .bearer_auth(&acme.key)
        .json(&json!({"fields": {"Name": "Acme 0"}}))
        .send()
        .await
        .expect("answered");
    assert!(created.status().is_success(), "{}", created.status());
    const CHANGES: i64 = 40;
    for n in 1..=CHANGES {
        let changed = app
            .http
            .patch(&url)
            .bearer_auth(&acme.key)
            .json(&json!({"fields": {"Name": format!("Acme {n}")}}))
            .send()
            .await
            .expect("answered");
        assert_eq!(changed.status().as_u16(), 200, "change {n}");
    }
    // A backend reports its counts to the statistics within ~10 s of going idle.
    let deadline = Instant::now() + Duration::from_secs(30);
    let counted = loop {
        let counted: Updates = diesel::sql_query(
            "SELECT n_tup_upd AS updated, n_tup_hot_upd AS hot FROM pg_stat_user_tables \
             WHERE relid = 'sync.records'::regclass",
        )
        .get_result(&mut conn)
        .await
        .expect("the table's counts");
        if counted.updated >= CHANGES {
            break counted;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {CHANGES} updates counted after 30 s",
            counted.updated
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Every one is HOT while the page has room; a page pruned late may take a few elsewhere.
    assert!(
        counted.hot * 4 >= counted.updated * 3,
        "{} of {} updates of the record were HOT",
        counted.hot,
        counted.updated
    );
}
