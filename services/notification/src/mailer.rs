//! SMTP delivery with lettre: a pooled transport, and a timeout around the whole send
//! (lettre's own timeout covers only the connection).

use crate::config::Config;
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
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
    transport: AsyncSmtpTransport<Tokio1Executor>,
    timeout: Duration,
}

impl Mailer {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.smtp_url.expose())
            .context("SMTP_URL is not a valid SMTP URL")?
            .timeout(Some(config.smtp_timeout))
            .pool_config(PoolConfig::new().max_size(config.smtp_pool_size))
            .build();
        Ok(Self {
            transport,
            timeout: config.smtp_timeout,
        })
    }

    pub async fn send(&self, email: &Outgoing<'_>) -> Result<(), SendError> {
        let message = build(email).map_err(|e| SendError::Permanent(format!("{e:#}")))?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => Err(SendError::Temporary(format!(
                "no answer from the SMTP server within {:?}",
                self.timeout
            ))),
            Ok(Err(err)) if err.is_permanent() => Err(SendError::Permanent(err.to_string())),
            Ok(Err(err)) => Err(SendError::Temporary(err.to_string())),
            Ok(Ok(_response)) => Ok(()),
        }
    }
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
