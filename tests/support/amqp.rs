use crate::TestApp;
use lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use shared::amqp::{connect, timed};

/// Every work and retry queue of the app's consumers, as their registrations declare them
/// (a consumer added to a service is waited on without touching this), and of the tests' own.
pub fn app_queues(app: &TestApp) -> Vec<String> {
    let topology = app.topology();
    let mut consumers: Vec<(&str, &str)> = vec![
        (crate::probe::SERVICE, crate::probe::CONSUMER),
        ("eventprobe", "connection"),
        (crate::steps::SERVICE, crate::steps::CONSUMER),
    ];
    let registered = partnernet::all_consumers(&app.config).unwrap_or_default();
    consumers.extend(registered.iter().map(|spec| (spec.service, spec.name)));
    let mut queues = Vec::new();
    for (service, consumer) in consumers {
        let work = topology.work_queue(service, consumer);
        queues.extend(topology.retry_queues(&work));
        queues.push(work);
    }
    queues
}

/// Messages ready in `queue` (not counting those delivered and unacknowledged); 0 for a queue
/// that does not exist; `None` when RabbitMQ cannot be reached.
pub async fn queue_depth(amqp_url: &str, queue: &str) -> Option<u32> {
    Some(
        passive_declare(amqp_url, queue)
            .await?
            .map(|q| q.message_count())
            .unwrap_or(0),
    )
}

/// Consumers of `queue`; 0 for a queue that does not exist; `None` when RabbitMQ cannot be
/// reached.
pub async fn consumer_count(amqp_url: &str, queue: &str) -> Option<u32> {
    Some(
        passive_declare(amqp_url, queue)
            .await?
            .map(|q| q.consumer_count())
            .unwrap_or(0),
    )
}

/// The queue as a passive declare answers it (`Some(None)`: no such queue).
async fn passive_declare(amqp_url: &str, queue: &str) -> Option<Option<lapin::Queue>> {
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
    Some(declared)
}

/// The virtual host where tests may close every connection without touching other tests.
/// It is created once and kept: RabbitMQ 3.10 can take minutes to delete a vhost, blocking its
/// queues meanwhile. Only one test uses it (see `.config/nextest.toml`).
pub struct ChaosVhost {
    pub name: &'static str,
    pub amqp_url: String,
}

impl ChaosVhost {
    pub fn ensure() -> Self {
        let name = "partnernet-chaos";
        if !rabbitmqctl(&["list_vhosts", "--quiet", "--no-table-headers", "name"])
            .lines()
            .any(|line| line.trim() == name)
        {
            rabbitmqctl(&["add_vhost", name]);
        }
        // The same user and server as AMQP_URL (guest locally, the compose file's administrator
        // in Docker), on this vhost.
        let base = shared::testing::amqp_url();
        let server = base
            .rsplit_once('/')
            .map_or(base.as_str(), |(server, _)| server);
        let user = server
            .split_once("://")
            .and_then(|(_, rest)| rest.split_once('@'))
            .map(|(credentials, _)| credentials.split(':').next().unwrap_or("guest"))
            .unwrap_or("guest");
        rabbitmqctl(&["set_permissions", "-p", name, user, ".*", ".*", ".*"]);
        Self {
            name,
            amqp_url: format!("{server}/{name}"),
        }
    }

    /// `rabbitmqctl close_all_connections` for this vhost.
    pub async fn close_all_connections(&self) {
        let name = self.name;
        tokio::task::spawn_blocking(move || {
            rabbitmqctl(&[
                "close_all_connections",
                "-p",
                name,
                "test: the broker drops every connection",
            ])
        })
        .await
        .expect("rabbitmqctl ran");
    }

    /// `(queue, prefetch)` of every consumer on this vhost.
    pub fn consumers(&self) -> Vec<(String, u32)> {
        rabbitmqctl(&[
            "list_consumers",
            "-p",
            self.name,
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

/// Deletes the app's exchange and every queue it declared, so test runs leave nothing behind.
pub async fn delete_app_topology(app: &TestApp) {
    let (queues, exchanges) = app_topology_names(app);
    delete_topology(app.amqp_url(), &queues, &exchanges).await;
}

/// Every queue and exchange an app may have declared: work and retry queues of every consumer
/// (the test probes' too), each service's dead letters, the unrouted queue, the exchanges.
pub fn app_topology_names(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let topology = app.topology();
    let mut queues = app_queues(app);
    let mut services = vec![
        "invitation",
        "notification",
        "sharing",
        "sync",
        crate::probe::SERVICE,
        "eventprobe",
        crate::steps::SERVICE,
    ];
    for spec in partnernet::all_consumers(&app.config).unwrap_or_default() {
        if !services.contains(&spec.service) {
            services.push(spec.service);
        }
    }
    for service in services {
        queues.push(topology.dead_letter_queue(service));
    }
    queues.push(topology.unrouted());
    let exchanges = vec![
        topology.changes_exchange(),
        topology.ingest_exchange(),
        topology.events_exchange(),
        topology.unrouted(),
    ];
    (queues, exchanges)
}

pub async fn delete_topology(amqp_url: &str, queues: &[String], exchanges: &[String]) {
    let Ok(connection) = connect(amqp_url, "test clean-up").await else {
        return;
    };
    let Ok(channel) = timed("channel", connection.create_channel()).await else {
        return;
    };
    for queue in queues {
        let _ = timed(
            "deleting a queue",
            channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()),
        )
        .await;
    }
    for exchange in exchanges {
        let _ = timed(
            "deleting an exchange",
            channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()),
        )
        .await;
    }
    let _ = connection.close(200, "clean".into()).await;
}

/// Deletes the app's queues from a thread of its own, so it can run in `Drop` (a failed test
/// unwinds inside the test's runtime). Quorum queues hold file handles on the broker: every
/// leaked set brings a broker with the default 1024 open files closer to refusing all new
/// connections (docs/operations.md, "Open files").
pub fn delete_app_topology_blocking(app: &TestApp) {
    let (queues, exchanges) = app_topology_names(app);
    let url = app.amqp_url().to_string();
    let cleaner = std::thread::spawn(move || {
        if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            runtime.block_on(delete_topology(&url, &queues, &exchanges));
        }
    });
    let _ = cleaner.join();
}

/// Runs `rabbitmqctl`, or the command in `RABBITMQCTL` (e.g. `docker compose exec -T rabbitmq
/// rabbitmqctl` when the broker runs in a container).
pub fn rabbitmqctl(args: &[&str]) -> String {
    match try_rabbitmqctl(args) {
        Ok(stdout) => stdout,
        Err(error) => panic!("rabbitmqctl {args:?} failed: {error}"),
    }
}

/// [`rabbitmqctl`], answering its error instead of panicking.
fn try_rabbitmqctl(args: &[&str]) -> Result<String, String> {
    let command = std::env::var("RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".to_string());
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or("rabbitmqctl");
    let output = std::process::Command::new(program)
        .args(words)
        .args(args)
        .output()
        .map_err(|error| format!("{program} does not run (the tests need it on PATH): {error}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Messages delivered and not yet acknowledged, summed over the queues whose names start with
/// `prefix`, on the virtual host of `amqp_url`. A passive declare counts only the ready ones,
/// and the management API's figures lag by seconds; `rabbitmqctl` asks the queues themselves.
/// `None` when `rabbitmqctl` fails.
pub async fn unacknowledged(amqp_url: &str, prefix: &str) -> Option<u64> {
    let vhost = partnernet::broker_users::vhost_of(amqp_url);
    let prefix = prefix.to_string();
    tokio::task::spawn_blocking(move || {
        let listed = try_rabbitmqctl(&[
            "list_queues",
            "-p",
            &vhost,
            "--quiet",
            "--no-table-headers",
            "name",
            "messages_unacknowledged",
        ])
        .ok()?;
        let mut total = 0;
        for line in listed.lines() {
            let mut columns = line.split_whitespace();
            if let (Some(name), Some(count)) = (columns.next(), columns.next())
                && name.starts_with(&prefix)
            {
                total += count.parse::<u64>().ok()?;
            }
        }
        Some(total)
    })
    .await
    .ok()?
}
