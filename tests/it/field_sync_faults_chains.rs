//! Field sync over more than one hop, against real servers: a chain of three orgs (Acme →
//! Globex → Initech) and a ring of three (the chain plus a link from Initech's copy back to
//! Acme's record). One change settles everywhere with a bounded number of `fields_updated`
//! messages (counted as ledger rows: one per message sent) and never loops.

use crate::field_sync_support::{connect, patch, record_where, second_worker};
use crate::links_support::{Net, forward_one, link_with_status, net, publish, record, subscribe};
use diesel_async::RunQueryDsl;
use serde_json::json;
use shared::testing::eventually;
use std::time::Duration;
use tests::{TestApp, TestOrg};

/// `sender` publishes Account Name on `connection`; `receiver` subscribes to it.
async fn name_flows(app: &TestApp, sender: &str, receiver: &str, connection: &str) {
    publish(app, sender, connection, "Account", json!(["Name"])).await;
    subscribe(
        app,
        receiver,
        connection,
        "Account",
        json!({ "auto_accept": true, "fields": { "Name": "Name" } }),
    )
    .await;
}

struct Chain {
    n: Net,
    initech: TestOrg,
    initech_owner: uuid::Uuid,
    /// Globex's copy of Acme's acc-1, and Initech's copy of Globex's.
    b_copy: String,
    c_copy: String,
}

/// Acme's acc-1 forwarded to Globex, and Globex's copy forwarded on to Initech.
async fn chain(app: &TestApp) -> Chain {
    let n = net(app, true).await;
    let initech = app.create_org("Initech").await;
    let initech_owner = app
        .create_user(&initech, "Ida Initech", "ida@initech.example")
        .await;
    let bc = connect(
        app,
        (&n.p.globex, n.p.globex_owner),
        (&initech, initech_owner),
        "ivy@initech.example",
    )
    .await;
    name_flows(app, n.globex(), &initech.key, &bc).await;
    record(
        app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode" }),
    )
    .await;
    forward_one(app, n.acme(), &n.id, "Account", "acc-1").await;
    let ab = link_with_status(app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let b_copy = ab["partner_record_id"]
        .as_str()
        .expect("B's copy")
        .to_string();
    link_with_status(app, n.globex(), "Account", &b_copy, "Active (received)").await;
    forward_one(app, n.globex(), &bc, "Account", &b_copy).await;
    let bc_link = link_with_status(app, n.globex(), "Account", &b_copy, "Active (sent)").await;
    let c_copy = bc_link["partner_record_id"]
        .as_str()
        .expect("C's copy")
        .to_string();
    link_with_status(app, &initech.key, "Account", &c_copy, "Active (received)").await;
    Chain {
        n,
        initech,
        initech_owner,
        b_copy,
        c_copy,
    }
}

/// Ledger rows (one per `fields_updated` message sent) and those not settled yet.
async fn messages(app: &TestApp) -> (i64, i64) {
    let mut conn = app.pool().get().await.expect("a connection");
    #[derive(diesel::QueryableByName)]
    struct Counted {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        all: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        queued: i64,
    }
    let c: Counted = diesel::sql_query(
        "SELECT count(*) AS all, count(*) FILTER (WHERE state = 'Queued') AS queued FROM sync.ledger",
    )
    .get_result(&mut conn)
    .await
    .expect("the ledger counted");
    (c.all, c.queued)
}

/// Changes Acme's acc-1, waits for every copy to show it and the ledger to settle, and returns
/// how many messages the change took; then checks that none follows once the app is idle.
async fn one_change(app: &TestApp, c: &Chain, label: &str) -> i64 {
    let (start, _) = messages(app).await;
    patch(
        app,
        c.n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Changed" }),
    )
    .await;
    let at = [
        (c.n.globex(), &c.b_copy),
        (c.initech.key.as_str(), &c.c_copy),
    ];
    for (key, id) in at {
        record_where(app, key, "Account", id, "the change", |r| {
            r["fields"]["Name"] == "Changed"
        })
        .await;
    }
    // Idle first (no outbox row, queue message or handler left): a hop not sent yet would
    // otherwise be missed by a count taken between two hops.
    app.wait_idle().await;
    let settled = eventually("the ledger to settle", Duration::from_secs(20), || async {
        let (all, queued) = messages(app).await;
        (queued == 0).then_some(all - start)
    })
    .await;
    // Idle again: a loop would have sent more by now.
    app.wait_idle().await;
    let (after, _) = messages(app).await;
    println!(
        "{label}: one change took {settled} fields_updated messages, {} after idle",
        after - start
    );
    assert_eq!(
        after - start,
        settled,
        "no message after the change settled (no loop)"
    );
    settled
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_faults_chain_of_three_settles_in_two_messages() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let c = chain(&app).await;
    assert_eq!(one_change(&app, &c, "chain A→B→C").await, 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_faults_ring_of_three_settles_and_never_loops() {
    let app = TestApp::spawn().await;
    // Two sync workers share the updates: the app's and a `sync-worker` process.
    let _worker = second_worker(&app).await;
    let c = chain(&app).await;
    let n = &c.n;
    // Initech ↔ Acme, with Name flowing both ways over it.
    let ca = connect(
        &app,
        (&c.initech, c.initech_owner),
        (&n.p.acme, n.p.acme_owner),
        "ann@acme.example",
    )
    .await;
    name_flows(&app, &c.initech.key, n.acme(), &ca).await;
    name_flows(&app, n.acme(), &c.initech.key, &ca).await;
    // A forward always makes a new copy, so the ring's last link (Initech's copy sent to
    // Acme's own acc-1) is written directly, as a forward and accept would have left it.
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query(
        "INSERT INTO sharing.record_links (id, org_id, connection_id, direction, object, \
           local_record_id, partner_object, partner_record_id, start_date, status) VALUES \
         (gen_random_uuid(), $1, $3, 'sent', 'Account', $4, 'Account', 'acc-1', now(), 'Active (sent)'), \
         (gen_random_uuid(), $2, $3, 'received', 'Account', 'acc-1', 'Account', $4, now(), 'Active (received)')",
    )
    .bind::<diesel::sql_types::Uuid, _>(c.initech.id.as_uuid())
    .bind::<diesel::sql_types::Uuid, _>(n.p.acme.id.as_uuid())
    .bind::<diesel::sql_types::Uuid, _>(ca.parse::<uuid::Uuid>().expect("a connection id"))
    .bind::<diesel::sql_types::Text, _>(&c.c_copy)
    .execute(&mut conn)
    .await
    .expect("the ring closed");
    drop(conn);

    // Acme sends to Globex and Initech; each applies and sends on to the other (never back);
    // the second arrival at each is Superseded and sends nothing: at most 4 messages.
    let sent = one_change(&app, &c, "ring A→B→C→A").await;
    assert!((2..=4).contains(&sent), "{sent} messages");
    // A change made in the middle of the ring settles too, and Acme ends with it.
    patch(
        &app,
        n.globex(),
        "Account",
        &c.b_copy,
        json!({ "Name": "From Globex" }),
    )
    .await;
    record_where(&app, n.acme(), "Account", "acc-1", "Globex's change", |r| {
        r["fields"]["Name"] == "From Globex"
    })
    .await;
    record_where(
        &app,
        &c.initech.key,
        "Account",
        &c.c_copy,
        "Globex's change",
        |r| r["fields"]["Name"] == "From Globex",
    )
    .await;
    app.stop().await;
}
