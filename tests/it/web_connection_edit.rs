//! Editing a connection from its page: the edit is saved and shown in the details and the
//! history; a bad value is refused in words at the field it names; another org's session gets
//! "not found" and changes nothing. The invited org edits only its own owner.

use crate::connections_support::{invite, pair};
use crate::web_support::{WebPage, acme_connection_and_an_outsider, sign_in};
use serde_json::{Value, json};
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn web_connection_edit_saves_refuses_a_bad_field_and_hides_from_another_org() {
    let app = TestApp::spawn().await;
    let (acme, id) =
        acme_connection_and_an_outsider(&app, ("Gus Globex", "gus@globex.example"), "Globex West")
            .await;
    let pete = app
        .create_user(&acme, "Pete Partner-Manager", "pete@acme.example")
        .await;

    // The page links to the form, which shows the current values, each with its label.
    let browser = sign_in(&app, "olga@acme.example", 1).await;
    let page = browser.get(&format!("/connections/{id}")).await;
    assert!(page.body.contains("id=\"action-edit\""), "{}", page.body);
    let form = browser.get(&format!("/connections/{id}/edit")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    for label in [
        "<label for=\"account\">Account</label>",
        "<label for=\"contact-name\">Contact name</label>",
        "<label for=\"contact-email\">Contact email address</label>",
        "<label for=\"owner\">Connection owner on your side</label>",
        "<label for=\"template\">Connection template</label>",
    ] {
        assert!(form.body.contains(label), "{label}");
    }
    assert!(form.body.contains("value=\"Globex West\""));

    // A bad address is refused at its field, with what was typed kept; nothing is saved.
    let refused = save(&browser, &form, &id, "Globex East", "not-an-address", &pete).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let at_field = refused
        .body
        .split("id=\"error-contact-email\">")
        .nth(1)
        .expect("the error at the contact email");
    assert!(
        at_field.starts_with("A field is invalid: the contact email"),
        "{at_field}"
    );
    assert!(refused.body.contains("value=\"not-an-address\""));
    assert_eq!(
        connection(&app, &acme.key, &id).await["account"],
        "Globex West"
    );

    // A good edit is saved: the details and the history show it.
    let saved = save(
        &browser,
        &refused,
        &id,
        "Globex East",
        "gus@globex.example",
        &pete,
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("/connections/{id}?done=edit").as_str())
    );
    let after = browser.get(&format!("/connections/{id}?done=edit")).await;
    assert!(after.body.contains("The connection was saved."));
    assert!(
        after.body.contains("<dd>Globex East</dd>"),
        "{}",
        after.body
    );
    assert!(after.body.contains("Gus G. Globex (gus@globex.example)"));
    assert!(
        after
            .body
            .contains("<dd id=\"owner\">Pete Partner-Manager</dd>")
    );
    for entry in [
        "Account changed to Globex East",
        "Contact changed to Gus G. Globex",
        "Connection owner changed",
    ] {
        assert!(after.body.contains(entry), "{entry}");
    }
    let view = connection(&app, &acme.key, &id).await;
    assert_eq!(view["owner_user_id"], pete.to_string());

    // Another org's session: "not found" on the form and on saving, and nothing changes.
    let ian = sign_in(&app, "ian@initech.example", 1).await;
    let theirs = ian.get("/connections").await;
    assert_eq!(
        ian.get(&format!("/connections/{id}/edit")).await.status,
        404
    );
    let denied = save(&ian, &theirs, &id, "Hijacked", "ian@initech.example", &pete).await;
    assert_eq!(denied.status, 404, "{}", denied.body);
    assert!(!denied.body.contains("Globex"));
    assert_eq!(connection(&app, &acme.key, &id).await, view);
}

async fn save(
    browser: &crate::web_support::WebClient,
    form: &WebPage,
    id: &str,
    account: &str,
    email: &str,
    owner: &uuid::Uuid,
) -> WebPage {
    browser
        .post(
            &format!("/connections/{id}/edit"),
            &[
                ("csrf", &form.csrf()),
                ("account", account),
                ("contact_name", "Gus G. Globex"),
                ("contact_email", email),
                ("owner_user_id", &owner.to_string()),
                ("template_id", ""),
            ],
        )
        .await
}

async fn connection(app: &TestApp, key: &str, id: &str) -> Value {
    app.get(&format!("/v1/connections/{id}"), Some(key))
        .await
        .json()
        .await
        .expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn web_connection_edit_by_the_invited_org_changes_only_its_own_owner() {
    let app = TestApp::spawn().await;
    let p = pair(&app).await;
    let (id, token) = invite(&app, &p, "gina@globex.example").await;
    let claimed = app
        .post(
            "/v1/invitations/claim",
            Some(&p.globex.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(claimed.status(), 200);
    let hana = app
        .create_user(&p.globex, "Hana Globex", "hana@globex.example")
        .await;

    // Globex's form has only its owner: the account and contact are the inviter's.
    let gus = sign_in(&app, "gus@globex.example", 1).await;
    let form = gus.get(&format!("/connections/{id}/edit")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("<label for=\"owner\">"));
    assert!(!form.body.contains("id=\"account\"") && !form.body.contains("id=\"contact-email\""));

    // Saving changes Globex's owner only; an account slipped into the post is not read.
    let saved = gus
        .post(
            &format!("/connections/{id}/edit"),
            &[
                ("csrf", &form.csrf()),
                ("account", "Taken over"),
                ("owner_user_id", &hana.to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = gus.get(&format!("/connections/{id}?done=edit")).await;
    assert!(
        page.body.contains("<dd id=\"owner\">Hana Globex</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Connection owner changed"));
    let theirs = connection(&app, &p.globex.key, &id).await;
    assert_eq!(theirs["owner_user_id"], hana.to_string());
    let acme_side = connection(&app, &p.acme.key, &id).await;
    assert_eq!(acme_side["owner_user_id"], p.acme_owner.to_string());
    assert_eq!(acme_side["account"], Value::Null);
}
