//! Prometheus metrics. Names, all counters unless said:
//! - `partnernet_messages_handled_total{consumer, outcome}` (outcome: handled, duplicate);
//! - `partnernet_messages_retried_total{consumer}`;
//! - `partnernet_messages_dead_lettered_total{consumer}`;
//! - `partnernet_outbox_published_total{service}`;
//! - `partnernet_outbox_backlog{service}` (gauge: rows waiting, read after a relay pass at most every 5 s);
//! - `partnernet_emails_sent_total`, `partnernet_emails_failed_total`, `partnernet_emails_retried_total`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls return the same handle.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    install().map(|h| h.render()).unwrap_or_default()
}
