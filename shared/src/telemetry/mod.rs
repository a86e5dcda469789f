//! Tracing set-up, once per process, and masking of personal data in logs.
//!
//! Policy: never log an email address, a token or an API key in clear. Log ids instead;
//! where a recipient must appear, log [`mask_email`] of it.

mod export;
pub mod trace_context;

pub use export::{exporting, shutdown};

use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. `RUST_LOG` filters the logs (default `info`).
///
/// Logs go to stderr, so that stdout carries only what a command prints (the CLI's ids, keys and
/// documents); colours only when stderr is a terminal. When `OTEL_EXPORTER_OTLP_ENDPOINT` is
/// set, spans at `info` and above are also exported over OTLP/HTTP, whatever `RUST_LOG` says,
/// under the name `process` (or `OTEL_SERVICE_NAME`); a process with no name (a command-line
/// run) exports nothing.
pub fn init(format: LogFormat, process: Option<&str>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let spans = process
        .and_then(export::layer)
        .map(|layer| layer.with_filter(LevelFilter::INFO));
    let registry = tracing_subscriber::registry().with(spans);
    let result = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr)
                    .with_filter(filter),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_filter(filter),
            )
            .try_init(),
    };
    // A second call (several services in one process) keeps the first subscriber.
    let _ = result;
}

/// A quiet subscriber for tests: warnings only unless `RUST_LOG` says otherwise.
pub fn init_for_tests() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// `jane.doe@example.com` becomes `j***@example.com`.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::mask_email;

    #[test]
    fn emails_are_masked() {
        assert_eq!(mask_email("jane.doe@example.com"), "j***@example.com");
        assert_eq!(mask_email("not-an-address"), "***");
    }
}
