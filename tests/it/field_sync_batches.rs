//! Field sync applies a delivery batch of updates at once (set statements) with every rule of
//! a single update: against real servers, updates of one copy that arrive together (the
//! consumer lingers to gather them) each see the previous one's result, a value the copy
//! refuses fails that update alone (Failed, reported, dead-lettered) while the rest commit, an
//! update without a copy is Failed and acked, and the winners keep their incoming stamps.

use crate::field_sync_support::{Linked, linked, settled};
use crate::links_support::get_record;
use serde_json::{Value, json};
use shared::amqp::dead_letters;
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::field_sync::{FieldsUpdatedV1, SyncedField};
use shared::testing::eventually;
use std::collections::BTreeMap;
use std::time::Duration;
use tests::TestApp;

/// An update from Acme of one field of `record_id` (Globex's), stamped `millis_ahead` of `now`.
fn update(
    l: &Linked,
    record_id: &str,
    field: &str,
    value: &str,
    now: u64,
    millis_ahead: u64,
) -> Envelope<FieldsUpdatedV1> {
    let synced = SyncedField {
        value: Value::String(value.to_string()),
        stamp: format!("{:016}-{:05}", now + millis_ahead, 0),
        origin: l.n.p.acme.id,
    };
    let update = FieldsUpdatedV1 {
        update_id: uuid::Uuid::now_v7(),
        connection_id: ConnectionId(l.n.id.parse().expect("a connection id")),
        link_id: uuid::Uuid::now_v7(),
        sender_org_id: l.n.p.acme.id,
        sender_object: "Account".into(),
        sender_record_id: "acc-1".into(),
        object: "Account".into(),
        record_id: record_id.to_string(),
        fields: BTreeMap::from([(field.to_string(), synced)]),
    };
    Envelope::new(l.n.p.globex.id, update)
}

/// The ledger entry of `update` among `all`.
fn entry<'a>(all: &'a [Value], update: &Envelope<FieldsUpdatedV1>) -> &'a Value {
    all.iter()
        .find(|e| e["update_id"] == update.payload.update_id.to_string())
        .unwrap_or_else(|| panic!("no entry of {}: {all:?}", update.payload.update_id))
}

/// One SQL value (as text) of the app's database.
async fn scalar(app: &TestApp, sql: &str) -> Option<String> {
    let mut conn = app.pool().get().await.ok()?;
    diesel_async::RunQueryDsl::get_result(
        diesel::dsl::select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Text>,
        >(&format!("({sql})"))),
        &mut conn,
    )
    .await
    .ok()?
}

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_a_batch_applies_in_order_and_refuses_one_update_alone() {
    // Batches wait up to a second for more messages: the updates below arrive as one.
    let app = TestApp::spawn_with(|env| {
        env.insert("CONSUMER_LINGER_MS".into(), "1000".into());
    })
    .await;
    let l = linked(&app).await;
    let g = l.n.globex();
    app.wait_idle().await;
    let (_, before) = get_record(&app, g, "Account", &l.copy).await;
    let version = before["version"].as_i64().expect("a version");

    let now = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let first = update(&l, &l.copy, "Name", "First", now, 60_000);
    // Longer than the copy's AccountNumber takes (40 characters).
    let too_long = "N".repeat(50);
    let refused = update(&l, &l.copy, "AccountNumber", &too_long, now, 61_000);
    let second = update(&l, &l.copy, "Name", "Second", now, 62_000);
    // Older than `second`, which the copy holds only in the batch's memory at that point.
    let stale = update(&l, &l.copy, "Name", "Stale", now, 61_500);
    let orphan = update(&l, "no-such-copy", "Name", "Nobody", now, 60_000);
    for envelope in [&first, &refused, &second, &stale, &orphan] {
        app.publisher
            .publish(app.topology(), envelope)
            .await
            .expect("published");
    }

    let query = format!("record_id={}", l.copy);
    let done = settled(&app, g, &query, 4).await;
    assert_eq!(entry(&done, &first)["state"], "Applied", "{done:?}");
    assert_eq!(entry(&done, &second)["state"], "Applied", "{done:?}");
    // The second update overwrote the first one's value, applied earlier in the same batch.
    assert_eq!(
        entry(&done, &second)["overwritten"],
        json!({ "Name": "First" })
    );
    assert_eq!(entry(&done, &stale)["state"], "Superseded", "{done:?}");
    let failed = entry(&done, &refused);
    assert_eq!(failed["state"], "Failed", "{done:?}");
    assert_eq!(failed["attempts"], 1);
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("AccountNumber"), "{error}");
    // They were one batch: one ledger statement wrote them all.
    assert_eq!(
        entry(&done, &first)["finished_at"],
        entry(&done, &stale)["finished_at"],
        "{done:?}"
    );

    // The copy: the last winner's value, two changes, the refused value nowhere, written by
    // the Connection User, and the winner's stamp as it came.
    app.wait_idle().await;
    let (_, copy) = get_record(&app, g, "Account", &l.copy).await;
    assert_eq!(copy["fields"]["Name"], "Second");
    assert!(copy["fields"].get("AccountNumber").is_none(), "{copy}");
    assert_eq!(copy["version"], json!(version + 2));
    assert_eq!(copy["last_modified_by"]["kind"], "connection_user");
    assert_eq!(copy["last_modified_by"]["connection_id"], json!(l.n.id));
    let stamp = scalar(
        &app,
        &format!(
            "SELECT stamps->'Name'->>'origin' || ' ' || (stamps->'Name'->>'stamp') \
             FROM sync.records WHERE org_id = '{}' AND record_id = '{}'",
            l.n.p.globex.id, l.copy
        ),
    )
    .await;
    let sent = &second.payload.fields["Name"];
    let expected_stamp = serde_json::to_value(sent.hlc().expect("a stamp"))
        .ok()
        .and_then(|s| s.as_str().map(str::to_owned))
        .unwrap_or_else(|| sent.stamp.clone());
    assert_eq!(
        stamp,
        Some(format!("{} {expected_stamp}", l.n.p.acme.id)),
        "the winner keeps its incoming stamp and origin"
    );

    // The refused update alone is dead-lettered, with the reason, and reported once.
    let letters = eventually("the dead letter", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "sync", 10)
            .await
            .ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert!(
        letters[0].reason.contains("AccountNumber"),
        "{}",
        letters[0].reason
    );
    let reported = scalar(
        &app,
        &format!(
            "SELECT count(*)::text FROM sync.ledger WHERE failure_reported_at IS NOT NULL \
             AND update_id IN ('{}', '{}')",
            refused.payload.update_id, orphan.payload.update_id
        ),
    )
    .await;
    assert_eq!(reported.as_deref(), Some("2"), "the refusal and the orphan");

    // The update without a copy: Failed, not dead-lettered.
    let orphans = settled(&app, g, "record_id=no-such-copy", 1).await;
    assert_eq!(entry(&orphans, &orphan)["state"], "Failed", "{orphans:?}");
    app.stop().await;
}
