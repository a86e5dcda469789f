//! The relay is notified only while idle: writers of a busy relay do not `NOTIFY` (a notifying
//! commit serialises every writer), and a relay going idle strands no row of a writer that saw
//! it busy. The idle poll is a minute here, so a stranded row would miss every deadline below.

use crate::outbox_relay::{probe_queue, spawn_relay, take_all};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::testing::eventually;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tests::TestApp;
use tests::probe::ProbeV1;
use tokio_util::sync::CancellationToken;

const SERVICE: &str = "relayidle";
const IDLE_POLL: Duration = Duration::from_secs(60);
const WRITERS: i64 = 4;
const ROWS_PER_WRITER: i64 = 200;

#[tokio::test(flavor = "multi_thread")]
async fn writers_of_a_busy_relay_do_not_notify_and_every_row_is_published_once() {
    let app = TestApp::spawn().await;
    let work = probe_queue(&app).await;
    let stop = CancellationToken::new();
    let relay = spawn_relay(&app, SERVICE, 0, IDLE_POLL, &stop);
    let notified = count_notifications(&app, &stop).await;

    // Every writer commits its rows one transaction after another, all writers at once.
    let writers = (0..WRITERS).map(|writer| {
        let pool = app.pool().clone();
        tokio::spawn(async move {
            for seq in 0..ROWS_PER_WRITER {
                let mut conn = pool.get().await.expect("a connection");
                commit_row(&mut conn, writer * 1_000_000 + seq).await;
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.expect("the writer finished");
    }

    let received = receive(&app, &work, (WRITERS * ROWS_PER_WRITER) as usize).await;
    let mut sorted = received.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), received.len(), "no row published twice");
    let transactions = (WRITERS * ROWS_PER_WRITER) as usize;
    let notifications = AtomicUsize::load(&notified, Ordering::SeqCst);
    assert!(
        notifications < transactions / 4,
        "{notifications} of {transactions} transactions notified: writers notify a busy relay"
    );
    stop.cancel();
    relay.await.expect("the relay stopped");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_committed_by_a_writer_that_saw_the_relay_busy_is_published_when_it_goes_idle() {
    let app = TestApp::spawn().await;
    let work = probe_queue(&app).await;
    let stop = CancellationToken::new();
    let relay = spawn_relay(&app, SERVICE, 0, IDLE_POLL, &stop);

    // Rows, one transaction after another, until the late writer has inserted its own.
    let keep_busy = CancellationToken::new();
    let rows = Arc::new(AtomicUsize::new(0));
    let background = {
        let (pool, keep_busy, rows) = (app.pool().clone(), keep_busy.clone(), rows.clone());
        tokio::spawn(async move {
            while !keep_busy.is_cancelled() {
                let mut conn = pool.get().await.expect("a connection");
                commit_row(&mut conn, rows.fetch_add(1, Ordering::SeqCst) as i64).await;
            }
        })
    };
    eventually("the relay busy", Duration::from_secs(30), || async {
        relay_busy(&app).await.filter(|busy| *busy)
    })
    .await;

    // The late writer inserts while the relay is busy (so it does not notify) and commits only
    // once the relay has let go of busy: after its last read, if it did not wait for writers.
    let mut writer = AsyncPgConnection::establish(&app.db.url)
        .await
        .expect("a connection");
    diesel::sql_query("BEGIN")
        .execute(&mut writer)
        .await
        .expect("begin");
    let late = 999_999_999;
    shared::outbox::enqueue(
        &mut writer,
        SERVICE,
        &Envelope::new(OrgId::new(), ProbeV1::ok(late)),
    )
    .await
    .expect("the row inserted");
    assert_eq!(
        relay_busy(&app).await,
        Some(true),
        "the relay still busy after the late insert"
    );
    keep_busy.cancel();
    background.await.expect("the background writer stopped");
    eventually(
        "the relay no longer busy",
        Duration::from_secs(30),
        || async { relay_busy(&app).await.filter(|busy| !busy) },
    )
    .await;
    diesel::sql_query("COMMIT")
        .execute(&mut writer)
        .await
        .expect("commit");

    let received = receive(&app, &work, AtomicUsize::load(&rows, Ordering::SeqCst) + 1).await;
    assert!(received.contains(&late), "the late writer's row published");
    stop.cancel();
    relay.await.expect("the relay stopped");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_relay_is_woken_by_one_statement_of_many_rows() {
    let app = TestApp::spawn().await;
    let work = probe_queue(&app).await;
    let stop = CancellationToken::new();
    let relay = spawn_relay(&app, SERVICE, 0, IDLE_POLL, &stop);
    let notified = count_notifications(&app, &stop).await;

    // A first row, published, shows the relay running; then it goes idle (its poll: a minute).
    let mut conn = app.pool().get().await.expect("a connection");
    commit_row(&mut conn, 0).await;
    assert_eq!(receive(&app, &work, 1).await, vec![0]);
    eventually("the relay idle", Duration::from_secs(30), || async {
        relay_busy(&app).await.filter(|busy| !busy)
    })
    .await;

    // One transaction, one statement of 50 rows (the trigger runs once per statement): only
    // its notification can wake the relay before the deadline of `receive`.
    let before = AtomicUsize::load(&notified, Ordering::SeqCst);
    let envelopes: Vec<_> = (1..=50)
        .map(|n| Envelope::new(OrgId::new(), ProbeV1::ok(n)))
        .collect();
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        shared::outbox::enqueue_many(conn, SERVICE, &envelopes).await
    })
    .await
    .expect("the rows committed");
    let mut received = receive(&app, &work, 50).await;
    received.sort_unstable();
    assert_eq!(received, (1..=50).collect::<Vec<i64>>(), "each row once");
    eventually(
        "the notification counted",
        Duration::from_secs(10),
        || async { (AtomicUsize::load(&notified, Ordering::SeqCst) > before).then_some(()) },
    )
    .await;
    stop.cancel();
    relay.await.expect("the relay stopped");
    app.stop().await;
}

/// Whether the relay of [`SERVICE`] is busy; `None` if that cannot be read.
async fn relay_busy(app: &TestApp) -> Option<bool> {
    let mut conn = app.pool().get().await.ok()?;
    shared::outbox::relay_is_busy(&mut conn, SERVICE).await.ok()
}

/// Commits one outbox row of [`SERVICE`] carrying `n`.
async fn commit_row(conn: &mut AsyncPgConnection, n: i64) {
    let envelope = Envelope::new(OrgId::new(), ProbeV1::ok(n));
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        shared::outbox::enqueue(conn, SERVICE, &envelope).await
    })
    .await
    .expect("a row committed");
}

/// Takes messages from `queue` until `count` have come (within 20 s, far below the idle poll).
async fn receive(app: &TestApp, queue: &str, count: usize) -> Vec<i64> {
    let received = std::sync::Mutex::new(Vec::new());
    let url = app.amqp_url().to_string();
    eventually("every row published", Duration::from_secs(20), || async {
        let taken = take_all(&url, queue).await?;
        let mut received = received.lock().ok()?;
        received.extend(taken);
        (received.len() >= count).then_some(())
    })
    .await;
    received.into_inner().expect("the numbers")
}

/// Counts the outbox notifications naming [`SERVICE`] until `stop`.
async fn count_notifications(app: &TestApp, stop: &CancellationToken) -> Arc<AtomicUsize> {
    let mut listener = AsyncPgConnection::establish(&app.db.url)
        .await
        .expect("a connection");
    diesel::sql_query("LISTEN partnernet_outbox")
        .execute(&mut listener)
        .await
        .expect("listening");
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    let stop = stop.clone();
    tokio::spawn(async move {
        let mut notifications = std::pin::pin!(listener.notifications_stream());
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                next = notifications.next() => match next {
                    Some(Ok(notification)) if notification.payload == SERVICE => {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                },
            }
        }
    });
    count
}
