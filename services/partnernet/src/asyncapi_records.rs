//! The record channels of the AsyncAPI document: the ingest exchange orgs' own systems
//! publish to (with copyable examples) and each org's change feed.

use serde_json::{Map, Value, json};
use shared::amqp::Topology;

/// The example org of the documents.
const ORG: &str = "0193a5b0-7c1e-7a00-8000-000000000001";

pub fn add(
    topology: &Topology,
    channels: &mut Map<String, Value>,
    operations: &mut Map<String, Value>,
    components: &mut Map<String, Value>,
) {
    let ingest = topology.ingest_exchange();
    channels.insert(
        "ingest".into(),
        json!({
            "address": ingest,
            "description": format!("Records in from an org's own systems. Publish as your org's broker user (`partnernet org create` prints it), persistent, with publisher confirms, routing key `<org_id>.record.upsert.v1` or `<org_id>.record.delete.v1`, and the AMQP property `user_id` set to your broker user: the broker checks it, and PartnerNet takes your org from it (never from the body). The body is the standard envelope; its `org_id` must be your org. A message that breaks a rule of your schema, names an unknown object or field, is larger than 256 KiB or is not a valid envelope is dead-lettered with the reason (`partnernet dead-letters list sync`) and changes nothing. Messages of one record (object and record_id) are applied in publish order."),
            "messages": {
                "record.upsert.v1": { "$ref": "#/components/messages/record.upsert.v1" },
                "record.delete.v1": { "$ref": "#/components/messages/record.delete.v1" }
            },
            "bindings": { "amqp": { "is": "routingKey", "exchange": { "name": ingest, "type": "topic", "durable": true, "autoDelete": false, "vhost": "/" }, "bindingVersion": "0.3.0" } }
        }),
    );
    operations.insert(
        "ingest.record".into(),
        json!({
            "action": "send",
            "summary": "Your org's system publishes its record changes (routing key `<org_id>.record.upsert.v1` / `.record.delete.v1`, `user_id` your broker user).",
            "channel": { "$ref": "#/channels/ingest" },
            "messages": [
                { "$ref": "#/channels/ingest/messages/record.upsert.v1" },
                { "$ref": "#/channels/ingest/messages/record.delete.v1" }
            ],
            "bindings": { "amqp": { "deliveryMode": 2, "mandatory": true, "bindingVersion": "0.3.0" } }
        }),
    );
    let feed = format!("{}.changes.{{org_id}}", topology.prefix());
    channels.insert(
        "changes".into(),
        json!({
            "address": feed,
            "description": format!("Your org's change feed (quorum queue), bound to {} with `record.changed.v1.<org_id>`: every change to your records, whatever its source (AMQP, HTTP, bulk, a partner), once per change: what changed, the new version, who changed it. Only your org's broker user may read it. Deduplicate by `message_id` (a redelivery keeps it).", topology.changes_exchange()),
            "parameters": { "org_id": { "description": "Your org's id." } },
            "messages": { "record.changed.v1": { "$ref": "#/components/messages/record.changed.v1" } },
            "bindings": { "amqp": { "is": "queue", "queue": { "name": feed, "durable": true, "exclusive": false, "autoDelete": false, "vhost": "/" }, "bindingVersion": "0.3.0" } }
        }),
    );
    operations.insert(
        "consume.changes".into(),
        json!({
            "action": "receive",
            "summary": "Your org's system consumes its change feed as its broker user.",
            "channel": { "$ref": "#/channels/changes" },
            "messages": [{ "$ref": "#/channels/changes/messages/record.changed.v1" }]
        }),
    );
    let examples = [
        (
            "record.upsert.v1",
            "record.upsert",
            json!({"object": "Account", "record_id": "ACC-1001", "fields": {"Name": "Acme Corp", "Industry": "Manufacturing", "NumberOfEmployees": 250}}),
        ),
        (
            "record.delete.v1",
            "record.delete",
            json!({"object": "Account", "record_id": "ACC-1001"}),
        ),
    ];
    for (key, kind, payload) in examples {
        if let Some(Value::Object(message)) = components.get_mut(key) {
            message.insert(
                "examples".into(),
                json!([{
                    "name": key,
                    "summary": format!("Routing key `{ORG}.{key}`, property `user_id` = your broker user"),
                    "payload": {
                        "message_id": "0193a5b0-8d2f-7b11-9a3c-5e2f00000001",
                        "type": kind,
                        "version": 1,
                        "occurred_at": "2026-11-24T09:30:00Z",
                        "org_id": ORG,
                        "correlation_id": "0193a5b0-8d2f-7b11-9a3c-5e2f00000002",
                        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                        "payload": payload
                    }
                }]),
            );
        }
    }
}
