//! Every connection action, over HTTP, ends in its email to the right person.

use crate::connections_support::{claim, claim_and_accept, invite, pair, token_for};
use serde_json::json;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::email::{Email, decode};

async fn nth_email(app: &TestApp, address: &str, nth: usize) -> Email {
    let received = eventually(
        &format!("email {nth} to {address}"),
        Duration::from_secs(20),
        || async {
            let all = app.smtp.received_by(address);
            (all.len() >= nth).then(|| all[nth - 1].clone())
        },
    )
    .await;
    decode(&received)
}

async fn act(app: &TestApp, key: &str, path: &str) {
    let response = app.post(path, Some(key), &json!({})).await;
    assert_eq!(response.status(), 200, "{path}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_every_action_sends_its_email_to_the_right_person() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;

    // Resend and cancel: the invited contact hears of both.
    let (first, _) = invite(&app, &p, "cara@globex.example").await;
    act(
        &app,
        &p.acme.key,
        &format!("/v1/connections/{first}/resend"),
    )
    .await;
    let resent = nth_email(&app, "cara@globex.example", 2).await;
    assert_eq!(
        resent.subject,
        "Reminder: Acme Corp invites you to connect on PartnerNet"
    );
    let new_token = token_for(&app, "cara@globex.example", 2).await;
    assert!(resent.html.contains(&format!("token={new_token}")));
    act(
        &app,
        &p.acme.key,
        &format!("/v1/connections/{first}/cancel"),
    )
    .await;
    let cancelled = nth_email(&app, "cara@globex.example", 3).await;
    assert_eq!(cancelled.subject, "Acme Corp cancelled their invitation");

    // Accept, then deactivate: the inviter's owner hears of the acceptance, the other side of
    // the deactivation.
    let (second, token) = invite(&app, &p, "gina@globex.example").await;
    claim_and_accept(&app, &p, &second, &token).await;
    let accepted = nth_email(&app, "olga@acme.example", 1).await;
    assert_eq!(accepted.subject, "Globex accepted your invitation");
    assert!(
        accepted
            .text
            .contains(&format!("https://partnernet.test/connections/{second}"))
    );
    act(
        &app,
        &p.acme.key,
        &format!("/v1/connections/{second}/deactivate"),
    )
    .await;
    let deactivated = nth_email(&app, "gus@globex.example", 1).await;
    assert_eq!(
        deactivated.subject,
        "Acme Corp deactivated your PartnerNet connection"
    );

    // Decline: the inviter's owner hears of it.
    let (third, token) = invite(&app, &p, "dina@globex.example").await;
    claim(&app, &p, &token).await;
    act(
        &app,
        &p.globex.key,
        &format!("/v1/connections/{third}/decline"),
    )
    .await;
    let declined = nth_email(&app, "olga@acme.example", 2).await;
    assert_eq!(declined.subject, "Globex declined your invitation");

    // Every email sent about a connection is in its history.
    app.wait_idle().await;
    let history: serde_json::Value = app
        .get(
            &format!("/v1/connections/{second}/history?kind=EmailSent"),
            Some(&p.acme.key),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let subjects: Vec<&str> = history["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["detail"]["subject"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        subjects.contains(&"Globex accepted your invitation"),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"Acme Corp deactivated your PartnerNet connection"),
        "{subjects:?}"
    );
    app.stop().await;
}
