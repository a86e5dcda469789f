use crate::TestApp;
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use shared::amqp::{connect, timed};

/// Every work and retry queue of the app's consumers.
pub fn app_queues(app: &TestApp) -> Vec<String> {
    let topology = app.topology();
    let mut queues = Vec::new();
    for (service, consumer) in [
        ("invitation", "history"),
        ("notification", "emails"),
        (crate::probe::SERVICE, crate::probe::CONSUMER),
    ] {
        let work = topology.work_queue(service, consumer);
        queues.extend(topology.retry_queues(&work));
        queues.push(work);
    }
    queues
}

/// Messages ready in `queue` (not counting those delivered and unacknowledged); 0 for a queue
/// that does not exist; `None` when RabbitMQ cannot be reached.
pub async fn queue_depth(amqp_url: &str, queue: &str) -> Option<u32> {
    let connection = connect(amqp_url, "test queue depth").await.ok()?;
    let channel = timed("channel", connection.create_channel()).await.ok()?;
    let declared = timed(
        "passive declare",
        channel.queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await
    .ok();
    let _ = connection.close(200, "done".into()).await;
    Some(declared.map(|q| q.message_count()).unwrap_or(0))
}

/// A RabbitMQ virtual host of the test's own, so that closing "all connections" touches no other
/// test. Created and deleted with `rabbitmqctl`.
pub struct TestVhost {
    pub name: String,
    pub amqp_url: String,
}

impl TestVhost {
    pub fn create() -> Self {
        let name = shared::testing::unique_prefix();
        rabbitmqctl(&["add_vhost", &name]);
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]);
        Self {
            amqp_url: format!("amqp://guest:guest@127.0.0.1:5672/{name}"),
            name,
        }
    }

    /// `rabbitmqctl close_all_connections` for this vhost.
    pub fn close_all_connections(&self) {
        rabbitmqctl(&[
            "close_all_connections",
            "-p",
            &self.name,
            "test: the broker drops every connection",
        ]);
    }

    /// `(queue, prefetch)` of every consumer on this vhost.
    pub fn consumers(&self) -> Vec<(String, u32)> {
        rabbitmqctl(&[
            "list_consumers",
            "-p",
            &self.name,
            "--quiet",
            "--no-table-headers",
            "queue_name",
            "prefetch_count",
        ])
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let queue = fields.next()?.to_string();
            let prefetch = fields.next()?.parse().ok()?;
            Some((queue, prefetch))
        })
        .collect()
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.name])
            .output();
    }
}

fn rabbitmqctl(args: &[&str]) -> String {
    let output = std::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl runs (the tests need it on PATH)");
    assert!(
        output.status.success(),
        "rabbitmqctl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
