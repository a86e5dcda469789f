//! The soak's updates: every field of every record has one writer, one of the record's copies
//! (field `f` of a record with copies `c0..cn` is written at `c[f % n]`, so both ends of every
//! link make changes). Update `i` sets its slot (record, field) to `s{i}`: values are unique
//! and grow with `i`, so a value tells which update it came from and which of two is newer.
//! Each org publishes its updates in order, over AMQP to the ingest exchange, as its own
//! broker user.

use serde_json::{Value, json};
use std::collections::HashMap;
use tests::TestApp;
use tests::linked_orgs::{Copy, LinkedOrgs};
use tests::records::{OrgBroker, upsert};

/// Upserts published per confirmed batch.
const PUBLISH_BATCH: usize = 500;

/// One field of one record.
#[derive(Debug, Clone)]
pub struct Slot {
    pub record: usize,
    pub field: String,
    /// Where its updates are made.
    pub writer: Copy,
}

pub struct Plan {
    pub slots: Vec<Slot>,
    pub updates: usize,
    /// The serial replay's value of each slot: its writer's last value (`None`: never written).
    pub last: Vec<Option<u64>>,
}

impl Plan {
    pub fn new(net: &LinkedOrgs, fields: &[String], updates: usize) -> Self {
        let mut slots = Vec::new();
        for (record, copies) in net.records.iter().enumerate() {
            for (f, field) in fields.iter().enumerate() {
                slots.push(Slot {
                    record,
                    field: field.clone(),
                    writer: copies[f % copies.len()].clone(),
                });
            }
        }
        let mut last = vec![None; slots.len()];
        for i in 0..updates {
            last[i % slots.len()] = Some(i as u64);
        }
        Self {
            slots,
            updates,
            last,
        }
    }

    /// Update `i`: its slot.
    fn slot_of(&self, i: usize) -> &Slot {
        &self.slots[i % self.slots.len()]
    }

    /// Updates made at each copy (each writes the copy once, bumping its version once).
    pub fn local_writes(&self) -> HashMap<Copy, i64> {
        let mut writes: HashMap<Copy, i64> = HashMap::new();
        for i in 0..self.updates {
            *writes.entry(self.slot_of(i).writer.clone()).or_default() += 1;
        }
        writes
    }
}

/// The value update `i` writes.
pub fn value(i: usize) -> String {
    format!("s{i}")
}

/// The update a value came from (`None` for a record's initial values).
pub fn update_of(value: Option<&str>) -> Option<u64> {
    value?.strip_prefix('s')?.parse().ok()
}

/// Every org's broker user (made as `partnernet org create` makes it); dropping one deletes
/// it and its change feed.
pub async fn brokers(app: &TestApp, net: &LinkedOrgs) -> Vec<OrgBroker> {
    let mut brokers = Vec::new();
    for org in &net.orgs {
        brokers.push(OrgBroker::create(app, org).await);
    }
    brokers
}

/// Publishes every update, each org's in order on its own broker user, the orgs concurrently.
pub async fn send(app: &TestApp, net: &LinkedOrgs, brokers: &[OrgBroker], plan: &Plan) {
    let mut by_org: HashMap<usize, Vec<(String, String, String)>> = HashMap::new();
    for i in 0..plan.updates {
        let slot = plan.slot_of(i);
        by_org.entry(slot.writer.org).or_default().push((
            slot.writer.record_id.clone(),
            slot.field.clone(),
            value(i),
        ));
    }
    let publishers = by_org.into_iter().map(|(org, updates)| async move {
        let broker = &brokers[org];
        let org = &net.orgs[org];
        for chunk in updates.chunks(PUBLISH_BATCH) {
            let envelopes: Vec<_> = chunk
                .iter()
                .map(|(record, field, value)| {
                    let mut fields = serde_json::Map::new();
                    fields.insert(field.clone(), Value::String(value.clone()));
                    upsert(org, "Account", record, json!(fields))
                })
                .collect();
            broker.publish_upserts(app.topology(), &envelopes).await;
        }
    });
    futures_util::future::join_all(publishers).await;
}

/// Empties the orgs' change feeds (nobody reads them in a soak; they would only grow).
pub async fn purge_feeds(app: &TestApp, brokers: &[OrgBroker]) {
    let Ok(connection) = shared::amqp::connect(app.amqp_url(), "soak feed purge").await else {
        return;
    };
    if let Ok(channel) = connection.create_channel().await {
        for broker in brokers {
            let _ = channel
                .queue_purge(
                    broker.user.change_feed.as_str().into(),
                    lapin::options::QueuePurgeOptions::default(),
                )
                .await;
        }
        let _ = shared::amqp::close_channel(channel).await;
    }
    let _ = connection.close(200, "done".into()).await;
}
