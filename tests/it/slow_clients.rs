//! Issue 7: a client whose headers or body never finish is cut off (slowloris), after the
//! configured timeouts (`HTTP_HEADER_TIMEOUT_MS`, `HTTP_BODY_TIMEOUT_MS`).

use std::time::{Duration, Instant};
use tests::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn app_with_short_timeouts() -> TestApp {
    TestApp::spawn_with(|env| {
        env.insert("HTTP_HEADER_TIMEOUT_MS".into(), "500".into());
        env.insert("HTTP_BODY_TIMEOUT_MS".into(), "500".into());
    })
    .await
}

/// Sends `partial`, then waits for the server to close the connection; returns what it
/// answered and how long it took. Fails if the connection is still open after 10 s.
async fn send_and_wait_for_close(app: &TestApp, partial: &str) -> (String, Duration) {
    let addr = app.base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.expect("connected");
    stream.write_all(partial.as_bytes()).await.expect("sent");
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open for 10 s");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_whose_headers_never_finish_is_closed_by_the_server() {
    let app = app_with_short_timeouts().await;
    let (answer, took) = send_and_wait_for_close(
        &app,
        "POST /v1/connections HTTP/1.1\r\nHost: test\r\nContent-Type: appl",
    )
    .await;
    println!("half headers: closed after {took:?}, answered {answer:?}");
    assert!(!answer.contains("201"), "{answer}");
    // The server still serves others.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_whose_body_stops_gets_408_and_is_closed() {
    let app = app_with_short_timeouts().await;
    let acme = app.create_org("Acme Corp").await;
    let head = format!(
        "POST /v1/connections HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"contact\":",
        acme.key
    );
    let (answer, took) = send_and_wait_for_close(&app, &head).await;
    println!("stopped body: closed after {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    app.stop().await;
}
