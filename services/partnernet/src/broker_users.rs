//! Each org's own RabbitMQ user, made through the RabbitMQ management HTTP API.
//!
//! The user `{prefix}-org-{org_id}` may (on the vhost of `AMQP_URL`):
//! - configure nothing (`^$`);
//! - write only to the ingest exchange (`^{prefix}\.ingest$`), and there, by topic permission,
//!   only with routing keys of its own org (`^{org_id}\.`);
//! - read only its own change feed (`^{prefix}\.changes\.{org_id}$`).
//!
//! Its password is printed once and stored only by the broker; sync keeps which user is which
//! org's (`sync.broker_users`). Settings: `RABBITMQ_MANAGEMENT_URL` (default
//! `http://127.0.0.1:15672`), `RABBITMQ_ADMIN_USER` / `RABBITMQ_ADMIN_PASSWORD` (default
//! `guest` / `guest`).

use anyhow::Context;
use base64::Engine;
use diesel_async::AsyncPgConnection;
use rand::RngCore;
use serde_json::json;
use shared::amqp::Topology;
use shared::ids::OrgId;

/// The management API of the broker, as its administrator.
#[derive(Clone)]
pub struct Management {
    url: String,
    user: String,
    password: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Management {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Management")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Management {
    pub fn new(url: &str, user: &str, password: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            user: user.to_string(),
            password: password.to_string(),
            http: reqwest::Client::new(),
        }
    }

    pub fn from_env() -> Self {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
        Self::new(
            &var("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672"),
            &var("RABBITMQ_ADMIN_USER", "guest"),
            &var("RABBITMQ_ADMIN_PASSWORD", "guest"),
        )
    }

    async fn put(&self, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
        let response = self
            .http
            .put(format!("{}/api/{path}", self.url))
            .basic_auth(&self.user, Some(&self.password))
            .timeout(std::time::Duration::from_secs(10))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("calling the RabbitMQ management API at {}", self.url))?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "the RabbitMQ management API answered {status} to PUT /api/{path}: {}",
            response.text().await.unwrap_or_default()
        );
        Ok(())
    }

    /// Deletes a user (tests' clean-up; an org's user is kept). A missing user is no error.
    pub async fn delete_user(&self, name: &str) -> anyhow::Result<()> {
        let response = self
            .http
            .delete(format!("{}/api/users/{}", self.url, encode(name)))
            .basic_auth(&self.user, Some(&self.password))
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success() || response.status() == reqwest::StatusCode::NOT_FOUND,
            "deleting broker user {name}: {}",
            response.status()
        );
        Ok(())
    }

    /// Creates the user, or sets its password and permissions again.
    async fn ensure_user(
        &self,
        vhost: &str,
        name: &str,
        password: &str,
        permissions: [&str; 3],
        topic: (&str, &str),
    ) -> anyhow::Result<()> {
        let (user, vhost) = (encode(name), encode(vhost));
        // No tags: the user cannot log in to the management UI.
        self.put(
            &format!("users/{user}"),
            json!({ "password": password, "tags": "" }),
        )
        .await?;
        let [configure, write, read] = permissions;
        self.put(
            &format!("permissions/{vhost}/{user}"),
            json!({ "configure": configure, "write": write, "read": read }),
        )
        .await?;
        let (exchange, write) = topic;
        self.put(
            &format!("topic-permissions/{vhost}/{user}"),
            json!({ "exchange": exchange, "write": write, "read": "^$" }),
        )
        .await
    }
}

/// A name as one path segment of the management API.
fn encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The virtual host named by an AMQP URL (`/` when it names none).
pub fn vhost_of(amqp_url: &str) -> String {
    let rest = amqp_url
        .split_once("://")
        .map_or(amqp_url, |(_, rest)| rest);
    let path = rest.split_once('/').map_or("", |(_, path)| path);
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return "/".to_string();
    }
    // Percent-decoding: `%2f` is `/`.
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&path[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A new random password (32 bytes, url-safe base64).
fn new_password() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An org's broker user, with the password to show once.
#[derive(Debug)]
pub struct OrgBrokerUser {
    pub username: String,
    pub password: String,
    /// The queue its change feed is in.
    pub change_feed: String,
}

/// Creates the org's broker user (or gives it a new password and its permissions again),
/// declares its change feed, and records the user as the org's. Also rotates a password.
pub async fn ensure(
    management: &Management,
    conn: &mut AsyncPgConnection,
    amqp_url: &str,
    topology: &Topology,
    org: OrgId,
) -> anyhow::Result<OrgBrokerUser> {
    let prefix = regex_escape(topology.prefix());
    let username = sync::broker_users::username(topology.prefix(), org);
    let password = new_password();
    let write = format!("^{prefix}\\.ingest$");
    let read = format!("^{prefix}\\.changes\\.{org}$");
    let topic_write = format!("^{org}\\.");
    management
        .ensure_user(
            &vhost_of(amqp_url),
            &username,
            &password,
            ["^$", &write, &read],
            (&topology.ingest_exchange(), &topic_write),
        )
        .await?;
    sync::feed::declare(amqp_url, topology, &[org]).await?;
    sync::broker_users::save(conn, org, &username).await?;
    Ok(OrgBrokerUser {
        username,
        password,
        change_feed: topology.change_feed_queue(org),
    })
}

/// `s` with the characters regular expressions give a meaning escaped.
fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vhost_comes_from_the_url() {
        assert_eq!(vhost_of("amqp://guest:guest@127.0.0.1:5672"), "/");
        assert_eq!(vhost_of("amqp://u:p@rabbitmq:5672/%2f"), "/");
        assert_eq!(
            vhost_of("amqp://u:p@h:5672/partnernet-chaos"),
            "partnernet-chaos"
        );
        assert_eq!(encode("/"), "%2F");
        assert_eq!(regex_escape("pn.t-1"), "pn\\.t-1");
    }
}
