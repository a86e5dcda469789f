//! The chromedriver process behind one `Browser`: started on a free port, in a process group of
//! its own so that ending the group ends chromedriver and every Chromium process it started,
//! with a working directory (its log, Chromium's profile) removed afterwards.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `chromium-driver` puts chromedriver (`scripts/install-browser`).
const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's `chromium` launcher.
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// Chromedriver and Chromium start slowly on a loaded 2-core machine.
pub const START_DEADLINE: Duration = Duration::from_secs(30);

/// chromedriver's path: `CHROMEDRIVER`, else Debian's.
pub fn chromedriver_path() -> PathBuf {
    std::env::var_os("CHROMEDRIVER").map_or_else(|| DEFAULT_CHROMEDRIVER.into(), PathBuf::from)
}

/// Chromium's path: `CHROMIUM`, else Debian's.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| DEFAULT_CHROMIUM.into(), PathBuf::from)
}

/// A running chromedriver; dropping it kills its process group and removes its directory.
pub struct Driver {
    child: Child,
    pub port: u16,
    /// This driver's own directory: `chromedriver.log`, Chromium's profile and temporary files.
    pub dir: PathBuf,
}

impl Driver {
    /// Starts chromedriver and waits (30 s at most) until it answers `/status` as ready.
    pub async fn start() -> Self {
        let binary = chromedriver_path();
        assert!(
            binary.exists(),
            "no chromedriver at {}: run scripts/install-browser (Debian's chromium and \
             chromium-driver), or set CHROMEDRIVER",
            binary.display()
        );
        let dir = std::env::temp_dir().join(format!("pn-browser-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a directory for the browser");
        let log = File::create(dir.join("chromedriver.log")).expect("chromedriver's log file");
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            // Chromium's temporary files (shared memory without /dev/shm, its singleton socket)
            // go into this directory too, so that removing it leaves nothing in /tmp.
            .env("TMPDIR", &dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file, twice"))
            .stderr(log)
            // Its own process group: Chromium's processes join it, and one kill ends them all.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver ({}) did not start: {e}", binary.display()));
        let mut driver = Self { child, port, dir };
        driver.wait_ready().await;
        driver
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of chromedriver's log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.dir.join("chromedriver.log"))
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let status_url = format!("{}/status", self.url());
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!(
                    "chromedriver exited ({exit}) before it was ready; its log:\n{}",
                    self.log_tail()
                );
            }
            let ready = match http.get(&status_url).send().await {
                Ok(response) => response
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|body| body["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver was not ready after {START_DEADLINE:?}; its log:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The negative pid names the process group: chromedriver and the Chromium it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nobody listens on now (chromedriver binds it a moment later).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
