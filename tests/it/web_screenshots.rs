//! `scripts/screenshots`: the main pages on a demo PartnerNet, photographed in Chromium into
//! `docs/screenshots/` (the README shows them). Ignored in the suite: it rewrites files.
//!
//! Adding a page is one line in `PAGES`; what a page needs that the demo lacks goes in `Demo`.

use crate::connections_support::token_for;
use crate::field_sync_reports::failed_update;
use crate::links_support::{forward_one, inbox_entry, record};
use crate::web_browser_email_templates::html_preview_text;
use crate::web_browser_support::sign_in;
use serde_json::{Value, json};
use std::path::PathBuf;
use tests::TestApp;
use tests::browser::{Browser, DESKTOP, PHONE, Viewport};

/// A PartnerNet with Acme Corp and Globex connected (Acme invited), objects published both
/// ways and subscribed with a mapping, a record linked across, an update of it that failed at
/// Globex, a record of Globex's waiting in Acme's inbox, and an invitation still to answer.
struct Demo {
    app: TestApp,
    /// The Acme–Globex connection.
    connection: String,
    /// Acme Corp's pending invitation to Initech: the path of its email's link.
    invitation_path: String,
}

/// Who looks at a page: a visitor (the invitation's email link) or a signed-in user of Acme
/// or of Globex.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Visitor,
    Acme,
    Globex,
}

impl Who {
    /// The user's address, and which of their sign-in emails each browser session uses.
    fn user(self) -> Option<&'static str> {
        match self {
            Who::Visitor => None,
            Who::Acme => Some("olga@acme.example"),
            Who::Globex => Some("gus@globex.example"),
        }
    }
}

/// A screenshot: docs/screenshots/<name>.png of the page at `path` (on the demo's address).
struct Shot {
    name: &'static str,
    viewport: Viewport,
    who: Who,
    path: fn(&Demo) -> String,
}

const fn shot(name: &'static str, viewport: Viewport, who: Who, path: fn(&Demo) -> String) -> Shot {
    Shot {
        name,
        viewport,
        who,
        path,
    }
}

/// Every screenshot, one line each.
const PAGES: &[Shot] = &[
    shot("invitation", DESKTOP, Who::Visitor, |d| {
        d.invitation_path.clone()
    }),
    shot("invitation-phone", PHONE, Who::Visitor, |d| {
        d.invitation_path.clone()
    }),
    shot("connections", DESKTOP, Who::Acme, |_| {
        "/connections".to_string()
    }),
    shot("connections-phone", PHONE, Who::Acme, |_| {
        "/connections".to_string()
    }),
    shot("connection", DESKTOP, Who::Acme, |d| {
        format!("/connections/{}", d.connection)
    }),
    shot("connection-edit", DESKTOP, Who::Acme, |d| {
        format!("/connections/{}/edit", d.connection)
    }),
    shot("publications", DESKTOP, Who::Acme, |d| {
        format!("/connections/{}/publications", d.connection)
    }),
    shot("subscriptions", DESKTOP, Who::Acme, |d| {
        format!("/connections/{}/subscriptions", d.connection)
    }),
    shot("connection-templates", DESKTOP, Who::Acme, |_| {
        "/connection-templates".to_string()
    }),
    shot("records-inbox", DESKTOP, Who::Acme, |_| {
        "/records/inbox".to_string()
    }),
    shot("record-sharing", DESKTOP, Who::Acme, |_| {
        "/records/Account/acc-1".to_string()
    }),
    // The receiver's view: each failure with its Replay button.
    shot("sync-failures", DESKTOP, Who::Globex, |d| {
        format!("/connections/{}/sync-failures", d.connection)
    }),
    shot("email-templates", DESKTOP, Who::Acme, |_| {
        "/email-templates".to_string()
    }),
    shot("email-template", DESKTOP, Who::Acme, |_| {
        "/email-templates/invitation".to_string()
    }),
    shot("email-settings", DESKTOP, Who::Acme, |_| {
        "/settings/email".to_string()
    }),
];

impl Demo {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        let (linked, _) = failed_update(&app).await;
        let n = &linked.n;
        record(
            &app,
            n.globex(),
            "Account",
            "glx-1",
            json!({ "Name": "Globex Widgets", "Rating": "Warm" }),
        )
        .await;
        forward_one(&app, n.globex(), &n.id, "Account", "glx-1").await;
        inbox_entry(&app, n.acme(), "glx-1", |_| true).await;

        let invited = app
            .post(
                "/v1/connections",
                Some(n.acme()),
                &json!({ "contact": { "name": "Ann Smith", "email": "ann@initech.example" },
                         "account": "Initech", "owner_user_id": n.p.acme_owner }),
            )
            .await;
        assert_eq!(invited.status(), 201);
        let _: Value = invited.json().await.expect("JSON");
        let token = token_for(&app, "ann@initech.example", 1).await;
        app.wait_idle().await;
        Self {
            connection: n.id.clone(),
            invitation_path: format!("/invitations/accept?token={token}"),
            app,
        }
    }
}

fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots")
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "rewrites docs/screenshots; run by scripts/screenshots"]
async fn web_screenshots() {
    let demo = Demo::start().await;
    let shots: Vec<&Shot> = PAGES.iter().collect();
    let mut sign_ins: Vec<&str> = Vec::new();
    for viewport in [DESKTOP, PHONE] {
        for who in [Who::Visitor, Who::Acme, Who::Globex] {
            let these: Vec<&&Shot> = shots
                .iter()
                .filter(|s| s.viewport == viewport && s.who == who)
                .collect();
            if these.is_empty() {
                continue;
            }
            let browser = Browser::launch(viewport).await;
            if let Some(email) = who.user() {
                sign_ins.push(email);
                let nth = sign_ins.iter().filter(|e| **e == email).count();
                sign_in(&demo.app, &browser, email, nth).await;
            }
            for shot in these {
                let path = (shot.path)(&demo);
                browser.goto(&format!("{}{path}", demo.app.base_url)).await;
                if shot.name == "email-template" {
                    // The preview's frame draws after the page: not photographed blank.
                    html_preview_text(&browser).await;
                }
                browser
                    .screenshot(screenshots_dir().join(format!("{}.png", shot.name)))
                    .await;
            }
            browser.close().await;
        }
    }
}
