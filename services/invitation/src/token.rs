//! Invitation tokens: 32 bytes derived from a random reference with the deployment's key
//! ([`shared::sealed_link`]), url-safe; only their SHA-256 is stored, and the event carries the
//! sealed reference, never the token: the notification service derives the token as it sends.

use sha2::{Digest, Sha256};
use shared::config::CommonConfig;
use shared::sealed_link;

/// A new invitation's token: its hash to store and the link to publish (sealed).
pub struct Issued {
    pub hash: Vec<u8>,
    pub accept_url: String,
}

pub fn issue(config: &CommonConfig) -> Issued {
    let reference = sealed_link::new_reference();
    let token = sealed_link::token_for(config.invitation_link_key.expose().as_bytes(), &reference);
    Issued {
        hash: hash(&token),
        accept_url: accept_url(&config.public_base_url, &sealed_link::sealed(&reference)),
    }
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The link the invitee follows, built from configuration (never from a request's Host header).
pub fn accept_url(public_base_url: &str, token: &str) -> String {
    format!("{public_base_url}/invitations/accept?token={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_links_carry_a_sealed_reference_that_unseals_to_the_hashed_token() {
        let config = CommonConfig::from_source(&std::collections::HashMap::<String, String>::new())
            .expect("defaults");
        let (a, b) = (issue(&config), issue(&config));
        assert_ne!(a.hash, b.hash);
        assert!(
            a.accept_url.contains(sealed_link::MARKER),
            "{}",
            a.accept_url
        );
        let key = config.invitation_link_key.expose().as_bytes();
        let unsealed = sealed_link::unseal_all(key, &a.accept_url);
        let token = unsealed.rsplit('=').next().expect("a token");
        assert_eq!(token.len(), 43);
        assert_eq!(hash(token), a.hash);
    }
}
