//! A connection's page in real Chromium: its history paged and filtered, and the CSV its link
//! downloads (fetched with the browser's own session cookie).

use crate::connections_support::{claim_and_accept, history_kinds, invite, pair};
use crate::web_browser_support::{check_page, sign_in};
use shared::ids::ConnectionId;
use shared::message::Envelope;
use shared::message::events::Recipient;
use shared::message::events::sync::SyncUpdateFailedV1;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::browser::Browser;

/// More sync failures than one history page (25) shows.
const FAILURES: usize = 27;

fn update_failed(connection_id: ConnectionId, n: usize) -> SyncUpdateFailedV1 {
    SyncUpdateFailedV1 {
        connection_id,
        owner: Recipient {
            name: "Olga".into(),
            email: "olga@acme.example".into(),
        },
        object: "Account".into(),
        record_id: format!("001{n:03}"),
        record_name: format!("Initech {n}"),
        error: "locked".into(),
        attempts: 6,
        failed_at: chrono::Utc::now(),
    }
}

/// The number of rows of the history table.
async fn history_rows(browser: &Browser) -> u64 {
    browser
        .script(
            "return document.querySelectorAll('#history-entries tbody tr').length;",
            vec![],
        )
        .await
        .as_u64()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_history_paged_filtered_and_downloaded_as_csv() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let (id, token) = invite(&app, &p, "gus@globex.example").await;
    claim_and_accept(&app, &p, &id, &token).await;
    let connection_id = ConnectionId(uuid::Uuid::parse_str(&id).expect("a uuid"));
    for n in 0..FAILURES {
        app.publisher
            .publish(
                app.topology(),
                &Envelope::new(p.acme.id, update_failed(connection_id, n)),
            )
            .await
            .expect("published");
    }
    let entries = eventually(
        "the failures in the history",
        Duration::from_secs(30),
        || async {
            let kinds = history_kinds(&app, &p.acme.key, &id).await;
            let failures = kinds
                .iter()
                .filter(|(k, _)| k == "RecordUpdateFailed")
                .count();
            (failures == FAILURES).then_some(kinds.len())
        },
    )
    .await;

    let base = &app.base_url;
    let olga = Browser::start().await;
    sign_in(&app, &olga, "olga@acme.example", 1).await;
    olga.goto(&format!("{base}/connections/{id}")).await;
    olga.wait_for_text("History").await;
    check_page(&olga).await;
    assert_eq!(history_rows(&olga).await, 25);

    // The next page has the rest, and a way back to the first.
    olga.tab_to("Next page").await;
    olga.press_enter().await;
    olga.wait_for_text("First page").await;
    check_page(&olga).await;
    assert_eq!(history_rows(&olga).await, (entries - 25) as u64);
    olga.click_link("First page").await;
    olga.wait_for_text("Next page").await;
    assert_eq!(history_rows(&olga).await, 25);

    // Filtered to status changes: the invitation and its answer, no failures, no pages.
    olga.fill("Kind of entry", "StatusChanged").await;
    olga.click_button("Filter").await;
    olga.wait_for_url(&format!("{base}/connections/{id}?kind=StatusChanged"))
        .await;
    olga.wait_for_text("Invitation accepted by Globex").await;
    check_page(&olga).await;
    let shown = olga.page_text().await;
    assert!(!shown.contains("Initech"), "{shown}");
    assert!(!shown.contains("Next page"), "{shown}");
    let filtered_rows = history_rows(&olga).await;

    // The CSV link downloads the same entries, to this session only.
    let csv_url = olga.link_href("history-csv").await;
    assert_eq!(
        csv_url,
        format!("{base}/connections/{id}/history.csv?kind=StatusChanged")
    );
    let session = olga.cookie("pn_session").await.expect("a session cookie");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let csv = http
        .get(&csv_url)
        .header(
            reqwest::header::COOKIE,
            format!("pn_session={}", session.value()),
        )
        .send()
        .await
        .expect("the CSV is answered");
    assert_eq!(csv.status(), 200);
    let content_type = csv
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let body = csv.text().await.expect("a CSV body");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.first(), Some(&"occurred_at,kind,summary,detail"));
    let rows = &lines[1..];
    assert_eq!(rows.len() as u64, filtered_rows, "{body}");
    assert!(
        rows.iter().all(|row| row.contains(",StatusChanged,")),
        "{body}"
    );
    assert!(
        rows.iter()
            .any(|row| row.contains("Invitation accepted by Globex"))
    );

    // Without the session, the download asks to sign in.
    let anonymous = http.get(&csv_url).send().await.expect("answered");
    assert_eq!(anonymous.status(), 303);
    olga.close().await;
}
