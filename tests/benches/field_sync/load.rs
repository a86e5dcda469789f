//! The load: field updates ingested over AMQP at the first org (persistent, confirmed, as the
//! org's own broker user), each value stamped with its phase, a sequence number and the wall
//! clock at publish (`"{phase} {seq} {unix µs}"`), and what the ledger (`sync.ledger`, one row
//! per update sent over one link) says of them on the receiving side.

use diesel::sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use lapin::BasicProperties;
use serde_json::json;
use shared::amqp::{ConfirmedChannel, PendingConfirms, Topology, connect, envelope_properties};
use shared::ids::OrgId;
use shared::message::Message;
use shared::message::events::record::RecordUpsertV1;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tests::records::{OrgBroker, upsert};
use tests::{TestApp, TestOrg};

pub fn unix_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Publishes upserts of `Name` to the ingest exchange as the org's broker user.
pub struct Ingest {
    org: TestOrg,
    username: String,
    key: String,
    exchange: String,
    _connection: lapin::Connection,
    channel: ConfirmedChannel,
}

impl Ingest {
    pub async fn open(app: &TestApp, org: &TestOrg, broker: &OrgBroker) -> anyhow::Result<Self> {
        let connection = connect(&broker.amqp_url(), "field sync bench").await?;
        let channel = ConfirmedChannel::open(&connection).await?;
        Ok(Self {
            org: org.clone(),
            username: broker.user.username.clone(),
            key: Topology::ingest_routing_key(org.id, &RecordUpsertV1::routing_key()),
            exchange: app.topology().ingest_exchange(),
            _connection: connection,
            channel,
        })
    }

    /// Sends updates `seqs` (record `records[seq % len]`), stamped now; returns their confirms.
    async fn send(
        &self,
        phase: &str,
        seqs: std::ops::Range<usize>,
        records: &[String],
    ) -> anyhow::Result<PendingConfirms> {
        let stamp = unix_micros();
        let bodies: Vec<(Vec<u8>, BasicProperties)> = seqs
            .map(|seq| -> anyhow::Result<(Vec<u8>, BasicProperties)> {
                let record = &records[seq % records.len()];
                let value = format!("{phase} {seq} {stamp}");
                let envelope = upsert(&self.org, "Account", record, json!({ "Name": value }));
                let properties = envelope_properties(&envelope.head(), "field sync bench")
                    .with_user_id(self.username.as_str().into());
                Ok((serde_json::to_vec(&envelope)?, properties))
            })
            .collect::<anyhow::Result<_>>()?;
        let messages: Vec<(&str, &[u8], BasicProperties)> = bodies
            .iter()
            .map(|(b, p)| (self.key.as_str(), b.as_slice(), p.clone()))
            .collect();
        Ok(self.channel.send_many(&self.exchange, &messages).await?)
    }

    /// `n` updates as fast as confirms allow (1,000 per confirmed batch).
    pub async fn fast(&self, phase: &str, n: usize, records: &[String]) -> anyhow::Result<()> {
        let mut start = 0;
        while start < n {
            let end = (start + 1000).min(n);
            self.send(phase, start..end, records)
                .await?
                .confirmed()
                .await?;
            start = end;
        }
        Ok(())
    }

    /// `n` updates offered at `rate` per second (sent every 5 ms as they fall due; confirms
    /// awaited beside, so a slow confirm does not hold back the pace).
    pub async fn paced(
        &self,
        phase: &str,
        n: usize,
        rate: f64,
        records: &[String],
    ) -> anyhow::Result<()> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PendingConfirms>();
        let confirms = tokio::spawn(async move {
            while let Some(pending) = rx.recv().await {
                pending.confirmed().await?;
            }
            anyhow::Ok(())
        });
        let start = Instant::now();
        let mut sent = 0;
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while sent < n {
            tick.tick().await;
            let due = ((start.elapsed().as_secs_f64() * rate) as usize).min(n);
            if due > sent {
                let pending = self.send(phase, sent..due, records).await?;
                tx.send(pending)
                    .map_err(|_| anyhow::anyhow!("the confirm task ended early"))?;
                sent = due;
            }
        }
        drop(tx);
        confirms.await??;
        Ok(())
    }
}

#[derive(diesel::QueryableByName, Debug, Default, Clone, Copy)]
pub struct Progress {
    /// Applied, Resolved, Superseded or Failed.
    #[diesel(sql_type = BigInt)]
    pub settled: i64,
    #[diesel(sql_type = BigInt)]
    pub queued: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    #[diesel(sql_type = BigInt)]
    pub superseded: i64,
    /// The last `finished_at`, in unix µs.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub last_finished: Option<i64>,
}

/// The ledger rows of `phase`'s updates received by `receiver`.
pub async fn progress(app: &TestApp, receiver: OrgId, phase: &str) -> anyhow::Result<Progress> {
    let mut conn = app.pool().get().await?;
    Ok(diesel::sql_query(
        "SELECT count(*) FILTER (WHERE state IN ('Applied', 'Resolved', 'Superseded', 'Failed')) AS settled, \
                count(*) FILTER (WHERE state IN ('Queued', 'Retrying')) AS queued, \
                count(*) FILTER (WHERE state = 'Failed') AS failed, \
                count(*) FILTER (WHERE state = 'Superseded') AS superseded, \
                (max(extract(epoch FROM finished_at)) * 1000000)::bigint AS last_finished \
         FROM sync.ledger WHERE receiver_org_id = $1 AND fields->'Name'->>'value' LIKE $2",
    )
    .bind::<SqlUuid, _>(receiver.as_uuid())
    .bind::<Text, _>(format!("{phase} %"))
    .get_result(&mut conn)
    .await?)
}

/// Waits until `expected` of `phase`'s updates are settled at `receiver`, or nothing moved for
/// `stall` (then returns what there is: the report says how many are missing).
pub async fn settle(
    app: &TestApp,
    receiver: OrgId,
    phase: &str,
    expected: usize,
    stall: Duration,
) -> anyhow::Result<Progress> {
    let mut last = Progress::default();
    let mut moved = Instant::now();
    loop {
        let now = progress(app, receiver, phase).await?;
        if now.settled as usize >= expected {
            return Ok(now);
        }
        if now.settled != last.settled || now.queued != last.queued {
            moved = Instant::now();
        }
        if moved.elapsed() > stall {
            eprintln!(
                "{phase}: stalled at {} of {expected} settled ({} queued)",
                now.settled, now.queued
            );
            return Ok(now);
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until nothing of `phase` is queued at `receiver` and the settled count held still for
/// `quiet`: for orgs further down a chain, which get one update per update applied (not
/// superseded) at the org before them, so their count is not known beforehand.
pub async fn settle_quiet(
    app: &TestApp,
    receiver: OrgId,
    phase: &str,
    quiet: Duration,
) -> anyhow::Result<Progress> {
    let mut last = progress(app, receiver, phase).await?;
    let mut still = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = progress(app, receiver, phase).await?;
        if now.settled != last.settled || now.queued != last.queued {
            still = Instant::now();
        } else if now.queued == 0 && still.elapsed() >= quiet {
            return Ok(now);
        }
        if still.elapsed() > quiet * 60 {
            return Ok(now);
        }
        last = now;
    }
}

/// One applied update: when its value was published, when the sender's propagation queued
/// it, when the receiver applied it (unix µs).
#[derive(diesel::QueryableByName, Debug)]
pub struct Timing {
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = BigInt)]
    pub queued_at: i64,
    #[diesel(sql_type = BigInt)]
    pub finished_at: i64,
}

impl Timing {
    /// The publish stamp carried in the value.
    pub fn published_at(&self) -> Option<i64> {
        self.value.rsplit(' ').next()?.parse().ok()
    }
}

/// The applied updates of `phase` received by `receiver`.
pub async fn timings(app: &TestApp, receiver: OrgId, phase: &str) -> anyhow::Result<Vec<Timing>> {
    let mut conn = app.pool().get().await?;
    Ok(diesel::sql_query(
        "SELECT fields->'Name'->>'value' AS value, \
                (extract(epoch FROM queued_at) * 1000000)::bigint AS queued_at, \
                (extract(epoch FROM finished_at) * 1000000)::bigint AS finished_at \
         FROM sync.ledger WHERE receiver_org_id = $1 AND fields->'Name'->>'value' LIKE $2 \
           AND state IN ('Applied', 'Resolved') AND finished_at IS NOT NULL",
    )
    .bind::<SqlUuid, _>(receiver.as_uuid())
    .bind::<Text, _>(format!("{phase} %"))
    .load(&mut conn)
    .await?)
}

/// p50, p90, p99 and max of durations in µs, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Percentiles {
    pub n: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

pub fn percentiles(mut micros: Vec<i64>) -> Percentiles {
    if micros.is_empty() {
        return Percentiles {
            p50: f64::NAN,
            p90: f64::NAN,
            p99: f64::NAN,
            max: f64::NAN,
            n: 0,
        };
    }
    micros.sort_unstable();
    let at = |q: f64| {
        let i = ((micros.len() - 1) as f64 * q).round() as usize;
        micros[i] as f64 / 1000.0
    };
    Percentiles {
        n: micros.len(),
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: at(1.0),
    }
}

/// Publish -> applied, publish -> queued by propagation, queued -> applied.
pub struct Stages {
    pub total: Percentiles,
    pub to_queued: Percentiles,
    pub queued_to_applied: Percentiles,
}

pub fn stages(rows: &[Timing]) -> Stages {
    let with_publish: Vec<(i64, &Timing)> = rows
        .iter()
        .filter_map(|t| Some((t.published_at()?, t)))
        .collect();
    Stages {
        total: percentiles(
            with_publish
                .iter()
                .map(|(p, t)| t.finished_at - p)
                .collect(),
        ),
        to_queued: percentiles(with_publish.iter().map(|(p, t)| t.queued_at - p).collect()),
        queued_to_applied: percentiles(rows.iter().map(|t| t.finished_at - t.queued_at).collect()),
    }
}
