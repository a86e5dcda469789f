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
    format!("00-{}-{}-01", hex(&trace), hex(&span))
}

/// The same trace, with a new parent id: the next hop of a message chain.
pub fn child_of(parent: &str) -> String {
    match parent.split('-').collect::<Vec<_>>().as_slice() {
        ["00", trace, _, flags] if trace.len() == 32 => {
            let mut span = [0u8; 8];
            rand::rng().fill_bytes(&mut span);
            format!("00-{trace}-{}-{flags}", hex(&span))
        }
        _ => new_traceparent(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    }
}
