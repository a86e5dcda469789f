use super::publish;
use chrono::Utc;
use shared::ids::ConnectionId;
use shared::message::events::Recipient;
use shared::message::events::sync::SyncUpdateFailedV1;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::email::decode;

fn failure(connection_id: ConnectionId, record: &str, error: &str) -> SyncUpdateFailedV1 {
    SyncUpdateFailedV1 {
        connection_id,
        owner: Recipient {
            name: "Olive Owner".into(),
            email: "olive@acme.example".into(),
        },
        object: "Account".into(),
        record_id: format!("001{record}"),
        record_name: record.into(),
        error: error.into(),
        attempts: 6,
        failed_at: Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_failures_of_a_connection_are_gathered_into_one_digest_email() {
    let app = TestApp::spawn_with(|env| {
        env.insert("DIGEST_PERIOD_MS".into(), "1500".into());
        env.insert("DIGEST_POLL_MS".into(), "50".into());
    })
    .await;
    let acme = app.create_org("Acme Corp").await;
    let (first, second) = (ConnectionId::new(), ConnectionId::new());
    publish(
        &app,
        &acme,
        failure(first, "Initech", "validation rule: Phone is required"),
    )
    .await;
    publish(&app, &acme, failure(first, "Hooli", "record locked")).await;
    publish(
        &app,
        &acme,
        failure(first, "Umbrella", "field Rating__c does not exist"),
    )
    .await;
    publish(
        &app,
        &acme,
        failure(second, "Globex", "validation rule: Phone is required"),
    )
    .await;

    let digests = eventually("two digests", Duration::from_secs(20), || async {
        let emails = app.smtp.received_by("olive@acme.example");
        (emails.len() == 2).then_some(emails)
    })
    .await;
    let digests: Vec<_> = digests.iter().map(decode).collect();
    let big = digests
        .iter()
        .find(|d| d.text.contains(&first.to_string()))
        .expect("the first connection's digest");
    assert_eq!(
        big.subject,
        "3 partner updates could not be applied to your records"
    );
    for record in ["Initech", "Hooli", "Umbrella"] {
        assert!(
            big.text.contains(&format!("Account \"{record}\"")),
            "{record} in the digest"
        );
        assert!(
            big.html.contains(&format!("&ldquo;{record}&rdquo;")),
            "{record} in the html digest"
        );
    }
    let small = digests
        .iter()
        .find(|d| d.text.contains(&second.to_string()))
        .expect("the second connection's digest");
    assert_eq!(
        small.subject,
        "1 partner update could not be applied to your records"
    );

    app.wait_idle().await;
    let mut conn = app.pool().get().await.expect("a connection");
    let waiting: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT count(*) AS n FROM notification.digest_items WHERE email_id IS NULL",
        ),
        &mut conn,
    )
    .await
    .map(|r: shared::db::CountRow| r.n)
    .expect("count");
    assert_eq!(waiting, 0);
    assert_eq!(
        app.smtp.received_by("olive@acme.example").len(),
        2,
        "one email per connection"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digest_that_can_never_be_sent_is_set_aside_alone_and_the_other_digests_go_out() {
    let app = TestApp::spawn_with(|env| {
        env.insert("DIGEST_PERIOD_MS".into(), "500".into());
        env.insert("DIGEST_POLL_MS".into(), "50".into());
    })
    .await;
    let acme = app.create_org("Acme Corp").await;
    let (poisoned, healthy) = (ConnectionId::new(), ConnectionId::new());
    // Events with such an address are refused at decode now; a digest item stored before that
    // rule (or one that fails to render for another reason) is planted here as it would sit.
    plant_unsendable_digest_item(&app, &acme, poisoned).await;
    publish(&app, &acme, failure(healthy, "Hooli", "record locked")).await;

    let digests = eventually("the healthy digest", Duration::from_secs(20), || async {
        let emails = app.smtp.received_by("olive@acme.example");
        (!emails.is_empty()).then_some(emails)
    })
    .await;
    assert!(decode(&digests[0]).text.contains(&healthy.to_string()));

    let reason = eventually(
        "the poisoned items set aside",
        Duration::from_secs(20),
        || async {
            let mut conn = app.pool().get().await.ok()?;
            let reasons: Vec<Option<String>> = diesel_async::RunQueryDsl::load(
                diesel::QueryDsl::select(
                    diesel::QueryDsl::filter(
                        notification::schema::digest_items::table,
                        diesel::ExpressionMethods::eq(
                            notification::schema::digest_items::connection_id,
                            poisoned.as_uuid(),
                        ),
                    ),
                    notification::schema::digest_items::failed_reason,
                ),
                &mut conn,
            )
            .await
            .ok()?;
            reasons.into_iter().next().flatten()
        },
    )
    .await;
    assert!(reason.contains("not a valid address"), "{reason}");
    app.wait_idle().await;
    assert_eq!(app.smtp.received().len(), 1, "only the healthy digest");
    app.stop().await;
}

/// A waiting sync failure whose owner address no mailer accepts.
async fn plant_unsendable_digest_item(
    app: &TestApp,
    org: &tests::TestOrg,
    connection: ConnectionId,
) {
    let mut conn = app.pool().get().await.expect("a connection");
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO notification.digest_items \
             (org_id, connection_id, owner_name, owner_email, object, record_id, record_name, \
              error, attempts, failed_at) \
             VALUES ($1, $2, 'Olive Owner', 'olive@@acme.example', 'Account', '001Initech', \
              'Initech', 'record locked', 6, now())",
        )
        .bind::<diesel::sql_types::Uuid, _>(org.id.as_uuid())
        .bind::<diesel::sql_types::Uuid, _>(connection.as_uuid()),
        &mut conn,
    )
    .await
    .expect("a planted digest item");
}
