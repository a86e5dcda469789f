//! The inbox is keyed by org: orgs choose the message ids of what their own systems publish, so
//! an org that sends another org's message id first must not have that org's message taken for
//! a duplicate. Against real servers: two orgs ingest over AMQP with the same message id, and
//! both records are stored; the same org sending it again is still a duplicate.

use crate::links_support::get_record;
use serde_json::json;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::records::{OrgBroker, upsert};

#[tokio::test(flavor = "multi_thread")]
async fn inbox_one_orgs_message_id_never_makes_another_orgs_message_a_duplicate() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let acme_broker = OrgBroker::create(&app, &acme).await;
    let globex_broker = OrgBroker::create(&app, &globex).await;

    // Globex's system sends first, with the id Acme's system is about to use.
    let acme_upsert = upsert(&acme, "Account", "acc-1", json!({ "Name": "Initrode" }));
    let mut globex_upsert = upsert(&globex, "Account", "g-1", json!({ "Name": "Hooli" }));
    globex_upsert.message_id = acme_upsert.message_id;
    globex_broker
        .publish_envelope(app.topology(), &globex_upsert)
        .await
        .expect("Globex's upsert is published");
    eventually("Globex's record", Duration::from_secs(20), || async {
        (get_record(&app, &globex.key, "Account", "g-1").await.0 == 200).then_some(())
    })
    .await;

    acme_broker
        .publish_envelope(app.topology(), &acme_upsert)
        .await
        .expect("Acme's upsert is published");
    let (_, stored) = eventually("Acme's record", Duration::from_secs(20), || async {
        let (status, body) = get_record(&app, &acme.key, "Account", "acc-1").await;
        (status == 200).then_some((status, body))
    })
    .await;
    assert_eq!(stored["fields"]["Name"], "Initrode");
    assert_eq!(stored["version"], 1);

    // Acme's own redelivery is still a duplicate: a changed body under the same id is ignored.
    let mut again = acme_upsert.clone();
    again.payload.fields.insert("Name".into(), json!("Changed"));
    acme_broker
        .publish_envelope(app.topology(), &again)
        .await
        .expect("the same id again is published");
    app.wait_idle().await;
    let (_, unchanged) = get_record(&app, &acme.key, "Account", "acc-1").await;
    assert_eq!(unchanged["fields"]["Name"], "Initrode");
    assert_eq!(unchanged["version"], 1);
    app.stop().await;
}
