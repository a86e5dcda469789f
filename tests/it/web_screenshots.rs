//! `scripts/screenshots`: the main pages on a demo PartnerNet, photographed in Chromium into
//! `docs/screenshots/` (the README shows them). Ignored in the suite: it rewrites files.
//!
//! Adding a page is one line in `PAGES`; what a page needs that the demo lacks goes in `Demo`.

use crate::connections_support::{Pair, pair, token_for};
use serde_json::{Value, json};
use std::path::PathBuf;
use tests::TestApp;
use tests::browser::{Browser, DESKTOP, PHONE, Viewport};

/// A PartnerNet with two orgs, one accepted connection with its history, and an invitation
/// still to answer.
struct Demo {
    app: TestApp,
    /// Acme Corp invited Globex, which accepted.
    connection: String,
    /// Acme Corp's pending invitation to Initech: the path of its email's link.
    invitation_path: String,
}

/// A screenshot: docs/screenshots/<name>.png of the page at `path` (on the demo's address).
struct Shot {
    name: &'static str,
    viewport: Viewport,
    path: fn(&Demo) -> String,
}

const fn shot(name: &'static str, viewport: Viewport, path: fn(&Demo) -> String) -> Shot {
    Shot {
        name,
        viewport,
        path,
    }
}

/// Every screenshot, one line each.
const PAGES: &[Shot] = &[
    shot("invitation", DESKTOP, |d| d.invitation_path.clone()),
    shot("invitation-phone", PHONE, |d| d.invitation_path.clone()),
    shot("connection", DESKTOP, |d| {
        format!("/connections/{}", d.connection)
    }),
    shot("publications", DESKTOP, |d| {
        format!("/connections/{}/publications", d.connection)
    }),
    shot("connection-templates", DESKTOP, |_| {
        "/connection-templates".to_string()
    }),
];

impl Demo {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        let p = pair(&app).await;
        let connection = invite(&app, &p, "Gus Globex", "gus@globex.example", "Globex").await;
        let token = token_for(&app, "gus@globex.example", 1).await;
        let claim = app
            .post(
                "/v1/invitations/claim",
                Some(&p.globex.key),
                &json!({ "token": token }),
            )
            .await;
        assert_eq!(claim.status(), 200);
        let accept = app
            .post(
                &format!("/v1/connections/{connection}/accept"),
                Some(&p.globex.key),
                &json!({ "owner_user_id": p.globex_owner }),
            )
            .await;
        assert_eq!(accept.status(), 200);

        invite(&app, &p, "Ann Smith", "ann@initech.example", "Initech").await;
        let token = token_for(&app, "ann@initech.example", 1).await;
        let invitation_path = format!("/invitations/accept?token={token}");
        app.wait_idle().await;
        Self {
            app,
            connection,
            invitation_path,
        }
    }
}

/// Acme invites `name <email>` of `account`; returns the connection's id.
async fn invite(app: &TestApp, p: &Pair, name: &str, email: &str, account: &str) -> String {
    let response = app
        .post(
            "/v1/connections",
            Some(&p.acme.key),
            &json!({ "contact": { "name": name, "email": email }, "account": account,
                     "owner_user_id": p.acme_owner }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("JSON");
    created["id"].as_str().expect("an id").to_string()
}

fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "rewrites docs/screenshots; run by scripts/screenshots"]
async fn web_screenshots() {
    let demo = Demo::start().await;
    for viewport in [DESKTOP, PHONE] {
        let browser = Browser::launch(viewport).await;
        for shot in PAGES.iter().filter(|shot| shot.viewport == viewport) {
            let path = (shot.path)(&demo);
            browser.goto(&format!("{}{path}", demo.app.base_url)).await;
            browser
                .screenshot(screenshots_dir().join(format!("{}.png", shot.name)))
                .await;
        }
        browser.close().await;
    }
}
