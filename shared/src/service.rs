//! How a service runs: its parts (routes, consumers, background workers) are started together,
//! served on one port with the operational routes, and stopped together on shutdown.
//! `partnernet serve all` hands the parts of all four services to one [`serve`] call.

use crate::amqp::{Publisher, Topology};
use crate::config::CommonConfig;
use crate::consumer::{self, ConsumerContext, ConsumerSpec};
use crate::db::{self, DbPool};
use crate::health::Health;
use crate::http::{OpsState, ops_router};
use anyhow::Context;
use axum::Router;
use futures_util::future::BoxFuture;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

/// What every service's parts are built from: one per process.
#[derive(Clone)]
pub struct Platform {
    pub config: CommonConfig,
    pub pool: DbPool,
    pub topology: Topology,
    pub health: Health,
}

impl Platform {
    pub fn new(config: CommonConfig) -> anyhow::Result<Self> {
        let pool = db::pool(config.database_url.expose(), config.db_pool_size)?;
        let topology = Topology::new(&config.queue_prefix, config.retry.clone());
        Ok(Self {
            config,
            pool,
            topology,
            health: Health::default(),
        })
    }
}

/// A long-running loop of a service (e.g. email delivery); it must return soon after the token
/// is cancelled.
pub type Worker = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send>;

/// Everything one service contributes to a process.
pub struct ServiceParts {
    pub name: &'static str,
    /// Its `/v1/...` routes, state applied.
    pub router: Router,
    pub consumers: Vec<ConsumerSpec>,
    pub workers: Vec<Worker>,
    /// Whether it publishes through the outbox (then a relay runs for it).
    pub publishes: bool,
}

/// How long shutdown waits for in-flight messages before giving up on them (they are redelivered).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the unrouted queue's depth is read (gauge and warning).
const UNROUTED_CHECK_EVERY: Duration = Duration::from_secs(15);

/// How often the inbox janitor creates and drops inbox partitions.
const INBOX_JANITOR_EVERY: Duration = Duration::from_secs(600);

/// Serves `parts` on `listener` until `shutdown`, then finishes in-flight work.
pub async fn serve(
    platform: Platform,
    parts: Vec<ServiceParts>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    crate::metrics::install();
    let mut tasks = JoinSet::new();
    let mut router = ops_router(OpsState {
        pool: platform.pool.clone(),
        health: platform.health.clone(),
    });
    let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
    if platform.config.invitation_link_key.expose() == crate::config::DEVELOPMENT_LINK_KEY {
        tracing::warn!("INVITATION_LINK_KEY is not set: invitation links use the development key");
    }
    tasks.spawn(crate::inbox_retention::janitor(
        platform.pool.clone(),
        platform.config.inbox_retention,
        INBOX_JANITOR_EVERY,
        shutdown.clone(),
    ));
    tasks.spawn(crate::amqp::unrouted::watch(
        platform.config.amqp_url.expose().clone(),
        platform.topology.clone(),
        UNROUTED_CHECK_EVERY,
        shutdown.clone(),
    ));
    for part in parts {
        if part.publishes {
            // Registered as down before the task runs: not ready until it has connected.
            platform
                .health
                .set(&crate::outbox::component_name(part.name), false);
            let publisher = Publisher::for_topology(
                platform.config.amqp_url.expose(),
                &format!("{} outbox relay", part.name),
                &platform.topology,
            );
            tasks.spawn(crate::outbox::relay(
                part.name,
                platform.config.database_url.expose().clone(),
                platform.pool.clone(),
                publisher,
                platform.topology.clone(),
                platform.config.outbox_poll,
                platform.health.clone(),
                shutdown.clone(),
            ));
        }
        for spec in part.consumers {
            let ctx = ConsumerContext {
                pool: platform.pool.clone(),
                amqp_url: platform.config.amqp_url.expose().clone(),
                topology: platform.topology.clone(),
                prefetch: platform.config.prefetch,
                health: platform.health.clone(),
                settings: platform.config.consumer.clone(),
            };
            platform
                .health
                .set(&consumer::component_name(&ctx, &spec), false);
            tasks.spawn(consumer::run(spec, ctx, shutdown.clone()));
        }
        for worker in part.workers {
            tasks.spawn(worker(shutdown.clone()));
        }
        router = router.merge(part.router);
    }
    let router = router
        // Every body but streamed NDJSON uploads is limited to MAX_BODY_BYTES.
        .layer(axum::middleware::from_fn(
            crate::http::body_limit::limit_body,
        ))
        // Outside the body limit, so that its 413 becomes a problem+json answer too.
        .layer(axum::middleware::from_fn(crate::http::problems))
        // 5xx answers are warnings here: a 503 from /readyz while starting is expected, and real
        // 500s are already logged at ERROR, with their cause, by `ApiError::internal`.
        .layer(
            TraceLayer::new_for_http()
                // The path only: a query may hold a secret (the invitation token of an email link).
                // A caller's `traceparent` header makes the request part of the caller's trace.
                .make_span_with(|request: &axum::http::Request<_>| {
                    let span = tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                    );
                    if let Some(traceparent) = request
                        .headers()
                        .get("traceparent")
                        .and_then(|value| value.to_str().ok())
                    {
                        crate::telemetry::trace_context::continue_trace(&span, traceparent);
                    }
                    span
                })
                .on_failure(DefaultOnFailure::new().level(tracing::Level::WARN)),
        );
    let addr = listener
        .local_addr()
        .context("reading the listener's address")?;
    tracing::info!(%addr, services = ?names, "serving");
    crate::http::serve_http(
        listener,
        router,
        platform.config.http_timeouts,
        shutdown.clone(),
    )
    .await;
    // HTTP has stopped taking requests; the loops saw the same token and finish what they hold.
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("shutdown: some work did not finish in time; it will be redelivered");
        tasks.abort_all();
    }
    tracing::info!(services = ?names, "stopped");
    Ok(())
}

/// Binds the configured address.
pub async fn bind(config: &CommonConfig) -> anyhow::Result<TcpListener> {
    TcpListener::bind(config.http_addr)
        .await
        .with_context(|| format!("binding {}", config.http_addr))
}
