//! The consumer runtime's throughput, latency and CPU per message, beside the machine's raw
//! baseline (`pipeline-raw` of `/work/shared/bench/baseline`) in the same run, with ratios.
//!
//!     scripts/bench-runtime                                  # builds the baseline, then this
//!     BASELINE_BIN=... cargo bench -p tests --bench runtime_throughput
//!
//! PartnerNet side: a quorum work queue, the runtime with a trivial batched handler (one row
//! update per message, ordered by record id), inbox on; then the same with one outbox row per
//! message (the relay is not running: only the write is measured). Three loads, as the baseline:
//! live (publish as fast as confirms allow while consuming), drain (a backlog published first),
//! and 2,000 messages/s offered (latency). `MESSAGES` (default 20000) and `RATE_MESSAGES`
//! (default 10000) set the sizes; `LOADS` (default `live,drain,rate`) and `OUTBOX` (default
//! `off,on`) choose what runs, to profile one of them. Latency is measured when the handler
//! returns (before commit).

mod cpu;
mod load;

use load::{Load, Outcome};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated setting, as its items.
fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|item| item.trim().to_string())
        .collect()
}

/// The baseline's figures for one load, from its JSON line.
fn baseline(load: Load, n: usize) -> anyhow::Result<Outcome> {
    // Where `scripts/bench-runtime` builds it, unless named.
    let binary = std::env::var("BASELINE_BIN").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
        format!("{target}/baseline/release/sync-baseline-bench")
    });
    let n = n.to_string();
    let mut args = vec![
        "pipeline-raw",
        "--queue-type",
        "quorum",
        "--workers",
        "2",
        "--n",
        &n,
    ];
    match load {
        Load::Live => {}
        Load::Drain => args.push("--prefill"),
        Load::Rate(_) => args.extend(["--rate", "2000"]),
    }
    let output = std::process::Command::new(&binary).args(&args).output()?;
    anyhow::ensure!(
        output.status.success(),
        "baseline {binary} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8_lossy(&output.stdout);
    let json: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap_or("{}"))?;
    let f = |path: &[&str]| {
        path.iter()
            .fold(&json, |v, k| &v[*k])
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    Ok(Outcome {
        per_second: f(&["e2e_updates_s"]),
        p50_ms: f(&["latency", "p50_ms"]),
        p99_ms: f(&["latency", "p99_ms"]),
        cpu_us: f(&["cpu", "us_per_item", "total"]),
        cpu_split: [
            f(&["cpu", "us_per_item", "rabbit"]),
            f(&["cpu", "us_per_item", "pg"]),
            f(&["cpu", "us_per_item", "bench"]),
        ],
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n = env_usize("MESSAGES", 20_000);
    let rate_n = env_usize("RATE_MESSAGES", 10_000);
    let loads = [
        (Load::Live, n),
        (Load::Drain, n),
        (Load::Rate(2000.0), rate_n),
    ];
    println!(
        "consumer runtime vs pipeline-raw (quorum queues, durable), same run; messages: {n}, at 2k/s: {rate_n}"
    );
    println!(
        "{:<14} {:<22} {:>10} {:>9} {:>9} {:>10} {:>15} {:>8}",
        "load", "who", "msgs/s", "p50 ms", "p99 ms", "cpu µs/msg", "rmq/pg/client", "ratio"
    );
    let chosen_loads = env_list("LOADS", "live,drain,rate");
    let outbox_modes: Vec<bool> = env_list("OUTBOX", "off,on")
        .iter()
        .map(|mode| mode == "on")
        .collect();
    for (load, count) in loads {
        if !chosen_loads.iter().any(|name| name == load.key()) {
            continue;
        }
        let base = baseline(load, count)?;
        base.print(load, "pipeline-raw", None);
        for &outbox in &outbox_modes {
            let ours = load::partnernet(load, count, outbox).await?;
            let who = if outbox {
                "partnernet +outbox"
            } else {
                "partnernet inbox"
            };
            ours.print(load, who, Some(&base));
        }
    }
    println!(
        "ratio: msgs/s against pipeline-raw (higher is better); at 2k/s: p50 against pipeline-raw's (lower is better)"
    );
    Ok(())
}
