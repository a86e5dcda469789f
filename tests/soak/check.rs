//! The soak's check: waits until the run is quiet (every copy at the serial replay's values, or
//! the ledger settled, the outbox and the queues empty and nothing moving), then compares every
//! copy with the serial replay and counts:
//!
//! - lost: a copy's field not at the replay's value (its writer's last value), and every update
//!   sent over a link that did not take effect (ledger Failed, or still Queued or Retrying);
//! - duplicated: an update applied twice to a copy (two Applied/Resolved ledger rows carrying
//!   the same value to the same copy), and writes of a copy beyond those the run explains (its
//!   version grew more than its own updates plus the partners' updates applied to it);
//! - regressed: an applied update whose value is older than the one it overwrote.
//!
//! Replay: each field has a single writer, which publishes its updates in order, so the serial
//! replay's value of a field is the last value written at its source (the same as the value of
//! the update with the highest (stamp, origin) when each field has one writer).

use crate::workload::{Plan, update_of, value};
use diesel::sql_types;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tests::TestApp;
use tests::linked_orgs::{Copy, LinkedOrgs};

#[derive(diesel::QueryableByName)]
struct CopyRow {
    #[diesel(sql_type = sql_types::Uuid)]
    org_id: uuid::Uuid,
    #[diesel(sql_type = sql_types::Text)]
    record_id: String,
    #[diesel(sql_type = sql_types::Jsonb)]
    fields: serde_json::Value,
    #[diesel(sql_type = sql_types::BigInt)]
    version: i64,
}

/// Every copy's fields and version.
pub struct Copies(HashMap<Copy, (serde_json::Value, i64)>);

impl Copies {
    pub async fn read(app: &TestApp, net: &LinkedOrgs) -> anyhow::Result<Self> {
        let index: HashMap<uuid::Uuid, usize> = net
            .orgs
            .iter()
            .enumerate()
            .map(|(i, o)| (o.id.as_uuid(), i))
            .collect();
        let orgs: Vec<uuid::Uuid> = index.keys().copied().collect();
        let mut conn = app.pool().get().await?;
        let rows: Vec<CopyRow> = diesel::sql_query(
            "SELECT org_id, record_id, fields, version FROM sync.records \
             WHERE object = 'Account' AND org_id = ANY($1)",
        )
        .bind::<sql_types::Array<sql_types::Uuid>, _>(&orgs)
        .load(&mut conn)
        .await?;
        Ok(Self(
            rows.into_iter()
                .filter_map(|r| {
                    let org = *index.get(&r.org_id)?;
                    let copy = Copy {
                        org,
                        record_id: r.record_id,
                    };
                    Some((copy, (r.fields, r.version)))
                })
                .collect(),
        ))
    }

    fn value(&self, copy: &Copy, field: &str) -> Option<&str> {
        self.0.get(copy)?.0.get(field)?.as_str()
    }

    fn version(&self, copy: &Copy) -> i64 {
        self.0.get(copy).map_or(-1, |c| c.1)
    }

    /// Copies' fields not at the replay's value.
    fn behind(&self, net: &LinkedOrgs, plan: &Plan) -> usize {
        let mut behind = 0;
        for (slot, last) in plan.slots.iter().zip(&plan.last) {
            let Some(last) = last else { continue };
            let want = value(*last as usize);
            for copy in &net.records[slot.record] {
                if self.value(copy, &slot.field) != Some(want.as_str()) {
                    behind += 1;
                }
            }
        }
        behind
    }
}

#[derive(diesel::QueryableByName)]
struct Progress {
    #[diesel(sql_type = sql_types::BigInt)]
    rows: i64,
    #[diesel(sql_type = sql_types::BigInt)]
    open: i64,
    #[diesel(sql_type = sql_types::BigInt)]
    outbox: i64,
}

/// Ledger rows (one per update sent over a link), those not settled yet (Queued, Retrying), and
/// the outbox's backlog.
async fn progress(app: &TestApp) -> anyhow::Result<Progress> {
    let mut conn = app.pool().get().await?;
    Ok(diesel::sql_query(
        "SELECT (SELECT count(*) FROM sync.ledger) AS rows, \
           (SELECT count(*) FROM sync.ledger WHERE state IN ('Queued', 'Retrying')) AS open, \
           (SELECT count(*) FROM messaging.outbox) AS outbox",
    )
    .get_result(&mut conn)
    .await?)
}

/// Settled ledger rows (neither Queued nor Retrying); the fault schedule paces itself on them.
pub async fn settled(app: &TestApp) -> i64 {
    progress(app).await.map_or(0, |p| p.rows - p.open)
}

/// Messages ready in the sync service's work and retry queues.
async fn queued(app: &TestApp) -> u64 {
    let sync = format!("{}.sync.", app.topology().prefix());
    let mut total = 0;
    for queue in tests::amqp::app_queues(app)
        .into_iter()
        .filter(|q| q.starts_with(&sync))
    {
        total += u64::from(
            tests::amqp::queue_depth(app.amqp_url(), &queue)
                .await
                .unwrap_or(1),
        );
    }
    total
}

/// Waits until every copy holds the replay's values with the ledger settled and the queues
/// empty, or until the ledger, outbox and queues are settled and nothing has moved for
/// `stuck` (something was lost), or until `deadline`. Prints progress on the way.
pub async fn quiesce(
    app: &TestApp,
    net: &LinkedOrgs,
    plan: &Plan,
    stuck: Duration,
    deadline: Duration,
) {
    let start = Instant::now();
    let mut last_change = Instant::now();
    let mut last_seen = (-1, usize::MAX);
    let mut last_print = Instant::now();
    loop {
        let (Ok(p), Ok(copies)) = (progress(app).await, Copies::read(app, net).await) else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        let behind = copies.behind(net, plan);
        // The queues last: each is a broker round trip.
        let quiet = p.open == 0 && p.outbox == 0 && queued(app).await == 0;
        if quiet && behind == 0 {
            return;
        }
        if (p.rows, behind) != last_seen {
            last_seen = (p.rows, behind);
            last_change = Instant::now();
        }
        if quiet && last_change.elapsed() > stuck {
            println!("quiet but {behind} copy fields behind the replay for {stuck:?}: checking");
            return;
        }
        if start.elapsed() > deadline {
            println!("deadline {deadline:?} reached with {behind} copy fields behind: checking");
            return;
        }
        if last_print.elapsed() > Duration::from_secs(15) {
            last_print = Instant::now();
            println!(
                "  waiting: {} ledger rows, {} open, outbox {}, {behind} copy fields behind",
                p.rows, p.open, p.outbox
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[derive(diesel::QueryableByName)]
struct LedgerField {
    #[diesel(sql_type = sql_types::Uuid)]
    update_id: uuid::Uuid,
    #[diesel(sql_type = sql_types::Uuid)]
    receiver: uuid::Uuid,
    #[diesel(sql_type = sql_types::Text)]
    record_id: String,
    #[diesel(sql_type = sql_types::Text)]
    state: String,
    #[diesel(sql_type = sql_types::Text)]
    field: String,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
    value: Option<String>,
    #[diesel(sql_type = sql_types::Nullable<sql_types::Text>)]
    overwritten: Option<String>,
}

#[derive(Debug, Default)]
pub struct Counts {
    pub ledger_rows: usize,
    pub applied: usize,
    pub resolved: usize,
    pub superseded: usize,
    pub failed: usize,
    pub open: usize,
    pub dead_lettered: u32,
    pub lost: usize,
    pub duplicated: usize,
    pub regressed: usize,
}

/// Counts lost, duplicated and regressed updates (see the module's comment), given the copies'
/// versions before the run.
pub async fn count(
    app: &TestApp,
    net: &LinkedOrgs,
    plan: &Plan,
    before: &Copies,
) -> anyhow::Result<Counts> {
    let copies = Copies::read(app, net).await?;
    let mut conn = app.pool().get().await?;
    let rows: Vec<LedgerField> = diesel::sql_query(
        "SELECT l.update_id, l.receiver_org_id AS receiver, l.receiver_record_id AS record_id, \
           l.state, f.key AS field, f.value->>'value' AS value, \
           l.overwritten->>f.key AS overwritten \
         FROM sync.ledger l, jsonb_each(l.fields) f",
    )
    .load(&mut conn)
    .await?;
    let index: HashMap<uuid::Uuid, usize> = net
        .orgs
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_uuid(), i))
        .collect();
    let mut counts = Counts {
        lost: copies.behind(net, plan),
        ..Counts::default()
    };
    let mut updates: HashMap<uuid::Uuid, &str> = HashMap::new();
    let mut applied_values: HashMap<(Copy, &str, Option<&str>), usize> = HashMap::new();
    let mut applied_updates: HashMap<Copy, std::collections::HashSet<uuid::Uuid>> = HashMap::new();
    for row in &rows {
        updates.insert(row.update_id, row.state.as_str());
        let Some(&org) = index.get(&row.receiver) else {
            continue;
        };
        let copy = Copy {
            org,
            record_id: row.record_id.clone(),
        };
        if matches!(row.state.as_str(), "Applied" | "Resolved") {
            let older = update_of(row.overwritten.as_deref()).map_or(-1, |u| u as i64);
            let newer = update_of(row.value.as_deref()).map_or(-1, |u| u as i64);
            if newer <= older {
                counts.regressed += 1;
            }
            *applied_values
                .entry((copy.clone(), row.field.as_str(), row.value.as_deref()))
                .or_default() += 1;
            applied_updates
                .entry(copy)
                .or_default()
                .insert(row.update_id);
        }
    }
    counts.duplicated += applied_values.values().map(|n| n - 1).sum::<usize>();
    counts.ledger_rows = updates.len();
    for state in updates.values() {
        match *state {
            "Applied" => counts.applied += 1,
            "Resolved" => counts.resolved += 1,
            "Superseded" => counts.superseded += 1,
            "Failed" => counts.failed += 1,
            _ => counts.open += 1,
        }
    }
    counts.lost += counts.failed + counts.open;
    let local = plan.local_writes();
    for copies_of_record in &net.records {
        for copy in copies_of_record {
            let writes = copies.version(copy) - before.version(copy);
            let explained = local.get(copy).copied().unwrap_or(0)
                + applied_updates.get(copy).map_or(0, |u| u.len() as i64);
            counts.duplicated += usize::try_from(writes - explained).unwrap_or(0);
        }
    }
    counts.dead_lettered =
        tests::amqp::queue_depth(app.amqp_url(), &app.topology().dead_letter_queue("sync"))
            .await
            .unwrap_or(0);
    Ok(counts)
}
