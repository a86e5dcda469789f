//! Field sync propagates the changes a write makes in the transaction that makes them: several
//! changes of one record written together (a bulk upsert's lines, or an ingest batch) go to the
//! partner as one update carrying the newest values and stamps, and the sender's ledger says
//! what happened to each change (the last one's update Applied, each earlier one Superseded at
//! once, naming that update).

use crate::field_sync_support::{entries, linked, record_where, settled};
use serde_json::Value;
use serde_json::json;
use tests::TestApp;
use tests::records::bulk_upsert;

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_changes_of_one_record_in_a_batch_coalesce_into_one_update() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let (a, g) = (l.n.acme(), l.n.globex());
    app.wait_idle().await;
    let before = entries(&app, a, "record_id=acc-1").await.len();

    // Three changes of acc-1 in one bulk request: one transaction, three changes.
    let lines = [
        json!({ "record_id": "acc-1", "fields": { "Name": "One" } }),
        json!({ "record_id": "acc-1", "fields": { "Rating": "Hot" } }),
        json!({ "record_id": "acc-1", "fields": { "Name": "Three" } }),
    ]
    .map(|line| line.to_string())
    .join("\n");
    let (status, summary) = bulk_upsert(&app, a, "Account", lines).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["updated"], 3, "{summary}");

    let all = settled(&app, a, "record_id=acc-1", before + 3).await;
    let new: Vec<&Value> = all.iter().skip(before).collect();
    assert_eq!(new.len(), 3, "a ledger row per change: {new:?}");
    let sent: Vec<&&Value> = new.iter().filter(|e| e["state"] == "Applied").collect();
    assert_eq!(sent.len(), 1, "one update went: {new:?}");
    let update = sent[0];
    // The newest values of both fields, in Globex's names and picklist values.
    assert_eq!(update["fields"]["Name"]["value"], "Three", "{update}");
    assert_eq!(update["fields"]["Rating"]["value"], "Warm", "{update}");
    assert!(update["error"].is_null(), "{update}");

    // The two earlier changes: Superseded at once, each with the field it changed as it was
    // sent (the newest value), naming the update that carried it.
    let update_id = update["update_id"].as_str().unwrap_or_default();
    let earlier: Vec<&&Value> = new.iter().filter(|e| e["state"] == "Superseded").collect();
    assert_eq!(earlier.len(), 2, "{new:?}");
    for entry in &earlier {
        let note = entry["error"].as_str().unwrap_or_default();
        assert!(note.contains(update_id), "{entry}");
        assert_eq!(entry["attempts"], 0, "{entry}");
        assert!(!entry["finished_at"].is_null(), "{entry}");
    }
    assert_eq!(
        earlier[0]["fields"],
        json!({ "Name": update["fields"]["Name"] })
    );
    assert_eq!(
        earlier[1]["fields"],
        json!({ "Rating": update["fields"]["Rating"] })
    );
    // Queued before the update it went with (the ledger's order is the changes').
    let update_pos = new.iter().position(|e| e["state"] == "Applied");
    assert_eq!(update_pos, Some(2), "{new:?}");

    // Globex's copy has the newest values; its ledger shows the one update received.
    record_where(&app, g, "Account", &l.copy, "the newest values", |r| {
        r["fields"]["Name"] == "Three" && r["fields"]["Rating"] == "Warm"
    })
    .await;
    let received = entries(&app, g, &format!("record_id={}", l.copy)).await;
    assert!(
        received
            .iter()
            .any(|e| e["update_id"] == update["update_id"] && e["state"] == "Applied"),
        "{received:?}"
    );
    app.stop().await;
}
