//! The soak's faults: `sync-worker` processes beside the app, killed with SIGKILL and started
//! again; and broker connection drops (the broker closes them, through the management API's
//! `DELETE /api/connections/{name}`, as an operator or a broker-side failure would).

use anyhow::Context;
use shared::testing::eventually;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;
use tests::TestApp;

/// The `sync-worker` processes of the run.
pub struct Workers {
    binary: PathBuf,
    children: Vec<tokio::process::Child>,
    kills: usize,
}

impl Workers {
    /// Starts `n` workers (the binary beside this one) and waits until their field update
    /// consumers are up.
    pub async fn start(app: &TestApp, n: usize) -> anyhow::Result<Self> {
        let binary = std::env::current_exe()?
            .parent()
            .context("the soak binary's directory")?
            .join("sync-worker");
        anyhow::ensure!(
            binary.exists(),
            "{} is missing: build it with the soak (scripts/soak does)",
            binary.display()
        );
        let mut workers = Self {
            binary,
            children: Vec::new(),
            kills: 0,
        };
        for _ in 0..n {
            workers.children.push(workers.spawn(app));
        }
        workers.wait_consumers(app).await;
        Ok(workers)
    }

    fn spawn(&self, app: &TestApp) -> tokio::process::Child {
        let binary = self.binary.to_string_lossy();
        tests::steps::spawn_worker(app, &binary, &[])
    }

    /// Until the field update queue has a consumer in the app and one in each worker.
    async fn wait_consumers(&self, app: &TestApp) {
        let want = u32::try_from(self.children.len() + 1).unwrap_or(u32::MAX);
        eventually(
            "every sync worker's field update consumer",
            Duration::from_secs(120),
            || async { (field_update_consumers(app).await? >= want).then_some(()) },
        )
        .await;
    }

    /// Kills the next worker (in turn) with SIGKILL, starts a new one in its place and waits
    /// for its consumers.
    pub async fn kill_one(&mut self, app: &TestApp) -> anyhow::Result<()> {
        let i = self.kills % self.children.len();
        self.kills += 1;
        let child = &mut self.children[i];
        child.start_kill().context("SIGKILL")?;
        child.wait().await.context("the killed worker's end")?;
        self.children[i] = self.spawn(app);
        self.wait_consumers(app).await;
        Ok(())
    }

    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().filter_map(|c| c.id()).collect()
    }

    /// Ends every worker (SIGKILL: nothing is left to do once the run is checked).
    pub async fn stop(mut self) {
        for child in &mut self.children {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}

/// Consumers of the sync service's field update queue (every process's).
async fn field_update_consumers(app: &TestApp) -> Option<u32> {
    let queue = app.topology().work_queue("sync", "field_updates");
    tests::amqp::consumer_count(app.amqp_url(), &queue).await
}

/// The management API, as the broker's administrator (the variables `scripts/test` sets).
struct Management {
    url: String,
    user: String,
    password: String,
    http: reqwest::Client,
}

impl Management {
    fn from_env() -> Self {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
        Self {
            url: var("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672")
                .trim_end_matches('/')
                .to_string(),
            user: var("RABBITMQ_ADMIN_USER", "guest"),
            password: var("RABBITMQ_ADMIN_PASSWORD", "guest"),
            http: reqwest::Client::new(),
        }
    }
}

#[derive(serde::Deserialize)]
struct BrokerConnection {
    name: String,
    #[serde(default)]
    peer_port: Option<u16>,
    #[serde(default)]
    client_properties: serde_json::Value,
}

/// Closes every broker connection of the run's sync workers: those of the worker processes
/// (found by their local ports, through /proc) and the sync consumers of the app (named after
/// their work queue, which carries the run's unique queue prefix). Returns how many were closed.
pub async fn drop_connections(app: &TestApp, worker_pids: &[u32]) -> anyhow::Result<usize> {
    let management = Management::from_env();
    let ports = local_ports(worker_pids);
    let sync_consumers = format!("consumer {}.sync.", app.topology().prefix());
    let listed: Vec<BrokerConnection> = management
        .http
        .get(format!(
            "{}/api/connections?columns=name,peer_port,client_properties",
            management.url
        ))
        .basic_auth(&management.user, Some(&management.password))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .context("listing the broker's connections")?
        .error_for_status()?
        .json()
        .await?;
    let mut closed = 0;
    for connection in listed {
        let named = connection.client_properties["connection_name"]
            .as_str()
            .unwrap_or_default();
        let ours = named.starts_with(&sync_consumers)
            || connection.peer_port.is_some_and(|p| ports.contains(&p));
        if !ours {
            continue;
        }
        let response = management
            .http
            .delete(format!(
                "{}/api/connections/{}",
                management.url,
                encode(&connection.name)
            ))
            .basic_auth(&management.user, Some(&management.password))
            .header("X-Reason", "soak: broker connection drop")
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .context("closing a connection")?;
        if response.status().is_success() {
            closed += 1;
        }
    }
    Ok(closed)
}

/// A path segment, percent-encoded (a connection's name is `host:port -> host:port`).
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The local TCP ports of the processes' sockets (Linux: their fds' socket inodes, looked up in
/// /proc/net/tcp and tcp6).
fn local_ports(pids: &[u32]) -> HashSet<u16> {
    let mut inodes = HashSet::new();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
            {
                inodes.insert(inode.to_string());
            }
        }
    }
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(inode)) = (columns.get(1), columns.get(9)) else {
                continue;
            };
            if !inodes.contains(*inode) {
                continue;
            }
            if let Some(port) = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
            {
                ports.insert(port);
            }
        }
    }
    ports
}
