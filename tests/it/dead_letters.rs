use lapin::BasicProperties;
use serde_json::json;
use shared::amqp::dead_letters;
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::connection::InvitationSentV1;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

const ROUTING_KEY: &str = "connection.invitation_sent.v1";

#[tokio::test(flavor = "multi_thread")]
async fn malformed_messages_are_dead_lettered_with_their_reason_and_the_worker_keeps_consuming() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let exchange = app.topology().events_exchange();
    let good = Envelope::new(
        acme.id,
        InvitationSentV1 {
            connection_id: ConnectionId::new(),
            inviter_org_name: "Acme Corp".into(),
            contact_name: "Cy".into(),
            contact_email: "cy@globex.example".into(),
            accept_url: "https://partnernet.test/invitations/accept?token=t".into(),
            expires_at: chrono::Utc::now(),
        },
    );
    let mut wrong_type = serde_json::to_value(&good).expect("JSON");
    wrong_type["message_id"] = json!(uuid::Uuid::new_v4());
    wrong_type["payload"]["contact_email"] = json!(42);
    let mut unknown_version = serde_json::to_value(&good).expect("JSON");
    unknown_version["message_id"] = json!(uuid::Uuid::new_v4());
    unknown_version["version"] = json!(99);
    // serde alone would fill a struct from an array, field by field; the contract says object.
    let mut positional = serde_json::to_value(&good).expect("JSON");
    positional["message_id"] = json!(uuid::Uuid::new_v4());
    positional["payload"] = [
        "connection_id",
        "inviter_org_name",
        "contact_name",
        "contact_email",
        "accept_url",
        "expires_at",
    ]
    .into_iter()
    .map(|field| positional["payload"][field].clone())
    .collect();

    let bad_bodies: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        serde_json::to_vec(&wrong_type).expect("JSON"),
        serde_json::to_vec(&unknown_version).expect("JSON"),
        serde_json::to_vec(&positional).expect("JSON"),
    ];
    for body in &bad_bodies {
        app.publisher
            .publish_raw(&exchange, ROUTING_KEY, body, BasicProperties::default())
            .await
            .expect("published");
    }
    app.publisher
        .publish(app.topology(), &good)
        .await
        .expect("published");

    eventually(
        "the good message's email",
        Duration::from_secs(20),
        || async { app.smtp.received_by("cy@globex.example").into_iter().next() },
    )
    .await;
    let letters = eventually("four dead letters", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "notification", 10)
            .await
            .ok()?;
        (letters.len() == bad_bodies.len()).then_some(letters)
    })
    .await;
    // Bad messages are handled on whichever lane is free: their dead letters come in any order.
    let reasons: Vec<&str> = letters.iter().map(|l| l.reason.as_str()).collect();
    for expected in [
        "not a PartnerNet envelope",
        "payload of connection.invitation_sent.v1 does not match its schema",
        "no handler here for message type connection.invitation_sent.v99",
    ] {
        assert!(
            reasons.iter().any(|r| r.starts_with(expected)),
            "{expected:?} among {reasons:?}"
        );
    }
    for body in &bad_bodies {
        assert!(
            letters.iter().any(|l| l.body.as_bytes() == body.as_slice()),
            "the body is kept as received"
        );
    }
    for letter in &letters {
        assert_eq!(
            letter.original_queue,
            app.topology().work_queue("notification", "emails")
        );
        assert_eq!(letter.original_routing_key, ROUTING_KEY);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_no_consumer_is_bound_to_is_kept_in_the_unrouted_queue_and_publishing_goes_on() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    // No probe consumer runs: nothing is bound to test.probe.v1.
    let orphan = Envelope::new(acme.id, tests::probe::ProbeV1::ok(1));
    app.publisher
        .publish(app.topology(), &orphan)
        .await
        .expect("confirmed, not returned as unroutable");
    eventually(
        "the orphan in the unrouted queue",
        Duration::from_secs(20),
        || async {
            let depth =
                tests::amqp::queue_depth(app.amqp_url(), &app.topology().unrouted()).await?;
            (depth == 1).then_some(())
        },
    )
    .await;
    app.stop().await;
}
