//! A message the runtime publishes again (to a retry queue, to dead letters) keeps who first
//! published it. The broker accepts a `user_id` property only if it names the publishing
//! connection's user, so the runtime sets its own and moves an org's (from the ingest
//! exchange) into the `x-ingest-user` header, which it trusts only beside its own `user_id`:
//! an org cannot set that one, so it cannot forge the header either.

use crate::amqp::{Headers, header_str};
use lapin::BasicProperties;

const HEADER: &str = "x-ingest-user";

/// The user of an AMQP URL (`guest` when it names none).
pub fn broker_user(amqp_url: &str) -> String {
    let rest = amqp_url
        .split_once("://")
        .map_or(amqp_url, |(_, rest)| rest);
    match rest.rsplit_once('@') {
        Some((credentials, _)) => credentials.split(':').next().unwrap_or("guest").to_string(),
        None => "guest".to_string(),
    }
}

/// Who published the delivery: its `user_id`, or for one the runtime republished, the header.
pub fn publisher(properties: &BasicProperties, own_user: &str) -> Option<String> {
    let user = properties
        .user_id()
        .as_ref()
        .map(|u| u.as_str().to_string());
    match user {
        Some(user) if user == own_user => header_str(properties.headers().as_ref(), HEADER),
        other => other,
    }
}

/// The properties to publish a delivery again with: `headers`, and the publisher kept.
pub fn properties(original: &BasicProperties, headers: Headers, own_user: &str) -> BasicProperties {
    let publisher = publisher(original, own_user);
    let headers = match &publisher {
        Some(user) => headers.text(HEADER, user),
        None => headers,
    };
    let properties = original.clone().with_headers(headers.into_table());
    match publisher {
        Some(_) => properties.with_user_id(own_user.into()),
        None => properties,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_publisher_survives_a_republish_and_cannot_be_forged() {
        assert_eq!(broker_user("amqp://svc:pw@host:5672/%2f"), "svc");
        assert_eq!(broker_user("amqp://host:5672"), "guest");
        let org = BasicProperties::default().with_user_id("pn-org-1".into());
        assert_eq!(publisher(&org, "svc").as_deref(), Some("pn-org-1"));
        let again = properties(&org, Headers::default(), "svc");
        assert_eq!(again.user_id().as_ref().map(|u| u.as_str()), Some("svc"));
        assert_eq!(publisher(&again, "svc").as_deref(), Some("pn-org-1"));
        // An org's own header, beside its own user id, is not read.
        let forged = BasicProperties::default()
            .with_user_id("pn-org-1".into())
            .with_headers(Headers::default().text(HEADER, "pn-org-2").into_table());
        assert_eq!(publisher(&forged, "svc").as_deref(), Some("pn-org-1"));
        assert_eq!(publisher(&BasicProperties::default(), "svc"), None);
    }
}
