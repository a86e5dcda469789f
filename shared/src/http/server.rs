//! The HTTP accept loop. `axum::serve` gives no way to time out a client that sends its headers
//! or its body slowly (slowloris), so connections are served here with hyper directly:
//!
//! - headers must arrive within [`HttpTimeouts::header_read`] of the request's start, or hyper
//!   closes the connection;
//! - a body may not pause longer than [`HttpTimeouts::body_idle`] between two pieces, or reading
//!   it fails and the request gets `408` (see [`super::ValidJson`]), then the connection closes.
//!
//! Each request carries its peer's address as [`ConnectInfo`] (the sign-in rate limit counts
//! per client address).
//!
//! Shutdown stops accepting, lets requests in flight finish, and closes idle connections.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How long a client may take to send a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// From the start of a request to the end of its headers.
    pub header_read: Duration,
    /// The longest pause between two pieces of a request body.
    pub body_idle: Duration,
}

/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` is cancelled.
pub async fn serve_http(
    listener: TcpListener,
    router: Router,
    timeouts: HttpTimeouts,
    shutdown: CancellationToken,
) {
    let router = router.layer(RequestBodyTimeoutLayer::new(timeouts.body_idle));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // E.g. too many open files: back off instead of spinning.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "TCP_NODELAY not set");
        }
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            },
        ));
        // No route upgrades a connection (no WebSockets), so plain HTTP/1.1 connections suffice.
        let connection = http1.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Clients going away and timed-out headers end up here; neither is our failure.
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown: some HTTP requests did not finish in time");
    }
}
