//! Connection history fed by other services' events, its filters and its CSV export, and edits
//! (each change an entry).

use crate::connections_support::{history_kinds, invite, pair};
use serde_json::{Value, json};
use shared::amqp::dead_letters;
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::Recipient;
use shared::message::events::sharing::{AcceptMode, PublicationsChangedV1, RecordAcceptFailedV1};
use shared::message::events::sync::SyncUpdateFailedV1;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

fn accept_failed(connection_id: ConnectionId, object: &str) -> RecordAcceptFailedV1 {
    RecordAcceptFailedV1 {
        connection_id,
        mode: AcceptMode::ByHand,
        object: object.into(),
        record_id: "001".into(),
        error: "validation rule: Phone is required".into(),
        failed_at: chrono::Utc::now(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_history_records_sharing_and_sync_events_filters_them_and_exports_csv() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let stranger = app.create_org("Umbrella").await;
    let (id, token) = invite(&app, &p, "gina@globex.example").await;
    app.post(
        "/v1/invitations/claim",
        Some(&p.globex.key),
        &json!({ "token": token }),
    )
    .await;
    let connection_id = ConnectionId(uuid::Uuid::parse_str(&id).expect("a uuid"));
    app.publisher
        .publish(
            app.topology(),
            &Envelope::new(
                p.globex.id,
                PublicationsChangedV1 {
                    connection_id,
                    publisher_org_name: "Globex".into(),
                    partner: Recipient {
                        name: "Gus".into(),
                        email: "gus@globex.example".into(),
                    },
                    objects_published: vec!["Invoice__c".into()],
                    objects_unpublished: vec![],
                    changes: vec![],
                },
            ),
        )
        .await
        .expect("published");
    app.publisher
        .publish(
            app.topology(),
            &Envelope::new(
                p.acme.id,
                accept_failed(connection_id, "=HYPERLINK(\"http://evil\")"),
            ),
        )
        .await
        .expect("published");
    app.publisher
        .publish(
            app.topology(),
            &Envelope::new(
                p.acme.id,
                SyncUpdateFailedV1 {
                    connection_id,
                    owner: Recipient {
                        name: "Olga".into(),
                        email: "olga@acme.example".into(),
                    },
                    object: "Account".into(),
                    record_id: "001".into(),
                    record_name: "Initech, \"West\"".into(),
                    error: "locked".into(),
                    attempts: 6,
                    failed_at: chrono::Utc::now(),
                },
            ),
        )
        .await
        .expect("published");
    // An org that is not a side of the connection: refused for good.
    app.publisher
        .publish(
            app.topology(),
            &Envelope::new(stranger.id, accept_failed(connection_id, "Account")),
        )
        .await
        .expect("published");

    let letters = eventually("the refused event", Duration::from_secs(20), || async {
        let letters = dead_letters::list(app.amqp_url(), app.topology(), "invitation", 10)
            .await
            .ok()?;
        (letters.len() == 1).then_some(letters)
    })
    .await;
    assert!(
        letters[0].reason.contains("is not a connection of org"),
        "{}",
        letters[0].reason
    );
    app.wait_idle().await;

    let kinds: Vec<String> = history_kinds(&app, &p.acme.key, &id)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for kind in [
        "PublishedFieldsChanged",
        "RecordAcceptFailed",
        "RecordUpdateFailed",
    ] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            1,
            "{kind} in {kinds:?}"
        );
    }

    let only: Value = app
        .get(
            &format!("/v1/connections/{id}/history?kind=RecordAcceptFailed"),
            Some(&p.globex.key),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(only["items"].as_array().map(Vec::len), Some(1));
    let future: Value = app
        .get(
            &format!("/v1/connections/{id}/history?from=2999-01-01T00:00:00Z"),
            Some(&p.acme.key),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(future["items"], json!([]));
    let bad = app
        .get(
            &format!("/v1/connections/{id}/history?kind=Bogus"),
            Some(&p.acme.key),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(bad.json::<Value>().await.expect("JSON")["field"], "kind");

    let csv_answer = app
        .get(
            &format!("/v1/connections/{id}/history.csv"),
            Some(&p.acme.key),
        )
        .await;
    assert_eq!(csv_answer.status(), 200);
    assert!(
        csv_answer.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let text = csv_answer.text().await.expect("a body");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .expect("headers")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(headers, ["occurred_at", "kind", "summary", "detail"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), kinds.len());
    let refused = rows
        .iter()
        .find(|r| &r[1] == "RecordAcceptFailed")
        .expect("the accept failure row");
    assert!(refused[2].starts_with("'=HYPERLINK"), "{}", &refused[2]);
    let update = rows
        .iter()
        .find(|r| &r[1] == "RecordUpdateFailed")
        .expect("the update failure row");
    assert!(update[2].contains("Initech, \"West\""));
    let detail: Value = serde_json::from_str(&update[3]).expect("detail is JSON");
    assert_eq!(detail["attempts"], 6);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_edits_are_recorded_and_the_invitee_may_change_only_its_owner() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let (id, token) = invite(&app, &p, "gina@globex.example").await;
    app.post(
        "/v1/invitations/claim",
        Some(&p.globex.key),
        &json!({ "token": token }),
    )
    .await;
    let new_owner = app
        .create_user(&p.acme, "Nina New", "nina@acme.example")
        .await;
    // A connection template of Acme's, as the sharing service's read model would hold it.
    let template = uuid::Uuid::new_v4();
    {
        let mut conn = app.pool().get().await.expect("a connection");
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "INSERT INTO invitation.connection_templates (id, org_id, name) \
                 VALUES ('{template}', '{}', 'Standard')",
                p.acme.id
            )),
            &mut conn,
        )
        .await
        .expect("a template");
    }
    let path = format!("/v1/connections/{id}");

    let edited = app
        .patch(
            &path,
            &p.acme.key,
            &json!({
                "account": "Globex EMEA",
                "contact": { "name": "Gina Ray", "email": "gina.ray@globex.example" },
                "owner_user_id": new_owner,
                "template_id": template,
            }),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let edited: Value = edited.json().await.expect("JSON");
    assert_eq!(edited["account"], "Globex EMEA");
    assert_eq!(edited["contact"]["email"], "gina.ray@globex.example");
    assert_eq!(edited["owner_user_id"], new_owner.to_string());
    assert_eq!(edited["template_id"], template.to_string());

    let not_theirs = app
        .patch(&path, &p.globex.key, &json!({ "account": "Mine" }))
        .await;
    assert_eq!(not_theirs.status(), 422);
    assert_eq!(
        not_theirs.json::<Value>().await.expect("JSON")["field"],
        "account"
    );
    let foreign_owner = app
        .patch(&path, &p.globex.key, &json!({ "owner_user_id": new_owner }))
        .await;
    assert_eq!(
        foreign_owner.status(),
        422,
        "an owner must be a user of the editing org"
    );
    let own_owner = app
        .patch(
            &path,
            &p.globex.key,
            &json!({ "owner_user_id": p.globex_owner }),
        )
        .await;
    assert_eq!(own_owner.status(), 200);
    let seen_by_invitee: Value = own_owner.json().await.expect("JSON");
    assert_eq!(seen_by_invitee["owner_user_id"], p.globex_owner.to_string());
    assert_eq!(
        seen_by_invitee["account"],
        Value::Null,
        "the inviter's account stays its own"
    );
    assert_eq!(seen_by_invitee["template_id"], Value::Null);

    let kinds: Vec<String> = history_kinds(&app, &p.acme.key, &id)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.ends_with("Changed") && k != "StatusChanged")
        .collect();
    assert_eq!(
        kinds,
        [
            "AccountChanged",
            "ContactChanged",
            "OwnerChanged",
            "TemplateChanged",
            "OwnerChanged"
        ]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_expired_tokens_are_gone() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let (_, token) = invite(&app, &p, "gina@globex.example").await;
    let mut conn = app.pool().get().await.expect("a connection");
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("UPDATE invitation.tokens SET expires_at = now() - interval '1 second'"),
        &mut conn,
    )
    .await
    .expect("expired");
    let answer = app
        .post(
            "/v1/invitations/claim",
            Some(&p.globex.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(answer.status(), 410);
    let problem: Value = answer.json().await.expect("JSON");
    assert_eq!(problem["field"], "token");
    assert_eq!(problem["detail"], "has expired");
    app.stop().await;
}
