//! The docker-compose gateway, for real: each service as its own `partnernet serve <service>`
//! process on its own port, and a private nginx (its own prefix, pid file and port; not the
//! system's) running `deploy/gateway/nginx.conf` with the upstream host names rewritten to those
//! ports. The processes join a [`TestApp`]: same database, queue prefix and SMTP sink, so the
//! app's helpers set up the data and read the emails.
//!
//! The `partnernet` binary is the one `cargo nextest run --workspace` (`scripts/test`) builds
//! beside the test binary; nginx comes from `scripts/install-nginx`.

use crate::TestApp;
use shared::testing::eventually;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The services behind the gateway, by the host name nginx.conf gives each.
pub const SERVICES: [&str; 4] = ["invitation", "sharing", "sync", "notification"];

const NGINX: &str = "/usr/sbin/nginx";

pub struct Gateway {
    /// The gateway's address (`http://127.0.0.1:<port>`).
    pub base_url: String,
    /// Each service's own address, in the order of [`SERVICES`].
    pub services: Vec<(&'static str, String)>,
    dir: PathBuf,
    _children: Vec<Child>,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `target/<profile>/partnernet`, beside the directory of this test binary.
pub fn partnernet_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("partnernet"));
    match binary {
        Some(binary) if binary.exists() => binary,
        _ => panic!(
            "no partnernet binary beside {}: run the tests with scripts/test (cargo nextest run \
             --workspace builds it), or cargo build -p partnernet first",
            exe.display()
        ),
    }
}

/// The committed gateway configuration, made to run here: each `http://<service>:8080` to the
/// service's port, `listen 80` to `listen`, the access log into `dir`. Panics when the file no
/// longer has what is rewritten, so the test always runs the committed locations.
pub fn local_config(committed: &str, ports: &[(&str, u16)], listen: u16, dir: &Path) -> String {
    let mut conf = committed.to_string();
    let mut rewrite = |from: &str, to: &str| {
        assert!(
            conf.contains(from),
            "deploy/gateway/nginx.conf has no `{from}`"
        );
        conf = conf.replace(from, to);
    };
    for (service, port) in ports {
        rewrite(
            &format!("http://{service}:8080"),
            &format!("http://127.0.0.1:{port}"),
        );
    }
    rewrite("listen 80;", &format!("listen 127.0.0.1:{listen};"));
    rewrite(
        "/var/log/nginx/access.log",
        &dir.join("access.log").display().to_string(),
    );
    conf
}

/// The main configuration around the gateway's `server` (in docker-compose, the nginx image's
/// own `nginx.conf` includes it): one process in the foreground, everything under `dir`.
fn main_config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{}}\n\
         http {{\n  client_body_temp_path {d}/client_body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         include {d}/gateway.conf;\n}}\n"
    )
}

impl Gateway {
    pub async fn start(app: &TestApp) -> Self {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: scripts/install-nginx installs it (scripts/test runs it)"
        );
        let dir = std::env::temp_dir().join(format!("pn-gateway-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("the gateway's directory");
        let binary = partnernet_binary();
        let mut children = Vec::new();
        let mut services = Vec::new();
        let mut ports = Vec::new();
        for service in SERVICES {
            let port = free_port();
            let log =
                std::fs::File::create(dir.join(format!("{service}.log"))).expect("a log file");
            let child = Command::new(&binary)
                .args(["serve", service])
                .env("DATABASE_URL", app.database_url())
                .env("AMQP_URL", app.amqp_url())
                .env("QUEUE_PREFIX", app.topology().prefix())
                .env(
                    "PUBLIC_BASE_URL",
                    &app.config.invitation.common.public_base_url,
                )
                .env("SMTP_URL", app.smtp.url())
                .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
                .env("OUTBOX_POLL_MS", "20")
                .env("EMAIL_POLL_MS", "20")
                .env("DB_POOL_SIZE", "4")
                .stdout(Stdio::null())
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|err| panic!("starting partnernet serve {service}: {err}"));
            children.push(child);
            services.push((service, format!("http://127.0.0.1:{port}")));
            ports.push((service, port));
        }
        for (service, url) in &services {
            let health = format!("{url}/healthz");
            eventually(
                &format!("partnernet serve {service} answers"),
                Duration::from_secs(60),
                || async {
                    reqwest::get(&health)
                        .await
                        .ok()
                        .filter(|r| r.status().is_success())
                },
            )
            .await;
        }

        let committed = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/gateway/nginx.conf"),
        )
        .expect("deploy/gateway/nginx.conf");
        let listen = free_port();
        std::fs::write(
            dir.join("gateway.conf"),
            local_config(&committed, &ports, listen, &dir),
        )
        .expect("gateway.conf written");
        std::fs::write(dir.join("nginx.conf"), main_config(&dir)).expect("nginx.conf written");
        let nginx = Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nginx starts");
        children.push(nginx);
        let gateway = Self {
            base_url: format!("http://127.0.0.1:{listen}"),
            services,
            dir,
            _children: children,
        };
        let health = format!("{}/gateway/healthz", gateway.base_url);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(&health).await
                && response.status().is_success()
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the gateway did not start:\n{}",
                gateway.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        gateway
    }

    /// nginx's error log and each service's log, for a failing test's message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for name in [
            "error.log",
            "invitation.log",
            "sharing.log",
            "sync.log",
            "notification.log",
        ] {
            let text = std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            out.push_str(&format!("--- {name}\n"));
            for line in tail.into_iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // The processes are killed as their handles drop (kill_on_drop).
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
