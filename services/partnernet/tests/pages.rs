//! The links in emails, followed against `partnernet serve all` run as a process: they land on a
//! page that says what to do, everything escaped, and the token shows in no log line.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    base_url: String,
    _database: shared::testing::TestDatabase,
}

impl Server {
    async fn start() -> Self {
        let database = shared::testing::TestDatabase::create(partnernet::all_migrations())
            .await
            .expect("test database");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_partnernet"))
            .args(["serve", "all"])
            .env("DATABASE_URL", &database.url)
            .env("AMQP_URL", shared::testing::amqp_url())
            .env("QUEUE_PREFIX", shared::testing::unique_prefix())
            .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "debug")
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting partnernet serve all");
        let base_url = format!("http://127.0.0.1:{port}");
        let health = format!("{base_url}/healthz");
        shared::testing::eventually("serve all answers", Duration::from_secs(60), || async {
            reqwest::get(&health)
                .await
                .ok()
                .filter(|r| r.status().is_success())
        })
        .await;
        Self {
            child,
            base_url,
            _database: database,
        }
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let output = self.child.wait_with_output().expect("the server's output");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invitation_link_lands_on_a_page_that_says_how_to_claim_and_logs_no_token() {
    let server = Server::start().await;
    let token = "Zq3-secret_T0ken<b>\"x\"";
    let response = reqwest::Client::new()
        .get(format!("{}/invitations/accept", server.base_url))
        .query(&[("token", token)])
        .send()
        .await
        .expect("answered");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let referrer = response
        .headers()
        .get("referrer-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let page = response.text().await.expect("a body");
    let logs = server.stop();

    assert_eq!(status, 200, "{page}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert_eq!(referrer, "no-referrer");
    assert!(page.contains("POST /v1/invitations/claim"), "{page}");
    assert!(
        page.contains("Zq3-secret_T0ken&lt;b&gt;&quot;x&quot;"),
        "the token is shown, escaped: {page}"
    );
    assert!(
        !page.contains("<b>"),
        "nothing from the link is markup: {page}"
    );
    assert!(
        logs.contains("/invitations/accept"),
        "the request was logged"
    );
    assert!(
        !logs.contains("Zq3-secret"),
        "the token is in no log line: {logs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connection_link_lands_on_a_page_naming_its_api_route() {
    let server = Server::start().await;
    let id = uuid::Uuid::new_v4();
    let found = reqwest::get(format!("{}/connections/{id}", server.base_url))
        .await
        .expect("answered");
    let found_status = found.status();
    let found_page = found.text().await.expect("a body");
    let bad = reqwest::get(format!("{}/connections/%3Cscript%3E", server.base_url))
        .await
        .expect("answered");
    let bad_status = bad.status();
    let bad_page = bad.text().await.expect("a body");
    server.stop();

    assert_eq!(found_status, 200);
    assert!(
        found_page.contains(&format!("GET /v1/connections/{id}")),
        "{found_page}"
    );
    assert_eq!(bad_status, 404);
    assert!(!bad_page.contains("<script>"), "{bad_page}");
}

#[test]
fn the_gateway_routes_the_email_links_to_the_invitation_service() {
    let conf = include_str!("../../../deploy/gateway/nginx.conf");
    for prefix in ["/invitations/", "/connections/"] {
        let location = conf
            .split(&format!("location {prefix} {{"))
            .nth(1)
            .unwrap_or_else(|| panic!("nginx.conf routes {prefix}"));
        let block = location.split('}').next().unwrap_or_default();
        assert!(
            block.contains("http://invitation:8080"),
            "{prefix}: {block}"
        );
    }
}
