//! What the relay reads next while batches await their confirms: every row of its service not in
//! flight, in `id` order, a late commit below the rows in flight included.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::outbox::read_unsent;
use tests::TestApp;
use tests::probe::ProbeV1;

const SERVICE: &str = "relayreads";

#[tokio::test(flavor = "multi_thread")]
async fn a_read_skips_exactly_the_rows_in_flight() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool().get().await.expect("a connection");
    for n in 0..10 {
        commit_row(&mut conn, SERVICE, n).await;
    }
    commit_row(&mut conn, "another service", 99).await;
    let all = ids(read_unsent(&mut conn, SERVICE, [], 100).await);
    assert_eq!(
        all.len(),
        10,
        "every row of the service, none of another: {all:?}"
    );
    assert!(all.windows(2).all(|w| w[0] < w[1]), "in id order: {all:?}");

    // In flight: three runs. Between them, rows that committed after their neighbours were read.
    let in_flight = [all[0], all[1], all[2], all[5], all[7], all[8]];
    let unsent = ids(read_unsent(&mut conn, SERVICE, in_flight, 100).await);
    assert_eq!(unsent, vec![all[3], all[4], all[6], all[9]]);
    let first_two = ids(read_unsent(&mut conn, SERVICE, in_flight, 2).await);
    assert_eq!(
        first_two,
        vec![all[3], all[4]],
        "the limit counts rows read, in id order"
    );
    let none = ids(read_unsent(&mut conn, SERVICE, all.clone(), 100).await);
    assert!(none.is_empty(), "every row in flight: {none:?}");
    drop(conn);
    app.stop().await;
}

async fn commit_row(conn: &mut AsyncPgConnection, service: &'static str, n: i64) {
    let envelope = Envelope::new(OrgId::new(), ProbeV1::ok(n));
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        shared::outbox::enqueue(conn, service, &envelope).await
    })
    .await
    .expect("a row committed");
}

fn ids(rows: diesel::QueryResult<Vec<(i64, String, String)>>) -> Vec<i64> {
    rows.expect("a read")
        .into_iter()
        .map(|(id, _, _)| id)
        .collect()
}
