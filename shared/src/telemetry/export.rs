//! Span export over OTLP/HTTP, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//!
//! The exporter reads the standard OpenTelemetry variables itself (`OTEL_EXPORTER_OTLP_ENDPOINT`,
//! `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_SCHEDULE_DELAY`, ...); `OTEL_SERVICE_NAME` overrides
//! the process's name (`partnernet-<service>`). Spans leave in batches from a thread of the exporter's own,
//! so a slow or absent collector never holds up a request or a message.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

const ENDPOINT_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans leave this process: the trace context of messages follows the spans only then.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// The layer that turns spans into OpenTelemetry spans, if an endpoint is configured.
/// A configuration the exporter refuses is reported and leaves export off.
pub(super) fn layer<S>(process: &str) -> Option<OpenTelemetryLayer<S, SdkTracer>>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let configured = ENDPOINT_VARIABLES
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|value| !value.trim().is_empty()));
    if !configured || PROVIDER.get().is_some() {
        return None;
    }
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
    {
        Ok(exporter) => exporter,
        Err(err) => {
            // The subscriber is not installed yet: stderr is the only place to say it.
            eprintln!("span export is off: the OTLP exporter refused its configuration: {err}");
            return None;
        }
    };
    let service = std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| process.to_string());
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build();
    let tracer = provider.tracer("partnernet");
    let _ = PROVIDER.set(provider);
    EXPORTING.store(true, Ordering::Relaxed);
    Some(tracing_opentelemetry::layer().with_tracer(tracer))
}

/// Sends the spans still buffered. Call before the process exits.
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(err) = provider.shutdown()
    {
        tracing::warn!(error = %err, "flushing the last spans failed");
    }
}
