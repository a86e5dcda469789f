//! A PostgreSQL cluster of the test's own (`initdb` + `pg_ctl`), for fault tests that crash a
//! database: the shared server is never touched. Listens on `PN_PRIVATE_PG_PORT` (5444 by
//! default), trust auth, data under a temporary directory; stopped and removed on drop. Run as
//! the `postgres` OS user when the tests run as root (PostgreSQL refuses root).

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// How `pg_ctl stop` ends the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Clients disconnected, a checkpoint, then the end.
    Fast,
    /// A crash: no checkpoint; the next start recovers from the WAL.
    Immediate,
}

impl Shutdown {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Immediate => "immediate",
        }
    }
}

pub struct PrivatePostgres {
    dir: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    pub fn start() -> Self {
        let port: u16 = std::env::var("PN_PRIVATE_PG_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(5444);
        Self::start_on(port)
    }

    /// A cluster listening on `port` (its data under a directory named after the port).
    pub fn start_on(port: u16) -> Self {
        let dir = std::env::temp_dir().join(format!("pn-postgres-{port}"));
        let cluster = Self { dir, port };
        // A cluster left running by a killed test: stop it (ours by its directory).
        let _ = cluster.pg_ctl(&["stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(&cluster.dir);
        std::fs::create_dir_all(&cluster.dir).expect("a directory for the private cluster");
        cluster.give_to_postgres();
        let data = cluster.data();
        assert!(
            cluster.run(
                "initdb",
                &["-D", &data, "--auth=trust", "-U", "postgres", "--no-sync"]
            ),
            "initdb ran"
        );
        cluster.start_server();
        cluster
    }

    /// A URL for database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// `pg_ctl restart -m immediate`: a crash (no checkpoint), then recovery from the WAL.
    pub fn crash_and_restart(&self) {
        self.restart(Shutdown::Immediate);
    }

    /// Stops the cluster with `mode` and starts it again (waiting until it accepts
    /// connections).
    pub fn restart(&self, mode: Shutdown) {
        assert!(
            self.pg_ctl(&["stop", "-m", mode.as_str()]),
            "the cluster stopped ({})",
            mode.as_str()
        );
        self.start_server();
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        let started = self.pg_ctl(&[
            "start",
            "-w",
            "-t",
            "60",
            "-o",
            &options,
            "-l",
            log.to_str().unwrap_or_default(),
        ]);
        assert!(
            started,
            "the private cluster started (see {})",
            log.display()
        );
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    fn pg_ctl(&self, args: &[&str]) -> bool {
        let data = self.data();
        let mut all = vec!["-D", data.as_str()];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    /// Runs a PostgreSQL tool, as the `postgres` user when we are root.
    fn run(&self, tool: &str, args: &[&str]) -> bool {
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", tool]);
            c
        } else {
            Command::new(tool)
        };
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn give_to_postgres(&self) {
        if is_root() {
            let _ = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&self.dir)
                .status();
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
