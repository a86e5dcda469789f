use diesel_async::RunQueryDsl;
use partnernet::{AllConfig, all_migrations, all_parts};
use reqwest::Response;
use serde_json::Value;
use shared::amqp::{Publisher, Topology};
use shared::db::DbPool;
use shared::service::{Platform, ServiceParts};
use shared::testing::{SmtpSink, TestDatabase, eventually, unique_prefix};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running PartnerNet: all four services in this process, on a port of its own.
pub struct TestApp {
    pub base_url: String,
    pub db: TestDatabase,
    pub platform: Platform,
    pub config: AllConfig,
    pub smtp: SmtpSink,
    /// The environment the services were configured from: a child process given it runs on
    /// the same database, queues (same retry settings) and SMTP sink.
    pub env: HashMap<String, String>,
    pub http: reqwest::Client,
    /// Publishes to this app's exchange, as an org's own system would.
    pub publisher: Publisher,
    shutdown: CancellationToken,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    /// Whether `stop` already deleted the app's queues.
    cleaned: bool,
    /// Whether processes other than this one consume the app's queues (see
    /// [`TestApp::expect_consumers_elsewhere`]).
    consumers_elsewhere: AtomicBool,
}

/// An org and its API key.
#[derive(Debug, Clone)]
pub struct TestOrg {
    pub id: shared::ids::OrgId,
    pub key: String,
}

/// Retry quickly in tests: 200 ms, 400 ms, 800 ms.
pub const TEST_RETRY_DELAYS_MS: [u64; 3] = [200, 400, 800];

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with the test environment, adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut HashMap<String, String>)) -> Self {
        shared::telemetry::init_for_tests();
        let db = TestDatabase::create(all_migrations())
            .await
            .expect("a test database");
        let smtp = SmtpSink::start().await.expect("an SMTP sink");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("bound address");
        let mut env = HashMap::from([
            ("DATABASE_URL".to_string(), db.url.clone()),
            ("AMQP_URL".to_string(), shared::testing::amqp_url()),
            ("QUEUE_PREFIX".to_string(), unique_prefix()),
            (
                "PUBLIC_BASE_URL".to_string(),
                "https://partnernet.test".to_string(),
            ),
            ("SMTP_URL".to_string(), smtp.url()),
            ("SMTP_TIMEOUT_SECS".to_string(), "5".to_string()),
            (
                "RETRY_INITIAL_MS".to_string(),
                TEST_RETRY_DELAYS_MS[0].to_string(),
            ),
            ("RETRY_MULTIPLIER".to_string(), "2".to_string()),
            (
                "RETRY_COUNT".to_string(),
                TEST_RETRY_DELAYS_MS.len().to_string(),
            ),
            ("OUTBOX_POLL_MS".to_string(), "20".to_string()),
            ("EMAIL_POLL_MS".to_string(), "20".to_string()),
            ("DB_POOL_SIZE".to_string(), "8".to_string()),
        ]);
        adjust(&mut env);
        let config = AllConfig::from_source(&env).expect("a valid test configuration");
        let platform = Platform::new(config.invitation.common.clone()).expect("a platform");
        let parts = all_parts(&platform, &config).expect("service parts");
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(shared::service::serve(
            platform.clone(),
            parts,
            listener,
            shutdown.clone(),
        ));
        let app = Self {
            base_url: format!("http://{addr}"),
            publisher: Publisher::for_topology(
                config.invitation.common.amqp_url.expose(),
                "test publisher",
                &platform.topology,
            ),
            db,
            platform,
            config,
            smtp,
            env,
            http: reqwest::Client::new(),
            shutdown,
            server: Some(server),
            cleaned: false,
            consumers_elsewhere: AtomicBool::new(false),
        };
        app.wait_ready().await;
        app
    }

    /// Starts extra parts (e.g. a probe consumer) beside the app, with the same platform.
    pub fn spawn_parts(
        &self,
        parts: Vec<ServiceParts>,
    ) -> (CancellationToken, JoinHandle<anyhow::Result<()>>) {
        let token = CancellationToken::new();
        let platform = self.platform.clone();
        let stop = token.clone();
        let handle = tokio::spawn(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            shared::service::serve(platform, parts, listener, stop).await
        });
        (token, handle)
    }

    pub fn amqp_url(&self) -> &str {
        self.config.invitation.common.amqp_url.expose()
    }

    /// The database the app runs on: the test database, or the one its environment names
    /// instead (a private cluster's).
    pub fn database_url(&self) -> &str {
        self.config.invitation.common.database_url.expose()
    }

    pub fn pool(&self) -> &DbPool {
        &self.platform.pool
    }

    pub fn topology(&self) -> &Topology {
        &self.platform.topology
    }

    /// Waits until `/readyz` says every consumer and relay is connected.
    pub async fn wait_ready(&self) {
        let url = format!("{}/readyz", self.base_url);
        let http = self.http.clone();
        eventually("the app to be ready", Duration::from_secs(20), || {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let response = http.get(&url).send().await.ok()?;
                let body: Value = response.json().await.ok()?;
                let down = body["rabbitmq_down"].as_array()?.len();
                (body["status"] == "ready" && down == 0).then_some(())
            }
        })
        .await;
    }

    pub async fn create_org(&self, name: &str) -> TestOrg {
        let mut conn = self.pool().get().await.expect("a connection");
        let org = shared::identity::create_org(&mut conn, name)
            .await
            .expect("org created");
        TestOrg {
            id: org.org_id,
            key: org.api_key,
        }
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("the request is answered")
    }

    pub async fn patch(&self, path: &str, key: &str, body: &Value) -> Response {
        self.http
            .patch(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("the request is answered")
    }

    pub async fn delete(&self, path: &str, key: &str) -> Response {
        self.http
            .delete(format!("{}{path}", self.base_url))
            .bearer_auth(key)
            .send()
            .await
            .expect("the request is answered")
    }

    /// Adds an active user to the org over HTTP and returns its id.
    pub async fn create_user(&self, org: &TestOrg, name: &str, email: &str) -> uuid::Uuid {
        let response = self
            .post(
                "/v1/users",
                Some(&org.key),
                &serde_json::json!({ "name": name, "email": email }),
            )
            .await;
        assert_eq!(response.status(), 201, "user created");
        let user: Value = response.json().await.expect("a JSON user");
        user["id"]
            .as_str()
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
            .expect("a user id")
    }

    /// A link from an email (built on `PUBLIC_BASE_URL`) pointed at this app's own address, as
    /// a browser in a test must open it.
    pub fn local_link(&self, link: &str) -> String {
        let public = self
            .config
            .invitation
            .common
            .public_base_url
            .trim_end_matches('/');
        match link.strip_prefix(public) {
            Some(rest) => format!("{}{rest}", self.base_url),
            None => panic!("{link} is not a link to {public}"),
        }
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> Response {
        let mut request = self.http.get(format!("{}{path}", self.base_url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.expect("the request is answered")
    }

    /// Says that a process other than this one (a `sync-worker`, say) consumes this app's
    /// queues: [`TestApp::wait_idle`] then also waits for the messages delivered and not yet
    /// acknowledged, which only the broker sees.
    pub fn expect_consumers_elsewhere(&self) {
        self.consumers_elsewhere.store(true, Ordering::SeqCst);
    }

    /// Runs until nothing is left to do: outbox empty, no message being handled, every queue of
    /// this app empty, no email due. Use it instead of sleeping.
    pub async fn wait_idle(&self) {
        let queues = crate::amqp::app_queues(self);
        let elsewhere = AtomicBool::load(&self.consumers_elsewhere, Ordering::SeqCst);
        eventually("the app to become idle", Duration::from_secs(30), || {
            let queues = queues.clone();
            async move {
                if !self.nothing_waits(&queues).await? {
                    return None;
                }
                if elsewhere {
                    // Another process may hold a delivery it has not committed yet; once it
                    // has, its effect is in the outbox or a queue, so look at both again.
                    let prefix = self.topology().prefix().to_string();
                    let unacked = crate::amqp::unacknowledged(self.amqp_url(), &prefix).await?;
                    if unacked > 0 || !self.nothing_waits(&queues).await? {
                        return None;
                    }
                }
                // Settled only if still nothing is in flight after the queue check.
                (self.platform.health.busy() == 0).then_some(())
            }
        })
        .await;
    }

    /// Whether the outbox, the email queue, this process's consumers and the app's queues are
    /// all empty; `None` when the database or RabbitMQ cannot be reached.
    async fn nothing_waits(&self, queues: &[String]) -> Option<bool> {
        let mut conn = self.pool().get().await.ok()?;
        let backlog: i64 = diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM messaging.outbox) + \
             (SELECT count(*) FROM notification.emails WHERE status IN ('queued', 'sending', 'retrying'))",
        ))
        .get_result(&mut conn)
        .await
        .ok()?;
        if backlog > 0 || self.platform.health.busy() > 0 {
            return Some(false);
        }
        for queue in queues {
            if crate::amqp::queue_depth(self.amqp_url(), queue).await? > 0 {
                return Some(false);
            }
        }
        Some(true)
    }

    /// Stops the app as SIGTERM would, waiting for in-flight work.
    /// Stops the services running in this process and keeps the database, the queues and the
    /// SMTP sink, for tests that run the services as child processes instead.
    pub async fn stop_services(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.publisher.close().await;
        crate::amqp::delete_app_topology(&self).await;
        self.cleaned = true;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        // A test that failed (or never called `stop`) still leaves no queues behind.
        if !self.cleaned {
            crate::amqp::delete_app_topology_blocking(self);
        }
    }
}
