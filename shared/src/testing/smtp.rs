//! A real SMTP server, in process, for tests: it speaks SMTP over TCP on its own port, keeps what
//! it receives, and answers each message with the next scripted reply (250 when the script is
//! empty), so a test can make the server answer 421 once, or 550 always.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How the server answers the end of a message's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpReply {
    /// 250: accepted.
    Accept,
    /// 421: service not available, closing the connection (temporary).
    Unavailable421,
    /// 550: mailbox unavailable (permanent).
    Reject550,
    /// 550 repeating the recipient's address, as Postfix does (permanent).
    RejectNamingTheAddress550,
}

/// Runs when a message's data has arrived, before the server answers (e.g. to cut a proxy).
pub type DataHook = Arc<dyn Fn() + Send + Sync>;

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as received (headers and body), dot-stuffing removed.
    pub raw: String,
}

#[derive(Default)]
struct State {
    received: Vec<ReceivedEmail>,
    script: VecDeque<SmtpReply>,
    data_attempts: usize,
    on_data: Option<DataHook>,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl SmtpSink {
    /// Starts a server on a free port of 127.0.0.1; it runs until the test's runtime ends.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, state).await;
                });
            }
        });
        Ok(Self { port, state })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next messages are answered with these replies, in order.
    pub fn script(&self, replies: &[SmtpReply]) {
        if let Ok(mut state) = self.state.lock() {
            state.script.extend(replies.iter().copied());
        }
    }

    /// Runs `hook` each time a message's data has arrived, before the reply is written.
    pub fn on_data(&self, hook: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut state) = self.state.lock() {
            state.on_data = Some(Arc::new(hook));
        }
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<ReceivedEmail> {
        self.state
            .lock()
            .map(|s| s.received.clone())
            .unwrap_or_default()
    }

    /// Messages sent to `address`.
    pub fn received_by(&self, address: &str) -> Vec<ReceivedEmail> {
        self.received()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// How many times a client finished sending a message's data (accepted or not).
    pub fn data_attempts(&self) -> usize {
        self.state
            .lock()
            .map(|s| s.data_attempts)
            .unwrap_or_default()
    }
}

async fn session(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    // Replies are small writes; without this, Nagle's algorithm meets the client's delayed ACK
    // and every reply waits ~40 ms.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?
            }
            "HELO" => write.write_all(b"250 sink.test\r\n").await?,
            "MAIL" => {
                mail_from = address_in(&command);
                rcpt_to.clear();
                write.write_all(b"250 2.1.0 OK\r\n").await?;
            }
            "RCPT" => {
                rcpt_to.push(address_in(&command));
                write.write_all(b"250 2.1.5 OK\r\n").await?;
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let raw = read_data(&mut lines).await?;
                let hook = state.lock().ok().and_then(|s| s.on_data.clone());
                if let Some(hook) = hook {
                    hook();
                }
                let reply = {
                    let mut s = state
                        .lock()
                        .map_err(|_| std::io::Error::other("poisoned"))?;
                    s.data_attempts += 1;
                    let reply = s.script.pop_front().unwrap_or(SmtpReply::Accept);
                    if reply == SmtpReply::Accept {
                        s.received.push(ReceivedEmail {
                            mail_from: mail_from.clone(),
                            rcpt_to: rcpt_to.clone(),
                            raw,
                        });
                    }
                    reply
                };
                match reply {
                    SmtpReply::Accept => write.write_all(b"250 2.0.0 queued\r\n").await?,
                    SmtpReply::Reject550 => {
                        write
                            .write_all(b"550 5.1.1 mailbox unavailable\r\n")
                            .await?
                    }
                    SmtpReply::RejectNamingTheAddress550 => {
                        let rcpt = rcpt_to.first().cloned().unwrap_or_default();
                        let reply = format!(
                            "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\r\n"
                        );
                        write.write_all(reply.as_bytes()).await?
                    }
                    SmtpReply::Unavailable421 => {
                        write
                            .write_all(b"421 4.3.2 service not available, closing\r\n")
                            .await?;
                        return Ok(());
                    }
                }
            }
            "RSET" | "NOOP" => write.write_all(b"250 2.0.0 OK\r\n").await?,
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => {
                write
                    .write_all(b"502 5.5.2 command not recognized\r\n")
                    .await?
            }
        }
    }
}

async fn read_data(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<String> {
    let mut raw = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "data cut short",
            ));
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(raw);
        }
        raw.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// `MAIL FROM:<a@b.c> SIZE=1` gives `a@b.c`.
fn address_in(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_string())
        .unwrap_or_default()
}
