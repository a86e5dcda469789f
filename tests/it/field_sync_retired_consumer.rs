//! Upgrading past the `propagate` consumer: the store now propagates a change in the
//! transaction that writes it, and the consumer's work queue is bound to nothing. A change an
//! older version left waiting in that queue is still propagated, and declaring the consumer
//! (what every start does) removes the bindings the older version made, so that no change is
//! propagated twice.

use crate::field_sync_support::{entries, linked, settled};
use crate::retired_bindings_support::{bind_as_an_older_version, bindings_from_events};
use serde_json::{Map, json};
use shared::message::Envelope;
use tests::TestApp;
use tests::records::http_change;

#[tokio::test(flavor = "multi_thread")]
async fn field_sync_a_change_left_in_the_retired_propagate_queue_is_propagated_and_its_bindings_go()
{
    let app = TestApp::spawn().await;
    let l = linked(&app).await;
    let a = l.n.acme();
    app.wait_idle().await;
    let queue = app.topology().work_queue("sync", "propagate");
    assert_eq!(bindings_from_events(&app, &queue), Vec::<String>::new());
    let before = entries(&app, a, "record_id=acc-1").await.len();

    // As an older version left the broker: the queue bound to every record change, and a
    // change of acc-1 published to it.
    let (connection, channel) = bind_as_an_older_version(&app, &queue, "record.changed.v1.*").await;
    assert_eq!(bindings_from_events(&app, &queue), ["record.changed.v1.*"]);
    let mut fields = Map::new();
    fields.insert("Name".into(), json!("Acme"));
    let change = Envelope::new(
        l.n.p.acme.id,
        http_change("Account", "acc-1", 1, Some(fields)),
    );
    app.publisher
        .publish(app.topology(), &change)
        .await
        .expect("published");

    // The consumer still takes it: the change goes to Globex, once.
    let all = settled(&app, a, "record_id=acc-1", before + 1).await;
    assert_eq!(all.len(), before + 1, "{all:?}");

    // Declared again, as at every start: the older version's binding is gone.
    let spec = sync::consumers()
        .into_iter()
        .find(|c| c.name == "propagate")
        .expect("the propagate consumer");
    shared::consumer::declare(&channel, app.topology(), &spec)
        .await
        .expect("declared");
    assert_eq!(bindings_from_events(&app, &queue), Vec::<String>::new());
    let _ = connection.close(200, "done".into()).await;
    app.stop().await;
}
