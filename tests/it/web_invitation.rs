//! The invitation, on web pages only: invite many (one bad address) from the Connections tab,
//! the invitee follows the email's link, signs in to answer and accepts; the inviter sees the
//! connection accepted, its history and the CSV download.

use crate::web_support::{WebClient, emailed_link, hidden_value, sign_in};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_invitation_from_the_emails_link_to_an_accepted_connection() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    app.create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    app.create_user(&globex, "Gus Globex", "gus@globex.example")
        .await;

    // Acme invites two contacts and a bad address from the Connections tab.
    let olga = sign_in(&app, "olga@acme.example", 1).await;
    let form = olga.get("/connections/new").await;
    assert!(form.body.contains("<label for=\"contacts\">"));
    let invited = olga
        .post(
            "/connections/new",
            &[
                ("csrf", &form.csrf()),
                (
                    "contacts",
                    "Gus Globex <gus@globex.example>\nnot-an-address\nCara, cara@globex.example\n",
                ),
                (
                    "owner_user_id",
                    &hidden_selected_owner(&form.body).expect("an owner option"),
                ),
            ],
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.body);
    assert!(
        invited
            .body
            .contains("Gus Globex &lt;gus@globex.example&gt;: invited")
    );
    assert!(invited.body.contains("Cara, cara@globex.example: invited"));
    assert!(
        invited
            .body
            .contains("not-an-address: not invited: is not a valid email address")
    );
    assert!(
        invited
            .body
            .contains("2 invitation(s) sent, 1 contact(s) not invited")
    );

    // Gus follows the email's link: he sees who invites whom, and must sign in to answer.
    let link = emailed_link(&app, "gus@globex.example", "/invitations/accept?token=", 1).await;
    let gus = WebClient::new(&app);
    let shown = gus.get(&link).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown
            .body
            .contains("<strong>Acme Corp</strong> invites <strong>Gus Globex</strong>")
    );
    assert!(shown.body.contains("Olga Owner"));
    assert!(!shown.body.contains("id=\"accept\""));
    let sign_in_href = hidden_href(&shown.body, "sign-in-to-answer").expect("a sign-in link");
    let asked = gus.get(&sign_in_href).await;
    let next = hidden_value(&asked.body, "next").expect("next kept by the form");
    assert_eq!(next, link);
    gus.post(
        "/sign-in",
        &[("email", "gus@globex.example"), ("next", &next)],
    )
    .await;
    let sign_in_link = emailed_link(&app, "gus@globex.example", "/sign-in/link?token=", 1).await;
    let token = sign_in_link.split("token=").nth(1).expect("a token");
    let signed_in = gus.post("/sign-in/link", &[("token", token)]).await;
    assert_eq!(signed_in.location.as_deref(), Some(link.as_str()));

    // Signed in, Gus accepts; nothing was claimed by looking.
    let answer = gus.get(&link).await;
    assert!(answer.body.contains("id=\"accept\""), "{}", answer.body);
    let invitation_token = link.split("token=").nth(1).expect("a token");
    let accepted = gus
        .post(
            "/invitations/answer",
            &[
                ("csrf", &answer.csrf()),
                ("token", invitation_token),
                ("answer", "accept"),
            ],
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(accepted.body.contains("You accepted the invitation"));
    let used = gus.get(&link).await;
    assert_eq!(used.status, 410);
    assert!(used.body.contains("already used"));

    // Acme sees the connection accepted, with Globex as the partner.
    let list = olga.get("/connections?status=Accepted").await;
    assert!(list.body.contains("Globex"), "{}", list.body);
    let id = list
        .body
        .split("<tr id=\"connection-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("one accepted connection")
        .to_string();
    let sent = olga.get("/connections?status=Sent").await;
    assert!(sent.body.contains("cara@globex.example"));
    assert!(!sent.body.contains(&id));

    // Its page: details, history filtered by kind, the CSV.
    let page = olga.get(&format!("/connections/{id}")).await;
    assert!(page.body.contains("<dd id=\"status\">Accepted</dd>"));
    assert!(page.body.contains("Invitation accepted by Globex"));
    assert!(page.body.contains("id=\"action-deactivate\""));
    let filtered = olga
        .get(&format!("/connections/{id}?kind=StatusChanged"))
        .await;
    assert!(filtered.body.contains("Invitation sent to Gus Globex"));
    assert!(!filtered.body.contains("data-label=\"Kind\">EmailSent<"));
    let csv = olga
        .get(&format!("/connections/{id}/history.csv?kind=StatusChanged"))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.body.starts_with("occurred_at,kind,summary,detail"));
    assert!(csv.body.contains("Invitation accepted by Globex"));

    // Deactivating asks first, then does it.
    let confirm = olga.get(&format!("/connections/{id}/deactivate")).await;
    assert!(confirm.body.contains("Deactivate the connection?"));
    let done = olga
        .post(
            &format!("/connections/{id}/deactivate"),
            &[("csrf", &confirm.csrf())],
        )
        .await;
    assert_eq!(done.status, 303);
    let after = olga
        .get(done.location.as_deref().expect("back to the page"))
        .await;
    assert!(after.body.contains("The connection was deactivated."));
    assert!(after.body.contains("<dd id=\"status\">Inactive</dd>"));
}

/// The `href` of the element with `id`.
fn hidden_href(body: &str, id: &str) -> Option<String> {
    let at = body.find(&format!("id=\"{id}\" href=\""))?;
    let rest = &body[at + id.len() + 12..];
    Some(rest[..rest.find('"')?].replace("&amp;", "&"))
}

/// The selected owner of the invitation form.
fn hidden_selected_owner(body: &str) -> Option<String> {
    let at = body.find("\" selected>")?;
    let start = body[..at].rfind("value=\"")? + 7;
    Some(body[start..at].to_string())
}
