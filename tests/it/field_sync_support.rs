//! Helpers of the field sync tests: Acme's Account acc-1 forwarded to Globex and accepted
//! automatically, Globex publishing Account back and Acme subscribed to it (so updates flow
//! both ways), record changes over HTTP, the ledger, and waits on them (each with a deadline);
//! a shortened retry schedule and a held row lock, for failures that outlast it.

use crate::connections_support::{Pair, invite};
use crate::links_support::{
    Net, forward_one, get_record, link_with_status, net, publish, record, subscribe,
};
use crate::sharing_support::{call, visible};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::{TestApp, TestOrg};

pub struct Linked {
    pub n: Net,
    /// Globex's copy of Acme's `acc-1`.
    pub copy: String,
}

/// Acme's acc-1 linked to Globex's copy, with subscriptions both ways: Globex takes Name and
/// Rating (`Hot` arrives as `Warm`); Acme takes Globex's Name and Rating (`Warm` as `Hot`).
pub async fn linked(app: &TestApp) -> Linked {
    let n = net(app, true).await;
    publish(app, n.globex(), &n.id, "Account", json!(["Name", "Rating"])).await;
    subscribe(
        app,
        n.acme(),
        &n.id,
        "Account",
        json!({
            "auto_accept": false,
            "fields": { "Name": "Name", "Rating": "Rating" },
            "picklist_values": { "Rating": { "Warm": "Hot" } },
        }),
    )
    .await;
    record(
        app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode", "Rating": "Cold" }),
    )
    .await;
    forward_one(app, n.acme(), &n.id, "Account", "acc-1").await;
    let sent = link_with_status(app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let copy = sent["partner_record_id"]
        .as_str()
        .expect("the copy's id")
        .to_string();
    link_with_status(app, n.globex(), "Account", &copy, "Active (received)").await;
    Linked { n, copy }
}

/// Changes fields of a record over HTTP (PATCH), expecting 200.
pub async fn patch(app: &TestApp, key: &str, object: &str, id: &str, fields: Value) -> Value {
    call(
        app,
        Method::PATCH,
        &format!("/v1/records/{object}/{id}"),
        key,
        Some(json!({ "fields": fields })),
        200,
    )
    .await
}

/// Waits until the record satisfies `ok`, and returns it.
pub async fn record_where(
    app: &TestApp,
    key: &str,
    object: &str,
    id: &str,
    what: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    eventually(what, Duration::from_secs(20), || async {
        let (status, body) = get_record(app, key, object, id).await;
        (status == 200 && ok(&body)).then_some(body)
    })
    .await
}

/// `GET /v1/sync/ledger?{query}` as the org, expecting `status`.
pub async fn ledger(app: &TestApp, key: &str, query: &str, status: u16) -> Value {
    call(
        app,
        Method::GET,
        &format!("/v1/sync/ledger?{query}"),
        key,
        None,
        status,
    )
    .await
}

/// The org's ledger entries for `query` (one page of up to 500).
pub async fn entries(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    ledger(app, key, &format!("{query}&limit=500"), 200).await["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits until no ledger entry of the org for `query` is Queued, and returns them all.
pub async fn settled(app: &TestApp, key: &str, query: &str, at_least: usize) -> Vec<Value> {
    eventually("the ledger to settle", Duration::from_secs(20), || async {
        let all = entries(app, key, query).await;
        (all.len() >= at_least && all.iter().all(|e| e["state"] != "Queued")).then_some(all)
    })
    .await
}

/// Sets the org's subscription to `object` on the connection to take deletes or not, and
/// returns the subscription as the route answers it.
pub async fn sync_deletes(app: &TestApp, key: &str, id: &str, object: &str, on: bool) -> Value {
    call(
        app,
        Method::PUT,
        &format!("/v1/connections/{id}/subscriptions/{object}"),
        key,
        Some(json!({ "sync_deletes": on })),
        200,
    )
    .await
}

/// Deletes a record over HTTP, expecting 204.
pub async fn delete(app: &TestApp, key: &str, object: &str, id: &str) {
    call(
        app,
        Method::DELETE,
        &format!("/v1/records/{object}/{id}"),
        key,
        None,
        204,
    )
    .await;
}

/// Waits until the record is gone (404), e.g. deleted by a partner's tombstone.
pub async fn gone(app: &TestApp, key: &str, object: &str, id: &str) {
    eventually("the record deleted", Duration::from_secs(20), || async {
        let (status, _) = get_record(app, key, object, id).await;
        (status == 404).then_some(())
    })
    .await
}

/// Waits until the org's ledger has at least `at_least` settled entries of `kind` (`update`,
/// `delete`, `touch`) for `query`, and returns them.
pub async fn settled_kind(
    app: &TestApp,
    key: &str,
    query: &str,
    kind: &str,
    at_least: usize,
) -> Vec<Value> {
    eventually(
        &format!("{kind} entries settled"),
        Duration::from_secs(20),
        || async {
            let all: Vec<Value> = entries(app, key, query)
                .await
                .into_iter()
                .filter(|e| e["kind"] == kind)
                .collect();
            (all.len() >= at_least && all.iter().all(|e| e["state"] != "Queued")).then_some(all)
        },
    )
    .await
}

/// A connection from `from` to `to` (invited at `email`), accepted and visible to both.
pub async fn connect(
    app: &TestApp,
    from: (&TestOrg, uuid::Uuid),
    to: (&TestOrg, uuid::Uuid),
    email: &str,
) -> String {
    let pair = Pair {
        acme: from.0.clone(),
        acme_owner: from.1,
        globex: to.0.clone(),
        globex_owner: to.1,
    };
    let (id, token) = invite(app, &pair, email).await;
    let claim = app
        .post(
            "/v1/invitations/claim",
            Some(&to.0.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(claim.status(), 200);
    let accept = app
        .post(
            &format!("/v1/connections/{id}/accept"),
            Some(&to.0.key),
            &json!({ "owner_user_id": to.1 }),
        )
        .await;
    assert_eq!(accept.status(), 200);
    visible(app, &from.0.key, &id).await;
    visible(app, &to.0.key, &id).await;
    id
}

// Failures that outlast the retry schedule (the field_sync_exhausted* tests).

/// Three attempts: retries after 500 ms and 3 s; a lock waited on for 500 ms at most.
pub async fn three_attempts() -> TestApp {
    TestApp::spawn_with(|env| {
        for (name, value) in THREE_ATTEMPTS {
            env.insert(name.into(), value.into());
        }
    })
    .await
}

/// The settings of [`three_attempts`], for a second worker to run with.
pub const THREE_ATTEMPTS: [(&str, &str); 4] = [
    ("DB_LOCK_TIMEOUT_MS", "500"),
    ("RETRY_INITIAL_MS", "500"),
    ("RETRY_MULTIPLIER", "6"),
    ("RETRY_COUNT", "2"),
];

/// A connection holding the copy's row lock (in an open transaction) until it is dropped or
/// rolled back.
pub async fn lock_copy(app: &TestApp, copy: &str) -> shared::db::DbConn {
    let mut locker = app.pool().get().await.expect("a second connection");
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM sync.records \
             WHERE object = 'Account' AND record_id = '{copy}' FOR UPDATE"
        ))
        .await
        .expect("the copy locked");
    locker
}

pub async fn release(locker: &mut AsyncPgConnection) {
    locker
        .batch_execute("ROLLBACK")
        .await
        .expect("lock released");
}

/// Globex's ledger entry for the connection once `ok` holds for it.
pub async fn entry_where(
    app: &TestApp,
    l: &Linked,
    what: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let query = format!("connection_id={}", l.n.id);
    eventually(what, Duration::from_secs(30), || async {
        entries(app, l.n.globex(), &query)
            .await
            .into_iter()
            .find(|e| ok(e))
    })
    .await
}

/// The owner's digest items wait for the connection, and their attempts.
pub async fn digest_items(app: &TestApp, connection: &str) -> Vec<i32> {
    #[derive(diesel::QueryableByName)]
    struct Item {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        attempts: i32,
    }
    let mut conn = app.pool().get().await.expect("a connection");
    let items: Vec<Item> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT attempts FROM notification.digest_items WHERE connection_id = $1::uuid",
        )
        .bind::<diesel::sql_types::Text, _>(connection),
        &mut conn,
    )
    .await
    .expect("the digest items");
    items.into_iter().map(|i| i.attempts).collect()
}

/// Consumers of the sync service's field update queue, every process's.
pub async fn consumers(app: &TestApp) -> Option<u32> {
    tests::amqp::consumer_count(
        app.amqp_url(),
        &app.topology().work_queue("sync", "field_updates"),
    )
    .await
}

/// A `sync-worker` process beside the app (killed when dropped), once its field update consumer
/// is up: two sync workers then share the updates.
pub async fn second_worker(app: &TestApp) -> tokio::process::Child {
    second_worker_with(app, &[]).await
}

/// [`second_worker`], with settings of its own (those the app was given, say).
pub async fn second_worker_with(app: &TestApp, env: &[(&str, &str)]) -> tokio::process::Child {
    app.expect_consumers_elsewhere();
    let worker = tests::steps::spawn_worker(app, env!("CARGO_BIN_EXE_sync-worker"), env);
    eventually(
        "two field update consumers",
        Duration::from_secs(30),
        || async { (consumers(app).await? >= 2).then_some(()) },
    )
    .await;
    worker
}
