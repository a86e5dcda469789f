//! SMTP delivery with lettre: pooled `TCP_NODELAY` connections ([`crate::smtp_pool`]), a timeout
//! around the whole send (lettre's own timeout covers only the connection), and server replies
//! with their addresses masked before anyone logs or stores them.

use crate::config::Config;
use crate::masking::mask_addresses;
use crate::smtp_pool::{PoolError, SmtpPool, SmtpTarget};
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// An email ready to send.
pub struct Outgoing<'a> {
    /// Becomes the stable `Message-ID` `<id@partnernet>`.
    pub id: uuid::Uuid,
    pub from: &'a str,
    pub reply_to: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// Why a send failed, as the retry policy needs to know it.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// A 4xx answer, a lost connection or a timeout: try again later.
    #[error("temporary: {0}")]
    Temporary(String),
    /// A 5xx answer or an email that cannot be built: never try again.
    #[error("permanent: {0}")]
    Permanent(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Arc<Transport>,
    timeout: Duration,
}

enum Transport {
    /// `smtp://`: our own pool of `TCP_NODELAY` connections (see [`crate::smtp_pool`]).
    Pooled(Box<SmtpPool>),
    /// `smtps://`: lettre's pooled transport.
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let url = config.smtp_url.expose();
        let transport = match smtp_target(url)? {
            Some(target) => Transport::Pooled(Box::new(SmtpPool::new(
                target,
                config.smtp_pool_size,
                config.smtp_timeout,
            ))),
            None => Transport::Lettre(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL is not a valid SMTP URL")?
                    .timeout(Some(config.smtp_timeout))
                    .pool_config(PoolConfig::new().max_size(config.smtp_pool_size))
                    .build(),
            ),
        };
        Ok(Self {
            transport: Arc::new(transport),
            timeout: config.smtp_timeout,
        })
    }

    /// Sends one email. Error texts are safe to log and store: addresses in them are masked.
    pub async fn send(&self, email: &Outgoing<'_>) -> Result<(), SendError> {
        let message = build(email).map_err(|e| SendError::Permanent(format!("{e:#}")))?;
        let sent = async {
            match self.transport.as_ref() {
                Transport::Pooled(pool) => {
                    pool.send(message.envelope(), &message.formatted()).await
                }
                Transport::Lettre(transport) => {
                    transport.send(message).await.map_err(PoolError::from)
                }
            }
        };
        match tokio::time::timeout(self.timeout, sent).await {
            Err(_) => Err(SendError::Temporary(format!(
                "no answer from the SMTP server within {:?}",
                self.timeout
            ))),
            Ok(Err(PoolError::Smtp(err))) if err.is_permanent() => {
                Err(SendError::Permanent(mask_addresses(&err.to_string())))
            }
            Ok(Err(err)) => Err(SendError::Temporary(mask_addresses(&err.to_string()))),
            Ok(Ok(_response)) => Ok(()),
        }
    }
}

/// Where `smtp://[user:password@]host[:port][?tls=required|opportunistic]` points, or `None` for
/// `smtps://` (left to lettre). Same defaults as lettre's `from_url`.
fn smtp_target(raw: &str) -> anyhow::Result<Option<SmtpTarget>> {
    let url = url::Url::parse(raw).context("SMTP_URL is not a valid URL")?;
    if url.scheme() == "smtps" {
        return Ok(None);
    }
    anyhow::ensure!(
        url.scheme() == "smtp",
        "SMTP_URL must start with smtp:// or smtps://"
    );
    let host = url
        .host_str()
        .context("SMTP_URL has no host")?
        .trim_matches(['[', ']'])
        .to_string();
    let tls = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let (starttls, default_port) = match tls.as_deref() {
        None => (None, 25),
        Some("required") => (Some(true), 587),
        Some("opportunistic") => (Some(false), 587),
        Some(other) => anyhow::bail!("SMTP_URL: unknown tls={other}"),
    };
    let credentials = (!url.username().is_empty()).then(|| {
        let decode = |s: &str| {
            url::form_urlencoded::parse(s.as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect::<String>()
        };
        Credentials::new(
            decode(url.username()),
            decode(url.password().unwrap_or_default()),
        )
    });
    Ok(Some(SmtpTarget {
        host,
        port: url.port().unwrap_or(default_port),
        starttls,
        credentials,
    }))
}

fn build(email: &Outgoing<'_>) -> anyhow::Result<Message> {
    let from: Mailbox = email.from.parse().context("bad From")?;
    let to: Mailbox = email.to.parse().context("bad recipient")?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject)
        .message_id(Some(format!("<{}@partnernet>", email.id)));
    if let Some(reply_to) = email.reply_to {
        builder = builder.reply_to(reply_to.parse().context("bad Reply-To")?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.to_string(),
            email.html.to_string(),
        ))
        .context("building the email")
}
