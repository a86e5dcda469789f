//! The web pages through the docker-compose gateway, for real: the four services as separate
//! `partnernet serve <service>` processes and a private nginx running the committed
//! `deploy/gateway/nginx.conf` (see `tests::gateway`). A user signs in through the gateway by
//! the emailed link, then every page URL answers 200 with its heading, and is the page of the
//! service the gateway sends it to (that service serves it; no other one does).

use crate::links_support::{account, forward_one, net};
use crate::web_support::sign_in_at;
use tests::TestApp;
use tests::gateway::Gateway;

#[tokio::test(flavor = "multi_thread")]
async fn web_gateway_serves_every_page_from_its_service() {
    let app = TestApp::spawn().await;
    let n = net(&app, false).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    assert_eq!(
        forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await["outcome"],
        "forwarded"
    );
    app.wait_idle().await;
    let gateway = Gateway::start(&app).await;

    // Signing in through the gateway, by the emailed link.
    let olga = sign_in_at(&app, &gateway.base_url, "olga@acme.example", 1).await;
    let root = olga.get("/").await;
    // nginx answers `/` itself, with an absolute address.
    assert_eq!(
        (root.status, root.location),
        (303, Some(format!("{}/connections", gateway.base_url)))
    );
    let css = olga.get("/assets/app.css").await;
    assert_eq!(css.status, 200);
    assert!(
        css.content_type.starts_with("text/css"),
        "{}",
        css.content_type
    );

    let id = &n.id;
    let pages: Vec<(String, &str, &str)> = vec![
        ("/connections".into(), "invitation", "Connections"),
        (
            "/connections?status=Accepted".into(),
            "invitation",
            "Connections",
        ),
        ("/connections/new".into(), "invitation", "Invite partners"),
        (format!("/connections/{id}"), "invitation", "Connection"),
        (
            format!("/connections/{id}/edit"),
            "invitation",
            "Edit the connection",
        ),
        (
            format!("/connections/{id}/publications"),
            "sharing",
            "Publications",
        ),
        (
            format!("/connections/{id}/subscriptions"),
            "sharing",
            "Subscriptions",
        ),
        (
            "/connection-templates".into(),
            "sharing",
            "Connection templates",
        ),
        ("/records/inbox".into(), "sharing", "Inbox"),
        ("/records/Account/acc-1".into(), "sharing", "Account acc-1"),
        (
            format!("/connections/{id}/sync-failures"),
            "sync",
            "Sync failures",
        ),
        ("/email-templates".into(), "notification", "Email templates"),
        (
            "/email-templates/invitation".into(),
            "notification",
            "Email: Invitation",
        ),
        ("/settings/email".into(), "notification", "Sender settings"),
    ];
    for (path, owner, heading) in &pages {
        let page = olga.get(path).await;
        assert_eq!(
            page.status,
            200,
            "{path}: {}\n{}",
            page.body,
            gateway.logs()
        );
        let heading = format!("<h1>{heading}</h1>");
        assert!(page.body.contains(&heading), "{path}: {}", page.body);
        for (service, url) in &gateway.services {
            let direct = olga.get_from(url, path).await;
            if service == owner {
                assert_eq!(direct.status, 200, "{path} from {service}");
            } else {
                assert_ne!(direct.status, 200, "{path} is also served by {service}");
            }
        }
    }

    // A page action through the gateway: the form posts to the same service.
    let form = olga.get(&format!("/connections/{id}/edit")).await;
    let saved = olga
        .post(
            &format!("/connections/{id}/edit"),
            &[
                ("csrf", &form.csrf()),
                ("account", "Globex via the gateway"),
                ("contact_name", "Gus Globex"),
                ("contact_email", "gus@globex.example"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = olga.get(&format!("/connections/{id}")).await;
    assert!(
        after
            .body
            .contains("Account changed to Globex via the gateway")
    );
}
