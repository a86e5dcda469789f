//! W3C trace context between spans and messages: a handled message's span continues the trace
//! of the span that sent it, and a message sent while handling carries the handling span.
//!
//! Everything here is a no-op unless spans are exported ([`super::exporting`]): without an
//! exporter there is no span for a `traceparent` to name.

use super::export::exporting;
use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`, as a remote span context.
pub fn parse(traceparent: &str) -> Option<SpanContext> {
    let mut parts = traceparent.split('-');
    let (Some("00"), Some(trace), Some(span), Some(flags), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if trace.len() != 32 || span.len() != 16 || flags.len() != 2 {
        return None;
    }
    let context = SpanContext::new(
        TraceId::from_hex(trace).ok()?,
        SpanId::from_hex(span).ok()?,
        TraceFlags::new(u8::from_str_radix(flags, 16).ok()?),
        true,
        TraceState::default(),
    );
    context.is_valid().then_some(context)
}

/// The `traceparent` naming `context`.
pub fn format(context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags().to_u8()
    )
}

/// Makes `span` a child of the span `traceparent` names (the message's sender, or an HTTP
/// caller), unless the span running now is already in that trace (a batch of one that continued
/// it): then `span` stays that span's child. Call before `span` is first entered.
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    if !exporting() {
        return;
    }
    let Some(parent) = parse(traceparent) else {
        return;
    };
    let running = tracing::Span::current().context();
    if running.span().span_context().trace_id() == parent.trace_id() {
        return;
    }
    // Fails only if the span is disabled by the filter or already started: nothing to link.
    let _ = span.set_parent(Context::new().with_remote_span_context(parent));
}

/// Links `span` to the span `traceparent` names: a batch, handled for many senders at once.
pub fn link(span: &tracing::Span, traceparent: &str) {
    if !exporting() {
        return;
    }
    if let Some(sender) = parse(traceparent) {
        span.add_link(sender);
    }
}

/// The `traceparent` of the span being run, for a message it sends; `None` when spans are not
/// exported or no span is current.
pub fn current() -> Option<String> {
    if !exporting() {
        return None;
    }
    let context = tracing::Span::current().context();
    let span = context.span();
    let current = span.span_context();
    current.is_valid().then(|| format(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_reads_back_as_it_was_written() {
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = parse(traceparent).expect("valid");
        assert!(context.is_remote());
        assert!(context.is_sampled());
        assert_eq!(format(&context), traceparent);
    }

    #[test]
    fn malformed_or_zero_traceparents_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
        ] {
            assert!(parse(bad).is_none(), "{bad:?} accepted");
        }
    }
}
