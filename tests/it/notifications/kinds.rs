use super::publish;
use chrono::Utc;
use shared::ids::{ConnectionId, OrgId};
use shared::message::events::Recipient;
use shared::message::events::connection::*;
use shared::message::events::sharing::*;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;
use tests::email::{Email, decode};

fn person(name: &str, email: &str) -> Recipient {
    Recipient {
        name: name.into(),
        email: email.into(),
    }
}

async fn email_to(app: &TestApp, address: &str) -> Email {
    let received = eventually(
        &format!("an email to {address}"),
        Duration::from_secs(20),
        || async { app.smtp.received_by(address).into_iter().next() },
    )
    .await;
    decode(&received)
}

fn assert_links(email: &Email, link: &str) {
    assert!(
        email.text.contains(link),
        "text of {:?} lacks {link}:\n{}",
        email.subject,
        email.text
    );
    assert!(
        email.html.contains(&format!("href=\"{link}\"")),
        "html of {:?} lacks a link to {link}",
        email.subject
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_email_arrives_with_its_recipient_subject_and_links_as_text_and_html() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let connection_id = ConnectionId::new();
    let connection_url = format!("https://partnernet.test/connections/{connection_id}");
    let accept_url = "https://partnernet.test/invitations/accept?token=tok";
    let owner = person("Olive Owner", "olive@acme.example");
    let answer = InvitationAnswer {
        connection_id,
        partner_org_id: OrgId::new(),
        partner_org_name: "Globex".into(),
        owner: owner.clone(),
        response_date: Utc::now(),
    };

    publish(
        &app,
        &acme,
        InvitationResentV1 {
            connection_id,
            inviter_org_name: "Acme Corp".into(),
            contact_name: "Ann".into(),
            contact_email: "ann@globex.example".into(),
            accept_url: accept_url.into(),
            expires_at: Utc::now(),
        },
    )
    .await;
    publish(
        &app,
        &acme,
        InvitationCancelledV1 {
            connection_id,
            inviter_org_name: "Acme Corp".into(),
            contact_name: "Bo".into(),
            contact_email: "bo@globex.example".into(),
        },
    )
    .await;
    publish(&app, &acme, InvitationAcceptedV1(answer.clone())).await;
    publish(
        &app,
        &acme,
        InvitationDeclinedV1(InvitationAnswer {
            owner: person("Dee Owner", "dee@acme.example"),
            ..answer.clone()
        }),
    )
    .await;
    publish(
        &app,
        &acme,
        ConnectionDeactivatedV1 {
            connection_id,
            deactivated_by_org_id: acme.id,
            deactivated_by_org_name: "Acme Corp".into(),
            other_org_id: OrgId::new(),
            notify: person("Gus", "gus@globex.example"),
            deactivated_at: Utc::now(),
        },
    )
    .await;
    publish(
        &app,
        &acme,
        PublicationsChangedV1 {
            connection_id,
            publisher_org_name: "Acme Corp".into(),
            partner: person("Pat", "pat@globex.example"),
            objects_published: vec!["Opportunity".into()],
            objects_unpublished: vec!["Case".into()],
            changes: vec![PublishedObjectChange {
                object: "Account".into(),
                fields_added: vec!["Phone".into()],
                fields_removed: vec![],
            }],
        },
    )
    .await;
    publish(
        &app,
        &acme,
        RecordsForwardedV1 {
            connection_id,
            sender_org_name: "Acme Corp".into(),
            recipient: person("Rae", "rae@globex.example"),
            send_email: true,
            new_records: vec![
                ForwardedRecord {
                    object: "Account".into(),
                    record_id: "001A".into(),
                    name: "Initech".into(),
                },
                ForwardedRecord {
                    object: "Contact".into(),
                    record_id: "003B".into(),
                    name: "Peter Gibbons".into(),
                },
            ],
        },
    )
    .await;
    // A forward that did not ask for an email, and one with no record new to the recipient.
    publish(
        &app,
        &acme,
        RecordsForwardedV1 {
            connection_id,
            sender_org_name: "Acme Corp".into(),
            recipient: person("Quiet", "quiet@globex.example"),
            send_email: false,
            new_records: vec![ForwardedRecord {
                object: "Account".into(),
                record_id: "001C".into(),
                name: "Hooli".into(),
            }],
        },
    )
    .await;
    publish(
        &app,
        &acme,
        RecordsForwardedV1 {
            connection_id,
            sender_org_name: "Acme Corp".into(),
            recipient: person("Quiet", "quiet@globex.example"),
            send_email: true,
            new_records: vec![],
        },
    )
    .await;

    let resent = email_to(&app, "ann@globex.example").await;
    assert_eq!(
        resent.subject,
        "Reminder: Acme Corp invites you to connect on PartnerNet"
    );
    assert_links(&resent, accept_url);

    let cancelled = email_to(&app, "bo@globex.example").await;
    assert_eq!(cancelled.subject, "Acme Corp cancelled their invitation");
    assert!(cancelled.text.contains("no longer works"));

    let accepted = email_to(&app, "olive@acme.example").await;
    assert_eq!(accepted.subject, "Globex accepted your invitation");
    assert!(accepted.text.starts_with("Hello Olive Owner,"));
    assert_links(&accepted, &connection_url);

    let declined = email_to(&app, "dee@acme.example").await;
    assert_eq!(declined.subject, "Globex declined your invitation");
    assert_links(&declined, &connection_url);

    let deactivated = email_to(&app, "gus@globex.example").await;
    assert_eq!(
        deactivated.subject,
        "Acme Corp deactivated your PartnerNet connection"
    );
    assert_links(&deactivated, &connection_url);

    let updated = email_to(&app, "pat@globex.example").await;
    assert_eq!(updated.subject, "Acme Corp changed what it shares with you");
    assert!(updated.text.contains("Now published: Opportunity"));
    assert!(
        updated
            .text
            .contains("No longer published (your subscriptions to them were removed): Case")
    );
    assert!(updated.text.contains("Account: fields added: Phone."));
    assert_links(&updated, &connection_url);

    let forwarded = email_to(&app, "rae@globex.example").await;
    assert_eq!(forwarded.subject, "Acme Corp shared 2 records with you");
    assert!(forwarded.text.contains("- Account: Initech"));
    assert!(forwarded.html.contains("<li>Contact: Peter Gibbons</li>"));
    assert_links(&forwarded, &connection_url);

    for email in [
        &resent,
        &cancelled,
        &accepted,
        &declined,
        &deactivated,
        &updated,
        &forwarded,
    ] {
        // Named after the org whose event it is, sent by the deployment's address.
        assert!(
            email
                .from
                .ends_with(" via PartnerNet\" <no-reply@partnernet.localhost>"),
            "{}",
            email.from
        );
        assert!(email.html.starts_with("<!doctype html>"));
    }
    app.wait_idle().await;
    assert!(
        app.smtp.received_by("quiet@globex.example").is_empty(),
        "no email was asked for"
    );
    app.stop().await;
}
