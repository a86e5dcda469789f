//! The machine's limit for a sync pipeline in this run: `/work/shared/bench/baseline`'s
//! `pipeline-raw` on quorum queues (persistent messages, confirms, `synchronous_commit` on),
//! two workers, live, `--prefill` and `--rate 2000`; its one JSON line parsed.
//!
//! `BASELINE_BIN` names a built binary; otherwise it is run with `cargo run --release` from
//! `BASELINE_MANIFEST` (default `/work/shared/bench/baseline/Cargo.toml`) into
//! `BASELINE_TARGET_DIR` (default `$CARGO_TARGET_DIR/baseline`).

use serde_json::Value;

/// What one `pipeline-raw` run printed.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub updates_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
}

pub fn pipeline_raw(n: usize, extra: &[&str]) -> anyhow::Result<Run> {
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
    args.extend_from_slice(extra);
    let mut command = match std::env::var("BASELINE_BIN") {
        Ok(binary) => std::process::Command::new(binary),
        Err(_) => {
            let manifest = std::env::var("BASELINE_MANIFEST")
                .unwrap_or_else(|_| "/work/shared/bench/baseline/Cargo.toml".into());
            let target = std::env::var("BASELINE_TARGET_DIR").unwrap_or_else(|_| {
                let ours = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
                format!("{ours}/baseline")
            });
            let mut command = std::process::Command::new("cargo");
            command
                .args(["run", "-q", "--release", "--manifest-path", &manifest, "--"])
                .env("CARGO_TARGET_DIR", target);
            command
        }
    };
    // Its own database (PG_URL, default `baseline_bench`); AMQP_URL is the broker we use too.
    command.args(&args);
    let output = command.output()?;
    anyhow::ensure!(
        output.status.success(),
        "pipeline-raw {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.trim().lines().last().unwrap_or("{}");
    let json: Value = serde_json::from_str(line)?;
    let f = |path: &[&str]| {
        path.iter()
            .fold(&json, |v, k| &v[*k])
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    Ok(Run {
        updates_s: f(&["e2e_updates_s"]),
        p50_ms: f(&["latency", "p50_ms"]),
        p90_ms: f(&["latency", "p90_ms"]),
        p99_ms: f(&["latency", "p99_ms"]),
    })
}
