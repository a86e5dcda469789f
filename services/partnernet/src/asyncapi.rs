//! The message contract, generated from the code: `partnernet asyncapi` prints
//! `docs/asyncapi.yaml` (AsyncAPI 3.0): the events exchange, every work, retry and dead-letter
//! queue, and the schema of every message.

use crate::{AllConfig, all_consumers};
use serde_json::{Map, Value, json};
use shared::amqp::Topology;
use shared::message::catalog;
use std::collections::HashMap;

pub fn document() -> anyhow::Result<Value> {
    // Document the default deployment, whatever this process's environment says.
    let config = AllConfig::from_source(&HashMap::<String, String>::new())?;
    let common = &config.invitation.common;
    let topology = Topology::new(&common.queue_prefix, common.retry.clone());
    let consumers = all_consumers(&config)?;
    let messages = catalog::all();

    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut components = Map::new();

    let event_refs: Map<String, Value> = messages
        .iter()
        .map(|m| {
            (
                m.routing_key(),
                json!({ "$ref": format!("#/components/messages/{}", m.routing_key()) }),
            )
        })
        .collect();
    channels.insert(
        "events".into(),
        json!({
            "address": topology.events_exchange(),
            "description": "Domain events. Routing key: `<kind>.v<version>`. Every message is persistent and published with confirms. Internal: only the services' broker user may publish here (an event makes PartnerNet act for the org it names); outside publishers are refused by the broker (docs/operations.md, Broker users).",
            "messages": event_refs,
            "bindings": { "amqp": { "is": "routingKey", "exchange": { "name": topology.events_exchange(), "type": "topic", "durable": true, "autoDelete": false, "vhost": "/" }, "bindingVersion": "0.3.0" } }
        }),
    );
    for m in &messages {
        components.insert(
            m.routing_key(),
            json!({
                "name": m.routing_key(),
                "title": m.kind,
                "summary": m.description,
                "contentType": "application/json",
                "payload": m.schema,
                "x-publisher": m.publisher,
                "bindings": { "amqp": { "messageType": m.routing_key(), "bindingVersion": "0.3.0" } }
            }),
        );
        operations.insert(
            format!("publish.{}", m.routing_key()),
            json!({
                "action": "send",
                "summary": format!("The {} service publishes {}.", m.publisher, m.routing_key()),
                "channel": { "$ref": "#/channels/events" },
                "messages": [{ "$ref": format!("#/channels/events/messages/{}", m.routing_key()) }],
                // Persistent (delivery mode 2) and mandatory (an unroutable event is returned).
                "bindings": { "amqp": { "deliveryMode": 2, "mandatory": true, "bindingVersion": "0.3.0" } }
            }),
        );
    }
    let mut services: Vec<&str> = Vec::new();
    for consumer in &consumers {
        if !services.contains(&consumer.service) {
            services.push(consumer.service);
        }
        let bound = consumer.handlers.routing_keys();
        let retired = consumer.handlers.unbound_keys();
        // What the queue may hold: what it is bound to, or what an older version bound it to.
        let keys: Vec<String> = bound.iter().chain(&retired).cloned().collect();
        let bound_to = match (bound.is_empty(), retired.is_empty()) {
            (_, true) => format!("Bound to: {}", bound.join(", ")),
            (true, false) => format!(
                "Bound to nothing (retired): handles only the {} an older version left in it; every start removes that binding",
                retired.join(", ")
            ),
            (false, false) => format!(
                "Bound to: {}. No longer bound to {} (retired): handles what an older version left in it; every start removes that binding",
                bound.join(", "),
                retired.join(", ")
            ),
        };
        let refs: Map<String, Value> = keys
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    json!({ "$ref": format!("#/components/messages/{k}") }),
                )
            })
            .collect();
        for queue in topology.describe_consumer(consumer.service, consumer.name) {
            let is_work = !queue.name.contains(".retry");
            channels.insert(
                queue.name.clone(),
                json!({
                    "address": queue.name,
                    "description": queue.description,
                    "messages": refs,
                    "bindings": { "amqp": { "is": "queue", "queue": { "name": queue.name, "durable": true, "exclusive": false, "autoDelete": false, "vhost": "/" }, "bindingVersion": "0.3.0" } }
                }),
            );
            if is_work {
                operations.insert(
                    format!("consume.{}", queue.name),
                    json!({
                        "action": "receive",
                        "summary": format!("{bound_to}. Failed messages wait in the retry queues, then go to {}.", topology.dead_letter_queue(consumer.service)),
                        "channel": { "$ref": format!("#/channels/{}", queue.name) },
                        "messages": keys.iter().map(|k| json!({ "$ref": format!("#/channels/{}/messages/{k}", queue.name) })).collect::<Vec<_>>()
                    }),
                );
            }
        }
    }
    for service in services {
        let dead = topology.dead_letter_queue(service);
        channels.insert(
            dead.clone(),
            json!({
                "address": dead,
                "description": format!("Dead letters of the {service} service (quorum). The body is the message as received; headers `x-death-reason`, `x-original-queue`, `x-original-routing-key`, `x-attempt`, `x-failed-at` say why and from where."),
                "bindings": { "amqp": { "is": "queue", "queue": { "name": dead, "durable": true, "exclusive": false, "autoDelete": false, "vhost": "/" }, "bindingVersion": "0.3.0" } }
            }),
        );
    }
    crate::asyncapi_records::add(&topology, &mut channels, &mut operations, &mut components);
    Ok(json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "PartnerNet messages",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every message is a JSON envelope: `message_id`, `type`, `version`, `occurred_at`, `org_id`, `correlation_id`, `traceparent`, `payload`. Names shown use the default QUEUE_PREFIX `partnernet`. Retry delays shown are the defaults (RETRY_* variables)."
        },
        "defaultContentType": "application/json",
        "servers": { "rabbitmq": { "host": "localhost:5672", "protocol": "amqp", "protocolVersion": "0-9-1" } },
        "channels": channels,
        "operations": operations,
        "components": { "messages": components }
    }))
}

/// The document as committed.
pub fn render() -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(&document()?)?)
}
