//! The links in emails, followed against `partnernet serve all` run as a process: an unknown
//! invitation link says so, nothing from it is markup, and the token shows in no log line; a
//! connection's link asks a visitor to sign in first.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

struct Server {
    child: Child,
    /// Read while the server runs: a full pipe would block its logging, and so its answers.
    logs: Vec<JoinHandle<String>>,
    base_url: String,
    _database: shared::testing::TestDatabase,
}

/// No request of these tests waits longer: a stuck server fails the test, saying so.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_DEADLINE)
        .build()
        .expect("an HTTP client")
}

/// Reads `pipe` to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
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
        let mut child = Command::new(env!("CARGO_BIN_EXE_partnernet"))
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
        let logs = vec![drain(child.stdout.take()), drain(child.stderr.take())];
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
            logs,
            base_url,
            _database: database,
        }
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.logs
            .drain(..)
            .map(|reader| reader.join().unwrap_or_default())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_invitation_link_says_so_in_words_and_logs_no_token() {
    let server = Server::start().await;
    let token = "Zq3-secret_T0ken<b>\"x\"";
    let response = client()
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
    let page = response.text().await.expect("a body");
    let logs = server.stop();

    assert_eq!(status, 404, "{page}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.contains("This invitation link is not valid"), "{page}");
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
async fn a_connection_link_asks_a_visitor_to_sign_in_first() {
    let server = Server::start().await;
    let id = uuid::Uuid::new_v4();
    let client = reqwest::Client::builder()
        .timeout(REQUEST_DEADLINE)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let found = client
        .get(format!("{}/connections/{id}", server.base_url))
        .send()
        .await
        .expect("answered");
    let found_status = found.status();
    let location = found
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let found_page = found.text().await.expect("a body");
    server.stop();

    assert_eq!(found_status, 303, "{found_page}");
    assert!(
        location.starts_with("/sign-in?next=") && location.contains(&id.to_string()),
        "{location}"
    );
    assert!(
        !found_page.contains("Partner"),
        "a visitor is told nothing about the connection: {found_page}"
    );
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
