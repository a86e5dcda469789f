//! Field sync (issue 11, "Performance") beside the machine's raw pipeline in the same run:
//! `pipeline-raw` (quorum queues, durable) live, `--prefill` and `--rate 2000`, then
//! PartnerNet's sync measured the same three ways, a five-org chain, and memory, with ratios
//! and the goals; then a profile of where the time goes.
//!
//!     psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE baseline_bench'   # once (the baseline's)
//!     TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f RUST_LOG=error \
//!         cargo bench -p tests --bench field_sync
//!
//! PartnerNet side: one `TestApp` (all services in this process: the RSS figures are the
//! whole system's plus the bench's own), org A's Accounts forwarded to org B (Auto-Accept,
//! Account fields published and subscribed both ways, `tests::linked_orgs`), every link Active. Updates of `Name` are ingested at A over AMQP (org
//! A's broker user, persistent, confirmed); each goes ingest (the record written and the change
//! propagated in one transaction) -> `sync.fields_updated.v1` -> apply on B's copy, which writes
//! the ledger row's `finished_at`
//! in its transaction. Each value carries its publish time, so latency is publish -> the
//! ledger's `finished_at` on the partner's side.
//!
//! - live: `UPDATES` (default 20000) published as fast as confirms allow over `RECORDS`
//!   (default 500) records; updates settled in the ledger per second, first publish to last
//!   `finished_at`.
//! - backlog drain: B's copies are locked (`SELECT … FOR UPDATE` in a transaction held by the
//!   bench), so the apply consumer stops at its first batches while `UPDATES` more are ingested
//!   and propagated; they wait in the field update queue. Released: settled per second from
//!   the release to the last `finished_at`. (The app runs with lock, statement and handler
//!   timeouts of 10 minutes so that the held batches wait instead of retrying.)
//! - 2,000/s: `RATE` (2000) updates per second offered for `RATE_SECS` (20) s; latency
//!   percentiles, and the stages (publish -> propagation's transaction -> apply).
//! - chain: A -> B -> C -> D -> E, `CHAIN_RECORDS` (20) records, `CHAIN_RATE` (200)/s for
//!   `CHAIN_SECS` (10) s; latency at every hop; end-to-end (E) p99 against the first hop's.
//! - two sync processes: a `sync-worker` process (the sync service alone) started beside the
//!   app, the 2,000/s load again; that process's peak RSS is the sync service's own.
//!
//! `BASELINE_N` (60000) sizes the baseline's live and prefill runs; its rate run takes
//! `RATE × RATE_SECS` messages. Settings of the services (`CONSUMER_LANES`, `CONSUMER_BATCH`,
//! `CONSUMER_LINGER_MS`, `AMQP_PREFETCH`, `DB_POOL_SIZE`, `OUTBOX_POLL_MS`) are passed on when
//! set. `SKIP_BASELINE=1` skips the baseline (ratios then read NaN). `ANALYZE=1` takes the
//! database's statistics after the set-up, while the outbox is empty: it reproduces the plan
//! hazard of `docs/benchmarks.md`, "Statistics taken while the outbox is empty".
//!
//! The profile at the end: CPU per update of this process, PostgreSQL and RabbitMQ; this
//! process's threads; `pg_stat_activity` sampled during the 2,000/s phase; the stages'
//! latencies; and the WAL written and the rows each table gained, changed (with the share of HOT
//! updates) and lost per update, live and at 2,000/s (`table_writes`).

mod baseline;
mod load;
mod profile;
mod table_writes;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use load::{Ingest, Percentiles, Progress, settle, settle_quiet, stages, timings, unix_micros};
use profile::{Cpu, Sampler};
use std::time::Duration;
use tests::TestApp;
use tests::linked_orgs::{self, LinkedOrgs, Spec};
use tests::records::OrgBroker;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Settings passed from the environment to the services, when set.
const TUNING: [&str; 6] = [
    "CONSUMER_LANES",
    "CONSUMER_EAGER_LANES",
    "CONSUMER_BATCH",
    "CONSUMER_LINGER_MS",
    "AMQP_PREFETCH",
    "DB_POOL_SIZE",
];

/// How long no ledger row may move before a phase gives up waiting.
const STALL: Duration = Duration::from_secs(60);

struct Baselines {
    live: baseline::Run,
    prefill: baseline::Run,
    rate: baseline::Run,
}

fn baselines(n: usize, rate_n: usize, rate: usize) -> anyhow::Result<Baselines> {
    if std::env::var_os("SKIP_BASELINE").is_some() {
        let none = baseline::Run {
            updates_s: f64::NAN,
            p50_ms: f64::NAN,
            p90_ms: f64::NAN,
            p99_ms: f64::NAN,
        };
        return Ok(Baselines {
            live: none,
            prefill: none,
            rate: none,
        });
    }
    let rate = rate.to_string();
    let live = baseline::pipeline_raw(n, &[])?;
    let prefill = baseline::pipeline_raw(n, &["--prefill"])?;
    let rate = baseline::pipeline_raw(rate_n, &["--rate", &rate])?;
    Ok(Baselines {
        live,
        prefill,
        rate,
    })
}

/// Settled updates per second between `from` (unix µs) and the last `finished_at`.
fn per_second(progress: &Progress, from: i64) -> f64 {
    let end = progress.last_finished.unwrap_or(from);
    progress.settled as f64 / ((end - from) as f64 / 1e6)
}

fn print_cpu(label: &str, cpu: Cpu, updates: i64, threads: &[(String, f64)]) {
    let per = |s: f64| s * 1e6 / updates.max(1) as f64;
    println!(
        "  {label}: CPU µs per update: PartnerNet process {:.0}, PostgreSQL {:.0}, RabbitMQ {:.0} \
         (whole servers: other users' work counts too)",
        per(cpu.bench),
        per(cpu.postgres),
        per(cpu.rabbitmq)
    );
    let top: Vec<String> = threads
        .iter()
        .take(5)
        .map(|(name, s)| format!("{name} {s:.1}s"))
        .collect();
    println!("  {label}: threads of this process: {}", top.join(", "));
}

fn print_percentiles(label: &str, p: &Percentiles) {
    println!(
        "  {label:<44} n {:>6}  p50 {:>9.1} ms  p90 {:>9.1} ms  p99 {:>9.1} ms  max {:>9.1} ms",
        p.n, p.p50, p.p90, p.p99, p.max
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let records = env_usize("RECORDS", 500);
    let updates = env_usize("UPDATES", 20_000);
    let rate = env_usize("RATE", 2000);
    let rate_secs = env_usize("RATE_SECS", 20);
    let chain_records = env_usize("CHAIN_RECORDS", 20);
    let chain_rate = env_usize("CHAIN_RATE", 200);
    let chain_secs = env_usize("CHAIN_SECS", 10);
    let baseline_n = env_usize("BASELINE_N", 60_000);
    let rate_n = rate * rate_secs;
    let chain_n = chain_rate * chain_secs;

    println!(
        "field sync vs pipeline-raw (quorum, durable, 2 workers), same run; records {records}, \
         updates {updates}, {rate}/s for {rate_secs}s, chain of 5 with {chain_records} records at {chain_rate}/s for {chain_secs}s"
    );
    println!("load average at start: {}", load_average());
    // The baseline first, while the app does not run.
    let base = baselines(baseline_n, rate_n, rate)?;
    println!(
        "pipeline-raw: live {:.0}/s, --prefill {:.0}/s, --rate {rate}: p50 {:.1} ms, p99 {:.1} ms",
        base.live.updates_s, base.prefill.updates_s, base.rate.p50_ms, base.rate.p99_ms
    );

    let app = TestApp::spawn_with(|env| {
        tests::bench_env::apply(env, &TUNING);
        // The drain phase holds the copies' row locks while its backlog builds up.
        for name in [
            "DB_LOCK_TIMEOUT_MS",
            "DB_STATEMENT_TIMEOUT_MS",
            "HANDLER_TIMEOUT_MS",
        ] {
            env.insert(name.to_string(), "600000".to_string());
        }
    })
    .await;

    let pair = linked_orgs::build(&app, &Spec::pairs(2, records)).await;
    let (a, b) = (&pair.orgs[0], pair.orgs[1].id);
    let copies = at(&pair, 1);
    let sources = at(&pair, 0);
    let broker = org_broker(&app, a).await?;
    let ingest = Ingest::open(&app, a, &broker).await?;
    ingest.fast("warm", records, &sources).await?;
    settle(&app, b, "warm", records, STALL).await?;
    let analyzed = std::env::var("ANALYZE").is_ok_and(|v| v == "1");
    if analyzed {
        analyze(&app.db.url).await?;
    }
    println!(
        "set up: {records} linked records, warm-up of one update each settled{}",
        if analyzed { ", statistics taken" } else { "" }
    );

    // Live.
    let (cpu0, threads0) = (Cpu::now(), profile::threads());
    let tables0 = table_writes::Snapshot::take(&app.db.url).await?;
    let start = unix_micros();
    ingest.fast("live", updates, &sources).await?;
    let published = (unix_micros() - start) as f64 / 1e6;
    let live = settle(&app, b, "live", updates, STALL).await?;
    let live_rate = per_second(&live, start);
    let live_cpu = Cpu::now().since(cpu0);
    let live_threads = profile::threads_since(&threads0);
    let live_tables = table_writes::Snapshot::take(&app.db.url)
        .await?
        .since(&tables0);
    println!(
        "live: {} of {updates} settled ({} superseded, {} failed) in {:.1}s (publishing took {published:.1}s): {live_rate:.0}/s",
        live.settled,
        live.superseded,
        live.failed,
        (live.last_finished.unwrap_or(start) - start) as f64 / 1e6
    );
    let live_stages = stages(&timings(&app, b, "live").await?);

    // Backlog drain.
    let (drain, drain_rate, depth) = drain(&app, &ingest, b, &copies, &sources, updates).await?;
    println!(
        "drain: {} of {updates} settled ({} failed), {depth} waiting in the field update queue at release: {drain_rate:.0}/s",
        drain.settled, drain.failed
    );

    // 2,000/s offered.
    let sampler = Sampler::start(&app.db.url).await?;
    let (cpu0, threads0) = (Cpu::now(), profile::threads());
    let tables0 = table_writes::Snapshot::take(&app.db.url).await?;
    let start = unix_micros();
    ingest.paced("rate", rate_n, rate as f64, &sources).await?;
    let offered_for = (unix_micros() - start) as f64 / 1e6;
    let at_rate = settle(&app, b, "rate", rate_n, STALL).await?;
    let rate_cpu = Cpu::now().since(cpu0);
    let rate_threads = profile::threads_since(&threads0);
    let rate_tables = table_writes::Snapshot::take(&app.db.url)
        .await?
        .since(&tables0);
    let sampled = sampler.finish().await?;
    let rate_stages = stages(&timings(&app, b, "rate").await?);
    println!(
        "{rate}/s: offered for {offered_for:.1}s, {} of {rate_n} settled ({} superseded, {} failed), {:.0}/s kept",
        at_rate.settled,
        at_rate.superseded,
        at_rate.failed,
        per_second(&at_rate, start)
    );
    print_percentiles(&format!("{rate}/s: publish -> applied"), &rate_stages.total);

    // Five-org chain.
    let chain = linked_orgs::build(&app, &Spec::chain(5, chain_records)).await;
    let chain_broker = org_broker(&app, &chain.orgs[0]).await?;
    let chain_ingest = Ingest::open(&app, &chain.orgs[0], &chain_broker).await?;
    let chain_sources = at(&chain, 0);
    chain_ingest
        .fast("cwarm", chain_records, &chain_sources)
        .await?;
    settle(&app, chain.orgs[4].id, "cwarm", chain_records, STALL).await?;
    chain_ingest
        .paced("chain", chain_n, chain_rate as f64, &chain_sources)
        .await?;
    // B gets one update per change at A; each org after it one per update applied (not
    // superseded) at the org before.
    settle(&app, chain.orgs[1].id, "chain", chain_n, STALL).await?;
    let mut chain_done = Progress::default();
    for member in &chain.orgs[2..] {
        chain_done = settle_quiet(&app, member.id, "chain", Duration::from_secs(1)).await?;
    }
    let mut hops = Vec::new();
    for member in &chain.orgs[1..] {
        hops.push(stages(&timings(&app, member.id, "chain").await?).total);
    }
    let peak_rss = profile::memory_mb("VmHWM");

    // The sync service alone in a process beside the app (two sync workers, as the issue
    // runs them), at the offered rate again: that process's memory is the sync service's.
    let worker = two_workers(&app).await?;
    let start = unix_micros();
    let second_n = rate * env_usize("SECOND_SECS", rate_secs);
    ingest
        .paced("second", second_n, rate as f64, &sources)
        .await?;
    let second = settle(&app, b, "second", second_n, STALL).await?;
    let second_stages = stages(&timings(&app, b, "second").await?);
    let worker_rss = worker.id().map_or(f64::NAN, profile::process_peak_mb);
    drop(worker);
    println!(
        "{rate}/s with a sync-worker process beside the app: {} of {second_n} settled, {:.0}/s kept",
        second.settled,
        per_second(&second, start)
    );

    // The table.
    let ratio = |ours: f64, theirs: f64| ours / theirs;
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let live_ratio = ratio(live_rate, base.live.updates_s);
    let drain_ratio = ratio(drain_rate, base.prefill.updates_s);
    let (p50, p99) = (rate_stages.total.p50, rate_stages.total.p99);
    let single = hops[0].p99;
    let end_to_end = hops[3].p99;
    println!();
    println!(
        "| figure | PartnerNet sync | pipeline-raw | ratio | goal | |\n|---|---|---|---|---|---|"
    );
    println!(
        "| live throughput (updates/s) | {live_rate:.0} | {:.0} | {live_ratio:.2} | ≥ 0.6 | {} |",
        base.live.updates_s,
        verdict(live_ratio >= 0.6)
    );
    println!(
        "| backlog drain (updates/s) | {drain_rate:.0} | {:.0} (--prefill) | {drain_ratio:.2} | ≥ 0.5 | {} |",
        base.prefill.updates_s,
        verdict(drain_ratio >= 0.5)
    );
    println!(
        "| at {rate}/s: p50 ingest → partner's commit (ms) | {p50:.1} | {:.1} | {:.1} | ≤ 10 ms | {} |",
        base.rate.p50_ms,
        ratio(p50, base.rate.p50_ms),
        verdict(p50 <= 10.0)
    );
    println!(
        "| at {rate}/s: p90 (ms) | {:.1} | {:.1} | {:.1} | – | |",
        rate_stages.total.p90,
        base.rate.p90_ms,
        ratio(rate_stages.total.p90, base.rate.p90_ms)
    );
    println!(
        "| at {rate}/s: p99 (ms) | {p99:.1} | {:.1} | {:.1} | ≤ 100 ms | {} |",
        base.rate.p99_ms,
        ratio(p99, base.rate.p99_ms),
        verdict(p99 <= 100.0)
    );
    println!(
        "| five-org chain at {chain_rate}/s: end-to-end p99 / first hop p99 (ms) | {end_to_end:.1} / {single:.1} | – | {:.2} | ≤ 5 | {} |",
        end_to_end / single,
        verdict(end_to_end / single <= 5.0)
    );
    println!(
        "| peak RSS, all services + bench in one process (MB) | {peak_rss:.0} (at {rate}/s: {:.0}) | – | – | ≤ 150 | {} |",
        sampled.peak_rss_mb,
        verdict(peak_rss <= 150.0)
    );
    println!(
        "| peak RSS, sync service alone (sync-worker process, {rate}/s shared with the app) (MB) | {worker_rss:.0} | – | – | ≤ 150 | {} |",
        verdict(worker_rss <= 150.0)
    );
    println!(
        "| at {rate}/s, two sync processes: p50 / p99 (ms) | {:.1} / {:.1} | {:.1} / {:.1} | – | ≤ 10 / ≤ 100 | {} |",
        second_stages.total.p50,
        second_stages.total.p99,
        base.rate.p50_ms,
        base.rate.p99_ms,
        verdict(second_stages.total.p50 <= 10.0 && second_stages.total.p99 <= 100.0)
    );
    println!();

    println!("profile:");
    print_cpu("live", live_cpu, live.settled, &live_threads);
    print_cpu(
        &format!("{rate}/s"),
        rate_cpu,
        at_rate.settled,
        &rate_threads,
    );
    table_writes::print("live", &live_tables, live.settled);
    table_writes::print(&format!("{rate}/s"), &rate_tables, at_rate.settled);
    println!(
        "  stages (publish stamp -> propagation's transaction (ledger queued_at) -> apply (finished_at)):"
    );
    print_percentiles("live: publish -> applied", &live_stages.total);
    print_percentiles("live: publish -> propagated", &live_stages.to_queued);
    print_percentiles(
        "live: propagated -> applied",
        &live_stages.queued_to_applied,
    );
    print_percentiles(&format!("{rate}/s: publish -> applied"), &rate_stages.total);
    print_percentiles(
        &format!("{rate}/s: publish -> propagated"),
        &rate_stages.to_queued,
    );
    print_percentiles(
        &format!("{rate}/s: propagated -> applied"),
        &rate_stages.queued_to_applied,
    );
    for (i, hop) in hops.iter().enumerate() {
        print_percentiles(
            &format!("chain: publish at A -> applied at org {}", i + 1),
            hop,
        );
    }
    println!(
        "  chain: {chain_n} updates at A; {} settled at the last org ({} superseded there)",
        chain_done.settled, chain_done.superseded
    );
    println!(
        "  at {rate}/s, PostgreSQL backends of the app's database ({} samples, 100 % = one backend all the time):",
        sampled.samples
    );
    for (what, share) in sampled.activity.iter().take(15) {
        println!("    {share:>6.1} %  {what}");
    }
    println!("load average at end: {}", load_average());

    drop(chain_ingest);
    drop(ingest);
    drop(chain_broker);
    drop(broker);
    app.stop().await;
    Ok(())
}

/// The org's broker user; made again if the broker was too busy to answer in time (the
/// helper panics then).
async fn org_broker(app: &TestApp, org: &tests::TestOrg) -> anyhow::Result<OrgBroker> {
    use futures_util::FutureExt;
    for _ in 0..3 {
        let made = std::panic::AssertUnwindSafe(OrgBroker::create(app, org))
            .catch_unwind()
            .await;
        if let Ok(broker) = made {
            return Ok(broker);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    anyhow::bail!("the org's broker user could not be made")
}

/// Consumers of the field update queue.
async fn field_update_consumers(app: &TestApp) -> Option<u32> {
    use lapin::options::QueueDeclareOptions;
    let queue = app.topology().work_queue("sync", "field_updates");
    let connection = shared::amqp::connect(app.amqp_url(), "bench consumers")
        .await
        .ok()?;
    let channel = connection.create_channel().await.ok()?;
    let declared = channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .ok();
    let _ = connection.close(200, "done".into()).await;
    declared.map(|q| q.consumer_count())
}

/// A `sync-worker` process (the sync service alone) beside the app, once it consumes.
async fn two_workers(app: &TestApp) -> anyhow::Result<tokio::process::Child> {
    let worker = tests::steps::spawn_worker(app, env!("CARGO_BIN_EXE_sync-worker"), &[]);
    shared::testing::eventually(
        "a second field update consumer",
        Duration::from_secs(60),
        || async { (field_update_consumers(app).await? >= 2).then_some(()) },
    )
    .await;
    Ok(worker)
}

/// Every record's id at the `org`-th org of the net (the original at 0, then its copies).
fn at(net: &LinkedOrgs, org: usize) -> Vec<String> {
    net.records
        .iter()
        .filter_map(|copies| copies.iter().find(|c| c.org == org))
        .map(|c| c.record_id.clone())
        .collect()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The backlog phase: B's copies locked, `n` updates ingested and propagated (they wait in
/// the field update queue), then released. Returns the progress, settled per second from the
/// release, and how many messages the queue held at the release.
async fn drain(
    app: &TestApp,
    ingest: &Ingest,
    b: shared::ids::OrgId,
    copies: &[String],
    sources: &[String],
    n: usize,
) -> anyhow::Result<(Progress, f64, u32)> {
    let mut lock = AsyncPgConnection::establish(&app.db.url).await?;
    let ids: Vec<String> = copies
        .iter()
        .map(|c| format!("'{}'", c.replace('\'', "''")))
        .collect();
    lock.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM sync.records WHERE org_id = '{}' AND object = 'Account' \
         AND record_id IN ({}) FOR UPDATE",
        b.as_uuid(),
        ids.join(", ")
    ))
    .await?;
    ingest.fast("drain", n, sources).await?;
    // Every update propagated (Queued in the ledger) and relayed (the outbox empty).
    shared::testing::eventually(
        "the backlog propagated",
        Duration::from_secs(900),
        || async {
            let progress = load::progress(app, b, "drain").await.ok()?;
            let mut conn = app.pool().get().await.ok()?;
            let outbox: shared::db::CountRow = diesel_async::RunQueryDsl::get_result(
                diesel::sql_query("SELECT count(*) AS n FROM messaging.outbox"),
                &mut conn,
            )
            .await
            .ok()?;
            (progress.queued as usize + progress.settled as usize >= n && outbox.n == 0)
                .then_some(())
        },
    )
    .await;
    let mut depth = 0;
    for queue in tests::amqp::app_queues(app) {
        if queue.contains("field_updates") {
            depth += tests::amqp::queue_depth(app.amqp_url(), &queue)
                .await
                .unwrap_or(0);
        }
    }
    let released = unix_micros();
    lock.batch_execute("COMMIT").await?;
    let progress = settle(app, b, "drain", n, STALL).await?;
    let rate = per_second(&progress, released);
    Ok((progress, rate, depth))
}

/// `ANALYZE` of the whole database, as autovacuum may take it at any moment: here after the
/// set-up, with every table the set-up wrote analyzed and the outbox empty.
async fn analyze(database_url: &str) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    conn.batch_execute("ANALYZE").await?;
    Ok(())
}
