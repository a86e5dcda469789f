//! W3C `traceparent` values (`00-<trace id>-<parent id>-01`).
//!
//! When spans are exported, a message carries the span that sent it (an HTTP request's, a
//! handled message's or a batch's), so that the span handling it continues that trace. Without
//! export, ids are made up: the trace id still ties a chain of messages together in the logs.

use crate::telemetry::trace_context;
use rand::RngCore;

/// The `traceparent` of a message that starts a chain: the current span's, or a new trace.
pub fn for_new_chain() -> String {
    trace_context::current().unwrap_or_else(new_traceparent)
}

/// The `traceparent` of a message caused by one carrying `cause`: the span handling the cause
/// (which continues the cause's trace, or links to it from a batch), or the same trace id.
pub fn for_next_hop(cause: &str) -> String {
    trace_context::current().unwrap_or_else(|| child_of(cause))
}

/// A new trace: random trace id and parent id, sampled.
pub fn new_traceparent() -> String {
    let mut rng = rand::rng();
    let mut trace = [0u8; 16];
    let mut span = [0u8; 8];
    rng.fill_bytes(&mut trace);
    rng.fill_bytes(&mut span);
    let mut value = String::with_capacity(LENGTH);
    value.push_str("00-");
    push_hex(&mut value, &trace);
    value.push('-');
    push_hex(&mut value, &span);
    value.push_str("-01");
    value
}

/// The same trace, with a new parent id: the next hop of a message chain.
pub fn child_of(parent: &str) -> String {
    let mut parts = parent.split('-');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("00"), Some(trace), Some(_), Some(flags), None) if trace.len() == 32 => {
            let mut span = [0u8; 8];
            rand::rng().fill_bytes(&mut span);
            let mut value = String::with_capacity(LENGTH);
            value.push_str("00-");
            value.push_str(trace);
            value.push('-');
            push_hex(&mut value, &span);
            value.push('-');
            value.push_str(flags);
            value
        }
        _ => new_traceparent(),
    }
}

/// `00-` + 32 + `-` + 16 + `-01`.
const LENGTH: usize = 55;

/// Lower-case hex, written in place (one allocation per value instead of one per byte: a
/// handler mints one for every message it sends).
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_keeps_the_trace_id() {
        let parent = new_traceparent();
        let child = child_of(&parent);
        assert_eq!(parent.len(), 55);
        assert_eq!(parent[3..35], child[3..35]);
        assert_ne!(parent, child);
        assert_eq!(child.len(), 55);
        assert!(
            parent.starts_with("00-") && parent.ends_with("-01"),
            "{parent}"
        );
        assert!(
            child.split('-').all(|part| part
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())),
            "{child}"
        );
    }

    #[test]
    fn a_malformed_parent_starts_a_new_trace() {
        let trace = "0af7651916cd43dd8448eb211c80319c";
        for parent in [
            String::new(),
            "00-abc-def-01".to_string(),
            format!("01-{trace}-b7ad6b7169203331-01"),
            format!("00-{trace}-b7ad6b7169203331-01-extra"),
        ] {
            let child = child_of(&parent);
            assert_eq!(child.len(), 55, "{parent}");
            assert!(!child.contains(trace), "{parent} gave {child}");
        }
    }
}
