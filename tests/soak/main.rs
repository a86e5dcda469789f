//! Field sync soak: N field updates across several orgs and links, made at both ends of every
//! link and applied by the app's sync service and `--workers` `sync-worker` processes, with
//! optional faults spread through the run (`--kills`: a worker killed with SIGKILL and started
//! again; `--drops`: the broker closes the sync workers' connections; `--pg-restart`:
//! PostgreSQL stopped, fast shutdown and crash in turn, and started again). Then every copy is
//! compared with a serial replay of the updates (see `check.rs`), and the figures printed.
//! Exits 1 if anything was lost, duplicated or regressed.
//!
//!     scripts/soak --updates 100000 --kills 5 --drops 2
//!     scripts/soak --updates 20000 --kills 2 --drops 1 --pg-restart 2
//!
//! Needs the test servers and `scripts/test`'s variables (scripts/soak sets them). With
//! `--pg-restart`, the run's database is on a private cluster it starts itself (`initdb` and
//! `pg_ctl` on `--pg-port`, see `tests::private_postgres`): the shared server is never
//! restarted. Not part of the test suite.

mod check;
mod faults;
mod options;
mod workload;

use check::Copies;
use faults::Workers;
use options::Options;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::TestApp;
use tests::linked_orgs::{self, Spec};
use tests::private_postgres::{PrivatePostgres, Shutdown};

/// A fault, once the run has settled this fraction of its expected ledger rows.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Kill,
    Drop,
    PgRestart,
}

/// Kills, drops and PostgreSQL restarts interleaved, each kind spread evenly through the run.
fn schedule(options: &Options) -> Vec<Fault> {
    let kinds = [
        (Fault::Kill, options.kills),
        (Fault::Drop, options.drops),
        (Fault::PgRestart, options.pg_restarts),
    ];
    // The k-th of n faults of a kind at k/(n+1) of the run; in that order, then by kind.
    let mut at: Vec<(f64, usize, Fault)> = Vec::new();
    for (order, (fault, n)) in kinds.into_iter().enumerate() {
        for k in 1..=n {
            at.push((k as f64 / (n + 1) as f64, order, fault));
        }
    }
    at.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    at.into_iter().map(|(_, _, fault)| fault).collect()
}

/// The run's database: the test database on the shared server, or (for PostgreSQL restarts)
/// one on a private cluster started here.
async fn app_for(options: &Options) -> anyhow::Result<(TestApp, Option<Arc<PrivatePostgres>>)> {
    if options.pg_restarts == 0 {
        return Ok((TestApp::spawn().await, None));
    }
    let port = options.pg_port;
    let pg = tokio::task::spawn_blocking(move || PrivatePostgres::start_on(port)).await?;
    shared::db::ensure_database(&pg.url("postgres"), "partnernet").await?;
    let url = pg.url("partnernet");
    shared::db::run_migrations(&url, partnernet::all_migrations()).await?;
    println!("a private PostgreSQL cluster on port {port} for the run");
    let app = TestApp::spawn_with(|env| {
        env.insert("DATABASE_URL".into(), url);
    })
    .await;
    Ok((app, Some(Arc::new(pg))))
}

/// Restarts the private cluster, fast shutdown and crash in turn; returns the mode and how
/// long PostgreSQL was away.
async fn restart(pg: &Arc<PrivatePostgres>, n: usize) -> anyhow::Result<(Shutdown, Duration)> {
    let mode = if n.is_multiple_of(2) {
        Shutdown::Fast
    } else {
        Shutdown::Immediate
    };
    let pg = pg.clone();
    let start = Instant::now();
    tokio::task::spawn_blocking(move || pg.restart(mode)).await?;
    Ok((mode, start.elapsed()))
}

/// Runs the faults, each when the settled ledger rows pass its share of `expected` (or when
/// they stop moving for a while: the run may settle with fewer rows than expected).
async fn inject(
    app: &TestApp,
    workers: &mut Workers,
    pg: Option<&Arc<PrivatePostgres>>,
    faults: &[Fault],
    expected: usize,
) -> usize {
    let mut closed = 0;
    let mut restarts = 0;
    for (i, fault) in faults.iter().enumerate() {
        let due = (expected * (i + 1) / (faults.len() + 1)) as i64;
        let mut last = (-1, Instant::now());
        loop {
            let settled = check::settled(app).await;
            if settled >= due || last.1.elapsed() > Duration::from_secs(15) {
                break;
            }
            if settled != last.0 {
                last = (settled, Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let settled = check::settled(app).await;
        match fault {
            Fault::Kill => {
                if let Err(e) = workers.kill_one(app).await {
                    println!("  kill failed: {e:#}");
                }
                println!(
                    "  killed a sync worker (SIGKILL) at {settled} settled ledger rows; restarted"
                );
            }
            Fault::Drop => match faults::drop_connections(app, &workers.pids()).await {
                Ok(n) => {
                    closed += n;
                    println!(
                        "  dropped {n} sync broker connections at {settled} settled ledger rows"
                    );
                }
                Err(e) => println!("  connection drop failed: {e:#}"),
            },
            Fault::PgRestart => {
                let Some(pg) = pg else { continue };
                match restart(pg, restarts).await {
                    Ok((mode, away)) => println!(
                        "  restarted PostgreSQL ({} shutdown) at {settled} settled ledger rows; \
                         back after {:.1}s",
                        mode.as_str(),
                        away.as_secs_f64()
                    ),
                    Err(e) => println!("  PostgreSQL restart failed: {e:#}"),
                }
                restarts += 1;
            }
        }
    }
    closed
}

async fn run(options: Options) -> anyhow::Result<bool> {
    let (app, pg) = app_for(&options).await?;
    let spec = Spec {
        orgs: options.orgs,
        shape: options.shape,
        records: options.records,
        fields: linked_orgs::FIELDS.iter().map(|f| f.to_string()).collect(),
    };
    let setup = Instant::now();
    let net = linked_orgs::build(&app, &spec).await;
    let copies: usize = net.records.iter().map(Vec::len).sum();
    println!(
        "set up {} orgs ({:?}), {} connections, {} records, {copies} copies in {:.1}s",
        net.orgs.len(),
        options.shape,
        net.connections.len(),
        net.records.len(),
        setup.elapsed().as_secs_f64()
    );
    let plan = workload::Plan::new(&net, &spec.fields, options.updates);
    let brokers = workload::brokers(&app, &net).await;
    let before = Copies::read(&app, &net).await?;
    let mut workers = Workers::start(&app, options.workers).await?;
    // One ledger row per update per link it crosses: a record's update reaches every other copy.
    let hops = net
        .records
        .first()
        .map_or(1, |r| r.len().saturating_sub(1).max(1));
    let expected = options.updates * hops;
    let faults = schedule(&options);

    let start = Instant::now();
    let sending = async {
        workload::send(&app, &net, &brokers, &plan).await;
        let took = start.elapsed();
        println!(
            "  sent {} updates in {:.1}s",
            options.updates,
            took.as_secs_f64()
        );
        took
    };
    let faulting = inject(&app, &mut workers, pg.as_ref(), &faults, expected);
    let purging = async {
        // Until the check is done; nothing reads the change feeds.
        loop {
            workload::purge_feeds(&app, &brokers).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    };
    let work = async {
        let (sent, closed) = tokio::join!(sending, faulting);
        check::quiesce(
            &app,
            &net,
            &plan,
            Duration::from_secs(60),
            Duration::from_secs(3600),
        )
        .await;
        (sent, closed)
    };
    let (sent, closed) = tokio::select! {
        done = work => done,
        () = purging => unreachable!("the purge loop never ends"),
    };
    let wall = start.elapsed();
    let counts = check::count(&app, &net, &plan, &before).await?;
    workers.stop().await;

    let secs = wall.as_secs_f64();
    println!(
        "soak: {} orgs ({:?}), {} records, {copies} copies; {} sync-worker processes beside the app; \
         {} kills, {} drops ({closed} connections closed), {} PostgreSQL restarts",
        net.orgs.len(),
        options.shape,
        net.records.len(),
        options.workers,
        options.kills,
        options.drops,
        options.pg_restarts,
    );
    println!("  updates sent      {}", options.updates);
    println!(
        "  ledger rows       {} (one per update per link crossed)",
        counts.ledger_rows
    );
    println!("  applied           {}", counts.applied);
    println!("  resolved          {}", counts.resolved);
    println!("  superseded        {}", counts.superseded);
    println!("  failed            {}", counts.failed);
    println!("  still open        {}", counts.open);
    println!("  dead-lettered     {}", counts.dead_lettered);
    println!("  lost              {}", counts.lost);
    println!("  duplicated        {}", counts.duplicated);
    println!("  regressed         {}", counts.regressed);
    println!(
        "  wall time         {secs:.1}s (sending {:.1}s)",
        sent.as_secs_f64()
    );
    println!("  updates/s         {:.0}", options.updates as f64 / secs);
    let ok = counts.lost == 0 && counts.duplicated == 0 && counts.regressed == 0;
    println!("{}", if ok { "PASS" } else { "FAIL" });
    drop(brokers);
    app.stop().await;
    // The private cluster (if any) is stopped and removed as `pg` drops.
    drop(pg);
    Ok(ok)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    shared::telemetry::init_for_tests();
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    println!("{options:?}");
    match run(options).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("soak: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
