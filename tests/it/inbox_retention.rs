//! The inbox stays bounded: the janitor, driven across many retention periods of simulated
//! time, drops old partitions, while a recent message is still recognised as a duplicate.

use chrono::{DateTime, Utc};
use diesel_async::RunQueryDsl;
use shared::inbox::{self, InboxKey, InboxOutcome};
use shared::inbox_retention::{InboxRetention, maintain};
use shared::testing::TestDatabase;
use std::time::Duration;

const SPAN: Duration = Duration::from_secs(3600);
const RETENTION: Duration = Duration::from_secs(3 * 3600);
const PER_SPAN: usize = 200;
const SPANS: i64 = 12;

/// A v7 id of instant `at` (random in its other bits).
/// The inbox key of the `n`th message published at `at` to one org.
fn v7_at(at: DateTime<Utc>, n: u32) -> InboxKey {
    let seconds = u64::try_from(at.timestamp()).expect("after 1970");
    InboxKey {
        org: ORG,
        message: uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            seconds,
            n * 1000,
        )),
    }
}

const ORG: uuid::Uuid = uuid::Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);

async fn inbox_rows(conn: &mut diesel_async::AsyncPgConnection) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM messaging.inbox")
        .get_result::<shared::db::CountRow>(conn)
        .await
        .expect("count")
        .n
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inbox_stays_bounded_across_many_retention_periods_and_still_catches_recent_duplicates()
{
    let db = TestDatabase::create(partnernet::all_migrations())
        .await
        .expect("a test database");
    let pool = shared::db::pool(&db.url, 2).expect("a pool");
    let mut conn = pool.get().await.expect("a connection");
    let policy = InboxRetention {
        retention: RETENTION,
        partition_span: SPAN,
    };
    let start = Utc::now() + chrono::Duration::days(30);
    let mut sizes = Vec::new();
    let mut latest = None;
    for span in 0..SPANS {
        let now = start + chrono::Duration::hours(span);
        maintain(&mut conn, policy, now)
            .await
            .expect("a janitor pass");
        for n in 0..PER_SPAN as u32 {
            let id = v7_at(now, n);
            latest = Some(id);
            assert_eq!(
                inbox::record(&mut conn, "retention.test", id)
                    .await
                    .expect("recorded"),
                InboxOutcome::New
            );
        }
        // Ids that are not v7 land in the default partition, cleaned by when they were handled.
        diesel::sql_query(
            "INSERT INTO messaging.inbox (consumer, org_id, message_id, handled_at) \
             SELECT 'retention.test', gen_random_uuid(), gen_random_uuid(), $1 \
             FROM generate_series(1, 20)",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .execute(&mut conn)
        .await
        .expect("v4 ids recorded");
        sizes.push(inbox_rows(&mut conn).await);
    }
    println!("inbox rows after each span: {sizes:?}");
    // Retention plus the current span, plus the default partition's share of the same window,
    // plus the span that ended just inside the retention.
    let spans_kept = (RETENTION.as_secs() / SPAN.as_secs()) as i64 + 2;
    let bound = spans_kept * (PER_SPAN as i64 + 20);
    assert!(
        sizes.iter().all(|size| *size <= bound),
        "never above {bound}: {sizes:?}"
    );
    assert_eq!(
        sizes[sizes.len() - 1],
        sizes[sizes.len() - 2],
        "steady once past the retention: {sizes:?}"
    );

    // Within the retention, a redelivered message is still a duplicate.
    let latest = latest.expect("an id recorded");
    assert_eq!(
        inbox::record(&mut conn, "retention.test", latest)
            .await
            .expect("recorded"),
        InboxOutcome::AlreadyHandled
    );
}
