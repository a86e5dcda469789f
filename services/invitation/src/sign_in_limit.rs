//! The limit on asking for sign-in links: at most [`PER_EMAIL`] requests for one email address
//! and [`PER_CLIENT`] from one client address within [`WINDOW`]. Requests are counted in
//! PostgreSQL, so the limit holds across processes; the count is of requests, whether or not
//! the address belongs to a user, so being over the limit reveals nothing about an address.
//! Only requests let through are counted: asking again while over the limit does not prolong
//! the wait.

use axum::http::HeaderMap;
use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::web::session;
use std::net::{IpAddr, SocketAddr};

diesel::table! {
    invitation.sign_in_requests (id) {
        id -> Int8,
        email_hash -> Bytea,
        client_hash -> Bytea,
        requested_at -> Timestamptz,
    }
}

/// The window requests are counted over.
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(15);
/// Links one email address may ask for within the window.
pub const PER_EMAIL: i64 = 5;
/// Links one client address may ask for within the window (an office shares one address).
pub const PER_CLIENT: i64 = 20;

/// Whether a request for a link may go ahead.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit: no link is sent.
    TooMany,
}

/// The client's address: the peer's, or, when the peer is the gateway (a loopback or private
/// address), the `X-Real-IP` the gateway sets. A client reaching a service directly from the
/// internet cannot choose its own address this way.
pub fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let peer = peer.map(|addr| addr.ip());
    let behind_gateway = peer.is_none_or(|ip| match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local(),
    });
    let forwarded = headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    match (behind_gateway, forwarded, peer) {
        (true, Some(ip), _) => ip.to_string(),
        (_, _, Some(ip)) => ip.to_string(),
        _ => "unknown".to_string(),
    }
}

/// Counts a request for `email` from `client`, unless either is over its limit.
pub async fn check(
    conn: &mut AsyncPgConnection,
    email: &str,
    client: &str,
) -> diesel::QueryResult<Verdict> {
    let email_hash = session::hash(&email.to_lowercase());
    let client_hash = session::hash(client);
    conn.transaction(async |conn| {
        // Two requests for the same key are counted one after the other. The email's lock is
        // always taken before the client's, so two requests never wait on each other in a cycle.
        for (kind, key) in [("email", &email_hash), ("client", &client_hash)] {
            diesel::sql_query(
                "SELECT pg_advisory_xact_lock(hashtextextended($1 || encode($2, 'hex'), 0))",
            )
            .bind::<Text, _>(format!("sign-in/{kind}/"))
            .bind::<Bytea, _>(key)
            .execute(conn)
            .await?;
        }
        let now = Utc::now();
        let since = now - WINDOW;
        // Requests older than the window count no more: removed, whoever made them, so the
        // table holds one window's requests. Rows another request is removing are skipped, so
        // two requests never wait for each other here.
        diesel::sql_query(
            "DELETE FROM invitation.sign_in_requests WHERE id IN (\
             SELECT id FROM invitation.sign_in_requests WHERE requested_at <= $1 \
             LIMIT 1000 FOR UPDATE SKIP LOCKED)",
        )
        .bind::<Timestamptz, _>(since)
        .execute(conn)
        .await?;
        let recent = sign_in_requests::requested_at.gt(since);
        let by_email: i64 = sign_in_requests::table
            .filter(sign_in_requests::email_hash.eq(&email_hash))
            .filter(recent)
            .count()
            .get_result(conn)
            .await?;
        let by_client: i64 = sign_in_requests::table
            .filter(sign_in_requests::client_hash.eq(&client_hash))
            .filter(recent)
            .count()
            .get_result(conn)
            .await?;
        if by_email >= PER_EMAIL || by_client >= PER_CLIENT {
            return Ok(Verdict::TooMany);
        }
        diesel::insert_into(sign_in_requests::table)
            .values((
                sign_in_requests::email_hash.eq(&email_hash),
                sign_in_requests::client_hash.eq(&client_hash),
                sign_in_requests::requested_at.eq(now),
            ))
            .execute(conn)
            .await?;
        Ok(Verdict::Allowed)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(addr: &str) -> SocketAddr {
        addr.parse().expect("an address")
    }

    #[test]
    fn the_gateways_header_is_trusted_only_from_the_gateway() {
        let mut headers = HeaderMap::new();
        headers.insert("x-real-ip", "203.0.113.7".parse().expect("a header"));
        assert_eq!(
            client_address(&headers, Some(peer("10.0.0.5:4000"))),
            "203.0.113.7"
        );
        assert_eq!(
            client_address(&headers, Some(peer("127.0.0.1:4000"))),
            "203.0.113.7"
        );
        assert_eq!(
            client_address(&headers, Some(peer("198.51.100.1:4000"))),
            "198.51.100.1"
        );
        assert_eq!(
            client_address(&HeaderMap::new(), Some(peer("10.0.0.5:4000"))),
            "10.0.0.5"
        );
    }
}
