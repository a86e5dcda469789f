//! Invitation links whose working token is never stored.
//!
//! The invitation service draws a random *reference* and derives the token from it with the
//! deployment's key (`INVITATION_LINK_KEY`): `token = HMAC-SHA256(key, reference)`. It stores
//! only the token's hash; the event, the outbox row, the notification inbox and the email
//! outbox carry only `pn-sealed-{reference}` in place of the token. The notification service
//! derives the token again at the moment it hands the email to the SMTP server, so the working
//! link exists only in memory and in the email itself. A reference read from any table claims
//! nothing without the key, which lives in configuration, not in the database.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// What stands for a token in stored text.
pub const MARKER: &str = "pn-sealed-";
/// Length of an encoded reference (16 random bytes).
const REFERENCE_LEN: usize = 22;

/// A new random reference.
pub fn new_reference() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The working token of `reference` under `key`.
pub fn token_for(key: &[u8], reference: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(key, reference.as_bytes()))
}

/// The stored stand-in for the token of `reference`.
pub fn sealed(reference: &str) -> String {
    format!("{MARKER}{reference}")
}

/// `text` with every sealed reference replaced by its working token (at send time only).
pub fn unseal_all(key: &[u8], text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(MARKER) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARKER.len()..];
        let reference: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if reference.len() == REFERENCE_LEN {
            out.push_str(&token_for(key, &reference));
            rest = &after[reference.len()..];
        } else {
            out.push_str(MARKER);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// HMAC-SHA256 (RFC 2104) with the `hmac` crate.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts a key of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn sealed_references_are_replaced_by_their_tokens_and_nothing_else_changes() {
        let reference = new_reference();
        let text = format!(
            "Accept: https://x.test/accept?token={}. pn-sealed-short",
            sealed(&reference)
        );
        let unsealed = unseal_all(b"key", &text);
        assert_eq!(
            unsealed,
            format!(
                "Accept: https://x.test/accept?token={}. pn-sealed-short",
                token_for(b"key", &reference)
            )
        );
        assert_ne!(
            token_for(b"key", &reference),
            token_for(b"other key", &reference)
        );
    }
}
