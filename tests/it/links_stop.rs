//! Stop sharing over HTTP against real servers: both links end (Inactive, with an end date) on
//! both External Sharing lists, both records stay and stay editable, a pending forward is
//! withdrawn from the partner's inbox (also when the stop reaches it before the offer), and a
//! third org can stop nothing.

use crate::links_support::{
    account, forward_one, get_record, inbox, inbox_entry, link_with_status, net, record, sharing,
};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::links::RecordForwardedV1;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// `POST /v1/sharing/records/{object}/{record}/stop` on the connection, expecting `status`.
pub async fn stop(
    app: &TestApp,
    key: &str,
    object: &str,
    record: &str,
    connection: &str,
    status: u16,
) -> Value {
    let path = format!("/v1/sharing/records/{object}/{record}/stop");
    let body = json!({ "connection_id": connection });
    call(app, Method::POST, &path, key, Some(body), status).await
}

#[tokio::test(flavor = "multi_thread")]
async fn links_stop_sharing_ends_both_links_and_leaves_both_records() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    record(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode", "Rating": "Hot" }),
    )
    .await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    let sent = link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let copy = sent["partner_record_id"]
        .as_str()
        .expect("a copy")
        .to_string();
    link_with_status(&app, n.globex(), "Account", &copy, "Active (received)").await;

    // A third org's key: 404 on Acme's record and on its own same-named record, nothing ends.
    let initech = app.create_org("Initech").await;
    account(&app, &initech.key, "acc-1", "Initech's own").await;
    stop(&app, &initech.key, "Account", "acc-1", &n.id, 404).await;
    stop(&app, &initech.key, "Account", &copy, &n.id, 404).await;
    // Bad input names the field; a record never shared on the connection is 404.
    let bad = stop(&app, n.acme(), "Account", "acc-1", "not-a-uuid", 422).await;
    assert_eq!(bad["field"], "connection_id");
    stop(&app, n.acme(), "Account", "unknown", &n.id, 404).await;
    assert_eq!(
        sharing(&app, n.acme(), "Account", "acc-1").await[0]["status"],
        "Active (sent)"
    );

    let answer = stop(&app, n.acme(), "Account", "acc-1", &n.id, 200).await;
    assert_eq!(answer["ended"][0]["direction"], "sent");
    assert_eq!(answer["ended"][0]["status"], "Inactive");
    let mine = sharing(&app, n.acme(), "Account", "acc-1").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "Inactive");
    assert_eq!(mine[0]["end_date"], answer["ended"][0]["end_date"]);
    let theirs = link_with_status(&app, n.globex(), "Account", &copy, "Inactive").await;
    assert_eq!(theirs["direction"], "received");
    assert_eq!(theirs["end_date"], answer["ended"][0]["end_date"]);

    // Stopping again is a conflict that says how the link stands.
    let again = stop(&app, n.acme(), "Account", "acc-1", &n.id, 409).await;
    assert_eq!(again["current_status"], "Inactive");

    // Both records stay, and the partner's copy stays editable by its org.
    assert_eq!(get_record(&app, n.acme(), "Account", "acc-1").await.0, 200);
    let path = format!("/v1/records/Account/{copy}");
    let change = json!({ "fields": { "Name": "Initrode (ours now)" } });
    let response = app
        .http
        .patch(format!("{}{path}", app.base_url))
        .bearer_auth(n.globex())
        .json(&change)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let (_, edited) = get_record(&app, n.globex(), "Account", &copy).await;
    assert_eq!(edited["fields"]["Name"], "Initrode (ours now)");
    // Initech's record is untouched.
    let (_, own) = get_record(&app, &initech.key, "Account", "acc-1").await;
    assert_eq!(own["fields"]["Name"], "Initech's own");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_stop_sharing_a_pending_forward_withdraws_it_from_the_inbox() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    inbox_entry(&app, n.globex(), "acc-1", |_| true).await;

    let answer = stop(&app, n.acme(), "Account", "acc-1", &n.id, 200).await;
    assert_eq!(answer["ended"][0]["status"], "Inactive");
    eventually(
        "the offer to leave Globex's inbox",
        Duration::from_secs(20),
        || async { inbox(&app, n.globex()).await.is_empty().then_some(()) },
    )
    .await;

    // Forwarding it again opens the link again and offers it again.
    let again = forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    assert_eq!(again["outcome"], "forwarded");
    inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    link_with_status(&app, n.acme(), "Account", "acc-1", "Pending (sent)").await;
    app.stop().await;
}

/// A forward and the stop that ends it travel on different queues, so the stop may reach the
/// partner first: the offer arriving afterwards is dropped (it would otherwise wait in the
/// inbox for a link that has ended), and a later forward of the record lands as usual.
#[tokio::test(flavor = "multi_thread")]
async fn links_an_offer_arriving_after_its_own_stop_is_dropped() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    let offered_at = chrono::Utc::now();
    let forwarded = forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    stop(&app, n.acme(), "Account", "acc-1", &n.id, 200).await;
    eventually(
        "the offer to leave Globex's inbox",
        Duration::from_secs(20),
        || async { inbox(&app, n.globex()).await.is_empty().then_some(()) },
    )
    .await;

    // The same offer again, as if its queue had been slower than the stop's.
    let connection_id: uuid::Uuid = n.id.parse().expect("a connection id");
    let offer = RecordForwardedV1 {
        connection_id: ConnectionId(connection_id),
        sender_org_id: n.p.acme.id,
        sender_org_name: "Acme Corp".into(),
        sender_link_id: forwarded["link_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("the sender's link id"),
        object: "Account".into(),
        record_id: "acc-1".into(),
        name: "Initrode".into(),
        fields: json!({ "Name": "Initrode" })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        send_open_tasks: false,
        send_closed_tasks: false,
        send_emails: false,
        parent: None,
        currency: None,
    };
    let late = Envelope {
        occurred_at: offered_at,
        ..Envelope::new(n.p.globex.id, offer)
    };
    app.publisher
        .publish(app.topology(), &late)
        .await
        .expect("the late offer is published");
    app.wait_idle().await;
    assert!(inbox(&app, n.globex()).await.is_empty());
    link_with_status(&app, n.acme(), "Account", "acc-1", "Inactive").await;

    // A forward made after the stop is offered.
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_stop_sharing_while_the_partner_accepts_ends_both_links_whatever_the_order() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    let entry = inbox_entry(&app, n.globex(), "acc-1", |_| true).await;
    let copy = entry["id"].as_str().expect("an id").to_string();
    crate::links_support::accept(
        &app,
        n.globex(),
        json!([{ "id": entry["id"], "assign_to": n.p.globex_owner }]),
    )
    .await;
    // The stop races the copy: before it exists, or after the sender's link is active.
    stop(&app, n.acme(), "Account", "acc-1", &n.id, 200).await;
    eventually("Globex's copy", Duration::from_secs(20), || async {
        (get_record(&app, n.globex(), "Account", &copy).await.0 == 200).then_some(())
    })
    .await;
    link_with_status(&app, n.globex(), "Account", &copy, "Inactive").await;
    app.wait_idle().await;
    assert_eq!(
        sharing(&app, n.acme(), "Account", "acc-1").await[0]["status"],
        "Inactive"
    );
    assert_eq!(
        sharing(&app, n.globex(), "Account", &copy).await[0]["status"],
        "Inactive"
    );
    assert_eq!(get_record(&app, n.globex(), "Account", &copy).await.0, 200);
    app.stop().await;
}
