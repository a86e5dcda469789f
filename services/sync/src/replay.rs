//! Replaying an org's dead-lettered field sync updates (ledger Failed or Retrying, the org
//! receiving them) into the apply queue, for the HTTP route and the CLI alike.

use crate::ledger::{self, Filter};
use shared::amqp::{Topology, dead_letters};
use shared::db::DbPool;
use shared::ids::OrgId;
use std::collections::HashSet;
use uuid::Uuid;

/// Which of the org's updates to replay.
pub enum Selector {
    Update(Uuid),
    /// The org's copy.
    Record(String),
    Connection(Uuid),
}

/// Moves the selected updates' dead letters back to the apply queue. Returns how many.
pub async fn replay(
    pool: &DbPool,
    amqp_url: &str,
    topology: &Topology,
    org: OrgId,
    selector: &Selector,
) -> anyhow::Result<usize> {
    let (connection_id, record_id) = match selector {
        Selector::Update(_) => (None, None),
        Selector::Record(id) => (None, Some(id.as_str())),
        Selector::Connection(id) => (Some(*id), None),
    };
    let mut conn = pool.get().await?;
    let rows = ledger::list(
        &mut conn,
        &Filter {
            org,
            connection_id,
            record_id,
            failed_only: false,
            after: None,
            limit: 10_000,
        },
    )
    .await?;
    drop(conn);
    let wanted: HashSet<Uuid> = rows
        .into_iter()
        .filter(|e| e.receiver_org_id == org.as_uuid())
        .filter(|e| e.state == "Failed" || e.state == "Retrying")
        .filter(|e| match selector {
            Selector::Update(id) => *id == e.update_id,
            _ => true,
        })
        .map(|e| e.update_id)
        .collect();
    if wanted.is_empty() {
        return Ok(0);
    }
    // A replayed update that fails again is a new failure, reported again; a redelivery is not.
    let ids: Vec<Uuid> = wanted.iter().copied().collect();
    let mut conn = pool.get().await?;
    ledger::rearm_reports(&mut conn, org, &ids).await?;
    drop(conn);
    // A dead letter is the org's update if its envelope is addressed to the org and its
    // update id is one of the org's failed ones.
    let org_text = org.as_uuid().to_string();
    let pick = |body: &[u8]| {
        let Ok(envelope) = serde_json::from_slice::<serde_json::Value>(body) else {
            return false;
        };
        let update = envelope["payload"]["update_id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok());
        envelope["org_id"].as_str() == Some(org_text.as_str())
            && update.is_some_and(|id| wanted.contains(&id))
    };
    dead_letters::replay_where(amqp_url, topology, crate::NAME, wanted.len(), pick).await
}
