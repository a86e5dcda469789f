//! Helpers for the record tests: org broker users, publishing to the ingest exchange as them,
//! defining custom objects, reading an org's change feed and sync's dead letters.

use crate::{TestApp, TestOrg};
use lapin::BasicProperties;
use lapin::options::{BasicAckOptions, BasicGetOptions, QueueDeleteOptions};
use partnernet::broker_users::{Management, OrgBrokerUser};
use serde_json::{Map, Value, json};
use shared::amqp::{ConfirmedChannel, PublishError, Topology, connect, envelope_properties, timed};
use shared::crm::{FieldDef, FieldType, ObjectDef};
use shared::ids::OrgId;
use shared::message::events::record::RecordUpsertV1;
use shared::message::events::sharing::ObjectSchemaChangedV1;
use shared::message::events::sync::RecordChangedV1;
use shared::message::{Envelope, Message};
use shared::testing::eventually;
use std::time::Duration;

/// An org's broker user made as `partnernet org create` makes it (named with the test's
/// queue prefix); deleted, with its change-feed queue, on drop.
pub struct OrgBroker {
    pub org: OrgId,
    pub user: OrgBrokerUser,
    amqp_url: String,
    feed: String,
}

impl OrgBroker {
    pub async fn create(app: &TestApp, org: &TestOrg) -> Self {
        let mut conn = app.pool().get().await.expect("a connection");
        let user = partnernet::broker_users::ensure(
            &Management::from_env(),
            &mut conn,
            app.amqp_url(),
            app.topology(),
            org.id,
        )
        .await
        .expect("the org's broker user is created (is rabbitmq_management enabled?)");
        Self {
            org: org.id,
            feed: user.change_feed.clone(),
            user,
            amqp_url: app.amqp_url().to_string(),
        }
    }

    /// The AMQP URL of the test broker with this user's credentials.
    pub fn amqp_url(&self) -> String {
        let (scheme, rest) = self
            .amqp_url
            .split_once("://")
            .expect("AMQP_URL has a scheme");
        let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        format!(
            "{scheme}://{}:{}@{host}",
            self.user.username, self.user.password
        )
    }

    /// Publishes `body` to the ingest exchange as this user, confirmed, with `user_id` set to
    /// `user_id` (the broker refuses any other than the connection's user).
    pub async fn publish(
        &self,
        topology: &Topology,
        routing_key: &str,
        body: &[u8],
        user_id: Option<&str>,
    ) -> Result<(), PublishError> {
        let connection = connect(&self.amqp_url(), "test org system").await?;
        let channel = ConfirmedChannel::open(&connection).await?;
        let mut properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into());
        if let Some(user) = user_id {
            properties = properties.with_user_id(user.into());
        }
        let result = channel
            .publish(&topology.ingest_exchange(), routing_key, body, properties)
            .await;
        let _ = connection.close(200, "done".into()).await;
        result
    }

    /// Publishes a typed envelope the way an org's system should: its own routing key, its
    /// own user id, the envelope's properties.
    pub async fn publish_envelope<M: Message>(
        &self,
        topology: &Topology,
        envelope: &Envelope<M>,
    ) -> Result<(), PublishError> {
        let body = serde_json::to_vec(envelope).expect("JSON");
        let key = Topology::ingest_routing_key(self.org, &M::routing_key());
        let connection = connect(&self.amqp_url(), "test org system").await?;
        let channel = ConfirmedChannel::open(&connection).await?;
        let properties = envelope_properties(&envelope.head(), "test org system")
            .with_user_id(self.user.username.as_str().into());
        let result = channel
            .publish(&topology.ingest_exchange(), &key, &body, properties)
            .await;
        let _ = connection.close(200, "done".into()).await;
        result
    }

    /// Publishes many upserts on one connection, in order, then waits for their confirms.
    pub async fn publish_upserts(
        &self,
        topology: &Topology,
        envelopes: &[Envelope<RecordUpsertV1>],
    ) {
        let key = Topology::ingest_routing_key(self.org, &RecordUpsertV1::routing_key());
        let connection = connect(&self.amqp_url(), "test org system")
            .await
            .expect("connects");
        let channel = ConfirmedChannel::open(&connection).await.expect("channel");
        let bodies: Vec<(Vec<u8>, BasicProperties)> = envelopes
            .iter()
            .map(|e| {
                (
                    serde_json::to_vec(e).expect("JSON"),
                    envelope_properties(&e.head(), "test org system")
                        .with_user_id(self.user.username.as_str().into()),
                )
            })
            .collect();
        let messages: Vec<(&str, &[u8], BasicProperties)> = bodies
            .iter()
            .map(|(b, p)| (key.as_str(), b.as_slice(), p.clone()))
            .collect();
        channel
            .publish_many(&topology.ingest_exchange(), &messages)
            .await
            .expect("published and confirmed");
        let _ = connection.close(200, "done".into()).await;
    }

    /// Takes every message now in the org's change feed (as this org's user), acked.
    pub async fn drain_feed(&self) -> Vec<Envelope<RecordChangedV1>> {
        let connection = connect(&self.amqp_url(), "test feed reader")
            .await
            .expect("connects");
        let channel = timed("channel", connection.create_channel())
            .await
            .expect("channel");
        let mut found = Vec::new();
        while let Some(message) = timed(
            "get",
            channel.basic_get(self.feed.as_str().into(), BasicGetOptions { no_ack: false }),
        )
        .await
        .expect("the org may read its feed")
        {
            let envelope =
                Envelope::<RecordChangedV1>::decode(&message.data).expect("a change-feed message");
            timed("ack", message.acker.ack(BasicAckOptions::default()))
                .await
                .expect("acked");
            found.push(envelope);
        }
        let _ = connection.close(200, "done".into()).await;
        found
    }
}

impl Drop for OrgBroker {
    fn drop(&mut self) {
        let name = self.user.username.clone();
        let feed = self.feed.clone();
        let url = self.amqp_url.clone();
        // Drop cannot await: the clean-up runs on a runtime of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Runtime::new() else {
                return;
            };
            rt.block_on(async {
                let _ = Management::from_env().delete_user(&name).await;
                if let Ok(connection) = connect(&url, "test clean-up").await {
                    if let Ok(channel) = connection.create_channel().await {
                        let _ = channel
                            .queue_delete(feed.as_str().into(), QueueDeleteOptions::default())
                            .await;
                        let _ = shared::amqp::close_channel(channel).await;
                    }
                    let _ = connection.close(200, "clean".into()).await;
                }
            });
        })
        .join();
    }
}

/// `Invoice__c`: a custom object with a field for every rule the tests break.
pub fn invoice() -> ObjectDef {
    let field = |api_name: &str, field_type: FieldType| FieldDef {
        api_name: api_name.into(),
        label: api_name.trim_end_matches("__c").into(),
        field_type,
        required: false,
        min: None,
        max: None,
        custom: true,
    };
    ObjectDef {
        api_name: "Invoice__c".into(),
        label: "Invoice".into(),
        custom: true,
        parent: None,
        fields: vec![
            FieldDef {
                required: true,
                ..field("Name", FieldType::Text { max_length: 20 })
            },
            FieldDef {
                min: Some(0.0),
                max: Some(1000.0),
                ..field(
                    "Amount__c",
                    FieldType::Number {
                        precision: 8,
                        scale: 2,
                    },
                )
            },
            field(
                "Status__c",
                FieldType::Picklist {
                    values: vec!["Draft".into(), "Sent".into(), "Paid".into()],
                    restricted: true,
                },
            ),
            field("Due__c", FieldType::Date),
            field(
                "Account__c",
                FieldType::Lookup {
                    object: "Account".into(),
                },
            ),
        ],
    }
}

/// Defines `object` for `org` as sharing would (its schema event), and waits until sync has it.
pub async fn define_object(app: &TestApp, org: &TestOrg, object: ObjectDef, schema_version: i64) {
    let api_name = object.api_name.clone();
    let event = Envelope::new(
        org.id,
        ObjectSchemaChangedV1 {
            object,
            deleted: false,
            schema_version,
        },
    );
    app.publisher
        .publish(app.topology(), &event)
        .await
        .expect("schema event published");
    eventually("sync to know the object", Duration::from_secs(20), || {
        let api_name = api_name.clone();
        async move {
            let mut conn = app.pool().get().await.ok()?;
            let def = sync::schemas::effective(&mut conn, org.id, &api_name)
                .await
                .ok()??;
            (!def.fields.is_empty() && version_of(app, org, &api_name).await? >= schema_version)
                .then_some(())
        }
    })
    .await;
}

async fn version_of(app: &TestApp, org: &TestOrg, object: &str) -> Option<i64> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use sync::schema::object_schemas;
    let mut conn = app.pool().get().await.ok()?;
    object_schemas::table
        .filter(object_schemas::org_id.eq(org.id.as_uuid()))
        .filter(object_schemas::object.eq(object))
        .select(object_schemas::schema_version)
        .first(&mut conn)
        .await
        .ok()
}

/// A record upsert envelope of `org`.
pub fn upsert(
    org: &TestOrg,
    object: &str,
    record_id: &str,
    fields: Value,
) -> Envelope<RecordUpsertV1> {
    let fields: Map<String, Value> = match fields {
        Value::Object(map) => map,
        other => panic!("fields must be an object: {other}"),
    };
    Envelope::new(
        org.id,
        RecordUpsertV1 {
            object: object.into(),
            record_id: record_id.into(),
            fields,
            private: None,
        },
    )
}

/// The record as `GET /v1/records/{object}/{id}` answers (status, body).
/// `POST /v1/records/{object}/bulk` with NDJSON `body` as the key's org: the status and the
/// summary.
pub async fn bulk_upsert(app: &TestApp, key: &str, object: &str, body: String) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/v1/records/{object}/bulk", app.base_url))
        .bearer_auth(key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn get_record(app: &TestApp, org: &TestOrg, object: &str, id: &str) -> (u16, Value) {
    let response = app
        .get(&format!("/v1/records/{object}/{id}"), Some(&org.key))
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(json!(null)))
}

/// Sync's dead letters (they stay in the queue), waiting until there are `n`.
pub async fn sync_dead_letters(
    app: &TestApp,
    n: usize,
) -> Vec<shared::amqp::dead_letters::DeadLetter> {
    eventually(
        &format!("{n} dead letters"),
        Duration::from_secs(20),
        || async {
            let letters =
                shared::amqp::dead_letters::list(app.amqp_url(), app.topology(), "sync", n + 10)
                    .await
                    .ok()?;
            (letters.len() >= n).then_some(letters)
        },
    )
    .await
}

/// A `record.changed.v1` as sync publishes one for the org's own HTTP write: the `fields` that
/// changed or, with `None`, the record deleted. For tests that publish a change themselves.
pub fn http_change(
    object: &str,
    record_id: &str,
    version: i64,
    fields: Option<Map<String, Value>>,
) -> RecordChangedV1 {
    RecordChangedV1 {
        object: object.into(),
        record_id: record_id.into(),
        version,
        deleted: fields.is_none(),
        fields: fields.unwrap_or_default(),
        touched: false,
        changed_by: shared::message::events::sync::ChangedBy::Org {
            source: shared::message::events::sync::ChangeSource::Http,
        },
        changed_at: chrono::Utc::now(),
    }
}
