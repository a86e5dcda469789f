//! Each org's change feed: a quorum queue `{prefix}.changes.{org_id}` bound to its changes
//! (see `shared::amqp::records`). Declared when the org's broker user is created, and again
//! for every org with a broker user when sync starts (a feed deleted by hand comes back).

use shared::amqp::{Topology, connect, timed};
use shared::db::DbPool;
use shared::ids::OrgId;
use shared::service::Worker;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Declares the change feeds of `orgs`. Idempotent.
pub async fn declare(amqp_url: &str, topology: &Topology, orgs: &[OrgId]) -> anyhow::Result<()> {
    let connection = connect(amqp_url, "partnernet change feeds").await?;
    let result = async {
        let channel = timed("opening a channel", connection.create_channel()).await?;
        for org in orgs {
            topology.declare_change_feed(&channel, *org).await?;
        }
        shared::amqp::close_channel(channel).await
    }
    .await;
    let _ = timed("closing", connection.close(200, "declared".into())).await;
    result
}

/// At start: declares every org's change feed, trying again until it succeeds or shutdown.
pub fn at_start(pool: DbPool, amqp_url: String, topology: Topology) -> Worker {
    Box::new(move |shutdown: CancellationToken| {
        Box::pin(async move {
            let mut wait = Duration::from_millis(500);
            loop {
                match declare_all(&pool, &amqp_url, &topology).await {
                    Ok(n) => {
                        tracing::info!(feeds = n, "change feeds declared");
                        return;
                    }
                    Err(err) => {
                        tracing::warn!(error = %format!("{err:#}"), "could not declare the change feeds yet")
                    }
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        })
    })
}

async fn declare_all(pool: &DbPool, amqp_url: &str, topology: &Topology) -> anyhow::Result<usize> {
    let orgs = {
        let mut conn = pool.get().await?;
        crate::broker_users::orgs(&mut conn).await?
    };
    declare(amqp_url, topology, &orgs).await?;
    Ok(orgs.len())
}
