//! Where the time goes, without perf: CPU seconds of this process (every PartnerNet service
//! runs in it), of PostgreSQL and of RabbitMQ from `/proc`; this process's threads by name;
//! what PostgreSQL's backends of the app's database are doing, sampled from
//! `pg_stat_activity`; and this process's resident memory.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// (comm, utime + stime in ticks) of a `/proc/.../stat` file.
fn stat(path: &std::path::Path) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 2..].split(' ').collect();
    // After the comm: state is field 3; utime and stime are fields 14 and 15.
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// CPU seconds so far of this process, of every `postgres` process and of RabbitMQ's
/// `beam.smp` (the machine's whole servers: other users' work counts too).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    pub bench: f64,
    pub postgres: f64,
    pub rabbitmq: f64,
}

impl Cpu {
    pub fn now() -> Self {
        let mut cpu = Self::default();
        if let Some((_, t)) = stat(std::path::Path::new("/proc/self/stat")) {
            cpu.bench = t as f64 / TICKS;
        }
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return cpu;
        };
        for entry in dir.flatten() {
            let Some((comm, t)) = stat(&entry.path().join("stat")) else {
                continue;
            };
            if comm == "postgres" {
                cpu.postgres += t as f64 / TICKS;
            } else if comm.starts_with("beam") {
                cpu.rabbitmq += t as f64 / TICKS;
            }
        }
        cpu
    }

    pub fn since(self, before: Self) -> Self {
        Self {
            bench: self.bench - before.bench,
            postgres: self.postgres - before.postgres,
            rabbitmq: self.rabbitmq - before.rabbitmq,
        }
    }
}

/// CPU ticks of this process's threads, summed by thread name.
pub fn threads() -> HashMap<String, u64> {
    let mut by_name = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for entry in dir.flatten() {
            if let Some((comm, t)) = stat(&entry.path().join("stat")) {
                *by_name.entry(comm).or_insert(0) += t;
            }
        }
    }
    by_name
}

/// The thread CPU seconds spent between two [`threads`] readings, largest first.
pub fn threads_since(before: &HashMap<String, u64>) -> Vec<(String, f64)> {
    let mut spent: Vec<(String, f64)> = threads()
        .into_iter()
        .map(|(name, t)| {
            let was = before.get(&name).copied().unwrap_or(0);
            (name, t.saturating_sub(was) as f64 / TICKS)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    spent.sort_by(|a, b| b.1.total_cmp(&a.1));
    spent
}

/// A `/proc/self/status` value in MB (`VmRSS`, `VmHWM`).
pub fn memory_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Another process's peak resident memory (`VmHWM`), in MB.
pub fn process_peak_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[derive(diesel::QueryableByName)]
struct Activity {
    #[diesel(sql_type = diesel::sql_types::Text)]
    what: String,
}

/// Samples, every 10 ms until stopped, what the app database's backends do: active statements
/// (with their wait event, or CPU) and transactions idle between statements (waiting for the
/// application). Also keeps the peak resident memory of this process seen meanwhile.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(HashMap<String, u64>, u64, f64)>,
}

pub struct Sampled {
    /// (what, share of samples in %), largest first.
    pub activity: Vec<(String, f64)>,
    pub samples: u64,
    pub peak_rss_mb: f64,
}

impl Sampler {
    pub async fn start(database_url: &str) -> anyhow::Result<Self> {
        let mut conn = AsyncPgConnection::establish(database_url).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut seen: HashMap<String, u64> = HashMap::new();
            let mut samples = 0;
            let mut peak = 0.0f64;
            while !AtomicBool::load(&stopped, Ordering::Relaxed) {
                let rows: Vec<Activity> = diesel::sql_query(
                    "SELECT CASE WHEN state = 'active' THEN \
                         coalesce(wait_event_type || ':' || wait_event, 'CPU') ELSE state END \
                         || ' | ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS what \
                     FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid() \
                       AND state IN ('active', 'idle in transaction')",
                )
                .load(&mut conn)
                .await
                .unwrap_or_default();
                samples += 1;
                for row in rows {
                    *seen.entry(row.what).or_insert(0) += 1;
                }
                peak = peak.max(memory_mb("VmRSS"));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (seen, samples, peak)
        });
        Ok(Self { stop, task })
    }

    pub async fn finish(self) -> anyhow::Result<Sampled> {
        self.stop.store(true, Ordering::Relaxed);
        let (seen, samples, peak_rss_mb) = self.task.await?;
        let mut activity: Vec<(String, f64)> = seen
            .into_iter()
            .map(|(what, n)| (what, 100.0 * n as f64 / samples.max(1) as f64))
            .collect();
        activity.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(Sampled {
            activity,
            samples,
            peak_rss_mb,
        })
    }
}
