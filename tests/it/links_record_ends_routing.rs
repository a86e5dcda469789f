//! Which record changes reach sharing's `record_ends` consumer: sync publishes, beside every
//! `record.changed.v1`, a `record.links_may_end.v1` for the changes that may end or move links
//! (a delete, a lookup, a Lead's status, a comment's or attachment's sharing flags), and the
//! consumer's queue is bound to those only. Field edits, most of field sync's traffic, cost it
//! nothing. Upgrading: the changes an older version queued for it are still handled, and every
//! declare removes the old binding.

use crate::field_sync_support::{delete, linked, patch, record_where};
use crate::links_support::link_with_status;
use crate::retired_bindings_support::{bind_as_an_older_version, bindings_from_events};
use serde_json::json;
use shared::message::Envelope;
use tests::TestApp;
use tests::records::http_change;

/// `partnernet_messages_handled_total` of `queue`'s consumer, handled or duplicate.
async fn taken_by(app: &TestApp, queue: &str) -> u64 {
    let text = app
        .get("/metrics", None)
        .await
        .text()
        .await
        .expect("metrics text");
    let label = format!("consumer=\"{queue}\"");
    text.lines()
        .filter(|line| {
            line.starts_with("partnernet_messages_handled_total{") && line.contains(&label)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|n| n as u64)
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn links_record_ends_takes_deletes_and_not_field_edits() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let queue = app.topology().work_queue("sharing", "record_ends");
    let bound = bindings_from_events(&app, &queue);
    assert_eq!(
        bound,
        ["record.links_may_end.v1", "record.links_may_end.v1.*"]
    );
    app.wait_idle().await;
    let before = taken_by(&app, &queue).await;

    // Three edits at Acme, synced to Globex's copy: six record changes, none for record_ends.
    for name in ["Acme 1", "Acme 2", "Acme 3"] {
        patch(
            &app,
            l.n.acme(),
            "Account",
            "acc-1",
            json!({ "Name": name }),
        )
        .await;
    }
    record_where(
        &app,
        l.n.globex(),
        "Account",
        &l.copy,
        "Globex's copy to take the last edit",
        |r| r["fields"]["Name"] == "Acme 3",
    )
    .await;
    app.wait_idle().await;
    assert_eq!(
        taken_by(&app, &queue).await,
        before,
        "no field edit reaches it"
    );

    // Globex deletes its copy: that change reaches it, and both links end.
    delete(&app, l.n.globex(), "Account", &l.copy).await;
    link_with_status(&app, l.n.acme(), "Account", "acc-1", "Inactive (deleted)").await;
    app.wait_idle().await;
    assert_eq!(taken_by(&app, &queue).await, before + 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_a_change_an_older_version_queued_for_record_ends_is_handled_and_its_binding_goes() {
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    app.wait_idle().await;
    let queue = app.topology().work_queue("sharing", "record_ends");

    // As an older version left the broker: the queue bound to every record change, and
    // Globex's delete of its copy published to it as a `record.changed.v1`.
    let (connection, channel) = bind_as_an_older_version(&app, &queue, "record.changed.v1.*").await;
    let deleted = Envelope::new(l.n.p.globex.id, http_change("Account", &l.copy, 9, None));
    app.publisher
        .publish(app.topology(), &deleted)
        .await
        .expect("published");

    // Still handled: the links end.
    link_with_status(&app, l.n.globex(), "Account", &l.copy, "Inactive (deleted)").await;
    link_with_status(&app, l.n.acme(), "Account", "acc-1", "Inactive (deleted)").await;

    // Declared again, as at every start: the older version's binding is gone.
    let spec = sharing::consumers()
        .into_iter()
        .find(|c| c.name == "record_ends")
        .expect("the record_ends consumer");
    shared::consumer::declare(&channel, app.topology(), &spec)
        .await
        .expect("declared");
    let bound = bindings_from_events(&app, &queue);
    assert_eq!(
        bound,
        ["record.links_may_end.v1", "record.links_may_end.v1.*"]
    );
    let _ = connection.close(200, "done".into()).await;
    app.stop().await;
}
