//! Prometheus metrics. Names, all counters unless said:
//! - `partnernet_messages_handled_total{consumer, outcome}` (outcome: handled, duplicate);
//! - `partnernet_messages_retried_total{consumer}`;
//! - `partnernet_messages_dead_lettered_total{consumer}`;
//! - `partnernet_outbox_published_total{service}`;
//! - `partnernet_outbox_backlog{service}` (gauge: rows waiting, read after a relay pass at most every 5 s);
//! - `partnernet_emails_sent_total`, `partnernet_emails_failed_total`, `partnernet_emails_retried_total`;
//! - `partnernet_sync_updates_total{outcome}` (sync: attempts to apply a partner's update whose
//!   ledger write committed; outcome: applied, resolved, superseded, failed, retrying);
//! - `partnernet_sync_lag_seconds` (sync, histogram: from a partner's update's creation, its
//!   envelope's `occurred_at`, to the commit that applied it to the copy; applied and resolved).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Buckets of `partnernet_sync_lag_seconds`: from a busy-but-healthy link (tens of ms) to a
/// replay hours later. Other histograms would be rendered as summaries.
const SYNC_LAG_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0,
];

/// Installs the process-wide recorder once; later calls return the same handle.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("partnernet_sync_lag_seconds".to_string()),
                    SYNC_LAG_BUCKETS,
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    install().map(|h| h.render()).unwrap_or_default()
}

/// Field sync's metrics (recorded by the sync service once what they count has committed).
pub mod sync {
    use super::Duration;

    /// One attempt at a partner's update ended in `outcome` (its ledger state, lower case).
    pub fn update(outcome: &'static str) {
        metrics::counter!("partnernet_sync_updates_total", "outcome" => outcome).increment(1);
    }

    /// A partner's update was applied to the copy `lag` after it was created.
    pub fn lag(lag: Duration) {
        metrics::histogram!("partnernet_sync_lag_seconds").record(lag.as_secs_f64());
    }
}
