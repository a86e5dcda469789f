//! Pooled SMTP connections opened with `TCP_NODELAY`.
//!
//! lettre 0.11.23 writes a message's final `\r\n.\r\n` as a separate small write on a socket
//! with Nagle's algorithm on; the server's delayed ACK then holds it ~40 ms, capping one
//! connection at ~23 emails/s. lettre's fix (pull request 1159) is not released yet, but its
//! public API takes a stream we open ourselves, so we open it with `TCP_NODELAY`. Remove this
//! module once a lettre release sets it. Used for `smtp://` (plain or STARTTLS); `smtps://` keeps
//! lettre's own transport (its implicit TLS needs lettre's own connect).

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// An idle connection older than this is checked with `NOOP` before use: servers close idle
/// connections, and a send on a closed one would cost the email an attempt.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(30);

/// Where and how to connect.
#[derive(Clone)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    /// STARTTLS: `Some(required)`; `None`: plain.
    pub starttls: Option<bool>,
    pub credentials: Option<Credentials>,
}

pub struct SmtpPool {
    target: SmtpTarget,
    connect_timeout: Duration,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// At most this many connections in use at once.
    permits: Semaphore,
}

/// Why a send through the pool failed.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// No connection could be opened (refused, timed out): temporary.
    #[error("cannot connect to the SMTP server: {0}")]
    Connect(String),
    /// The server answered with an error, or the session broke.
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
}

type SmtpResult<T> = Result<T, PoolError>;

impl SmtpPool {
    pub fn new(target: SmtpTarget, size: u32, connect_timeout: Duration) -> Self {
        Self {
            target,
            connect_timeout,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(usize::try_from(size.max(1)).unwrap_or(1)),
        }
    }

    /// Sends one message on a pooled connection (opened if none is idle).
    pub async fn send(&self, envelope: &Envelope, raw: &[u8]) -> SmtpResult<Response> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PoolError::Connect("the pool is closed".into()))?;
        let mut connection = match self.checkout().await {
            Some(connection) => connection,
            None => self.open().await?,
        };
        let result = connection
            .send(envelope, raw)
            .await
            .map_err(PoolError::from);
        if connection.has_broken() {
            connection.abort().await;
        } else {
            self.idle.lock().await.push((connection, Instant::now()));
        }
        result
    }

    async fn checkout(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut connection, since) = self.idle.lock().await.pop()?;
            if since.elapsed() < CHECK_IDLE_AFTER || connection.test_connected().await {
                return Some(connection);
            }
            connection.abort().await;
        }
    }

    async fn open(&self) -> SmtpResult<AsyncSmtpConnection> {
        let address = (self.target.host.as_str(), self.target.port);
        let stream = tokio::time::timeout(
            self.connect_timeout,
            tokio::net::TcpStream::connect(address),
        )
        .await
        .map_err(|_| PoolError::Connect(format!("no answer within {:?}", self.connect_timeout)))?
        .map_err(|e| PoolError::Connect(e.to_string()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| PoolError::Connect(e.to_string()))?;
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        if let Some(required) = self.target.starttls {
            if connection.can_starttls() {
                let tls = TlsParameters::new(self.target.host.clone())?;
                connection.starttls(tls, &self.hello).await?;
            } else if required {
                connection.abort().await;
                return Err(PoolError::Connect(
                    "the SMTP server does not offer STARTTLS, which SMTP_URL requires".into(),
                ));
            }
        }
        if let Some(credentials) = &self.target.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(connection)
    }
}
