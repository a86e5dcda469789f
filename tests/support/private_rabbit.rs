//! A RabbitMQ node of the test's own, for fault tests that stop or kill a broker: the shared
//! broker is never touched. Started on `PN_PRIVATE_AMQP_PORT` (5684 by default) with its own
//! node name, Erlang cookie, data and log directories under a temporary directory; stopped and
//! removed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct PrivateRabbit {
    dir: PathBuf,
    node: String,
    port: u16,
    server: Option<Child>,
}

fn server_bin() -> String {
    std::env::var("RABBITMQ_SERVER_BIN")
        .unwrap_or_else(|_| "/usr/lib/rabbitmq/bin/rabbitmq-server".into())
}

fn ctl_bin() -> String {
    std::env::var("RABBITMQCTL_BIN").unwrap_or_else(|_| "/usr/lib/rabbitmq/bin/rabbitmqctl".into())
}

impl PrivateRabbit {
    /// Starts a fresh node and waits until it accepts connections.
    pub fn start() -> Self {
        let port: u16 = std::env::var("PN_PRIVATE_AMQP_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(5684);
        let node = format!("pn-test-{port}@localhost");
        let dir = std::env::temp_dir().join(format!("pn-rabbit-{port}"));
        let mut rabbit = Self {
            dir,
            node,
            port,
            server: None,
        };
        // A node left running by a test that was killed: stop it (it is ours by its name).
        let _ = rabbit.ctl(&["stop"]);
        let _ = std::fs::remove_dir_all(&rabbit.dir);
        std::fs::create_dir_all(&rabbit.dir).expect("a directory for the private broker");
        let write = |name: &str, text: &str| {
            std::fs::write(rabbit.dir.join(name), text).expect("a broker config file");
        };
        write("enabled_plugins", "[].\n");
        write(
            "rabbitmq.conf",
            &format!("listeners.tcp.local = 127.0.0.1:{port}\nloopback_users = none\n"),
        );
        write("rabbitmq-env.conf", "");
        // The deployment's own broker settings (the dead-letter worker's resend delay).
        write(
            "advanced.config",
            include_str!("../../deploy/rabbitmq/advanced.config"),
        );
        write(".erlang.cookie", &format!("pnprivatecookie{port}"));
        set_owner_only(&rabbit.dir.join(".erlang.cookie"));
        rabbit.boot();
        rabbit
    }

    pub fn amqp_url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Stops the node cleanly (`rabbitmqctl stop`) and starts it again.
    pub fn restart(&mut self) {
        let stopped = self.ctl(&["stop"]);
        assert!(stopped, "rabbitmqctl stop succeeded");
        if let Some(mut server) = self.server.take() {
            let _ = server.wait();
        }
        self.boot();
    }

    /// Kills the node with SIGKILL (no chance to flush anything) and starts it again.
    pub fn kill_and_restart(&mut self) {
        let pid = std::fs::read_to_string(self.dir.join("pid")).expect("the broker's pid file");
        let status = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "the broker was killed");
        if let Some(mut server) = self.server.take() {
            let _ = server.wait();
        }
        self.boot();
    }

    fn boot(&mut self) {
        let log = std::fs::File::create(self.dir.join("server.log")).expect("a log file");
        let server = self
            .command(&server_bin())
            .stdout(Stdio::from(log.try_clone().expect("a log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("rabbitmq-server starts");
        self.server = Some(server);
        let pid_file = self.dir.join("pid");
        let waited = self.ctl(&[
            "wait",
            pid_file.to_str().unwrap_or_default(),
            "--timeout",
            "90",
        ]);
        assert!(
            waited,
            "the private broker started (see {})",
            self.dir.display()
        );
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        let dir = &self.dir;
        command
            .current_dir(dir) // where an Erlang crash dump would land
            .env("HOME", dir)
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env(
                "RABBITMQ_DIST_PORT",
                (u32::from(self.port) + 20000).to_string(),
            )
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", dir.join("advanced.config"))
            .env("RABBITMQ_CONF_ENV_FILE", dir.join("rabbitmq-env.conf"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_PID_FILE", dir.join("pid"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1");
        command
    }

    /// Evaluates an Erlang expression on the node (`rabbitmqctl eval`) and answers what it
    /// printed; `None` if the command failed.
    pub fn eval(&self, expression: &str) -> Option<String> {
        let output = self
            .command(&ctl_bin())
            .args(["-n", &self.node, "eval", expression])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    fn ctl(&self, args: &[&str]) -> bool {
        self.command(&ctl_bin())
            .args(["-n", &self.node])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        let _ = self.ctl(&["stop"]);
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn set_owner_only(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o400));
}
