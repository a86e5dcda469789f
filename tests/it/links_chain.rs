//! Multi-tier sharing over HTTP against real servers: Acme's record accepted by Globex is
//! forwarded on by Globex to Initech; it never goes back over the connection it came from.

use crate::connections_support::{Pair, invite};
use crate::links_support::{
    forward_one, link_with_status, net, publish, record, sharing, subscribe,
};
use crate::sharing_support::visible;
use serde_json::json;
use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn links_chain_forwards_an_accepted_record_on_to_a_third_org() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    // Globex invites Initech: the second tier.
    let initech = app.create_org("Initech").await;
    let initech_owner = app
        .create_user(&initech, "Ida Initech", "ida@initech.example")
        .await;
    let tier = Pair {
        acme: n.p.globex.clone(),
        acme_owner: n.p.globex_owner,
        globex: initech.clone(),
        globex_owner: initech_owner,
    };
    let (bc, token) = invite(&app, &tier, "ivy@initech.example").await;
    let claim = app
        .post(
            "/v1/invitations/claim",
            Some(&initech.key),
            &json!({ "token": token }),
        )
        .await;
    assert_eq!(claim.status(), 200);
    let accept = app
        .post(
            &format!("/v1/connections/{bc}/accept"),
            Some(&initech.key),
            &json!({ "owner_user_id": initech_owner }),
        )
        .await;
    assert_eq!(accept.status(), 200);
    visible(&app, &initech.key, &bc).await;
    visible(&app, n.globex(), &bc).await;
    publish(&app, n.globex(), &bc, "Account", json!(["Name", "Rating"])).await;
    subscribe(
        &app,
        &initech.key,
        &bc,
        "Account",
        json!({ "auto_accept": true, "auto_map": true }),
    )
    .await;

    // Globex shares Accounts with Acme too, so going back is blocked by the rule itself.
    publish(&app, n.globex(), &n.id, "Account", json!(["Name"])).await;
    subscribe(
        &app,
        n.acme(),
        &n.id,
        "Account",
        json!({ "auto_accept": false, "auto_map": true }),
    )
    .await;
    record(
        &app,
        n.acme(),
        "Account",
        "acc-1",
        json!({ "Name": "Initrode", "Rating": "Hot" }),
    )
    .await;
    forward_one(&app, n.acme(), &n.id, "Account", "acc-1").await;
    let ab = link_with_status(&app, n.acme(), "Account", "acc-1", "Active (sent)").await;
    let b_copy = ab["partner_record_id"]
        .as_str()
        .expect("B's copy")
        .to_string();
    link_with_status(&app, n.globex(), "Account", &b_copy, "Active (received)").await;

    // Back to Acme over the connection it came from: refused. On to Initech: forwarded.
    let back = forward_one(&app, n.globex(), &n.id, "Account", &b_copy).await;
    assert_eq!(back["outcome"], "refused");
    assert_eq!(back["refusal"]["code"], "back_to_sender");
    let on = forward_one(&app, n.globex(), &bc, "Account", &b_copy).await;
    assert_eq!(on["outcome"], "forwarded");

    let bc_link = link_with_status(&app, n.globex(), "Account", &b_copy, "Active (sent)").await;
    let c_copy = bc_link["partner_record_id"]
        .as_str()
        .expect("C's copy")
        .to_string();
    let c_link =
        link_with_status(&app, &initech.key, "Account", &c_copy, "Active (received)").await;
    assert_eq!(c_link["partner_org_name"], "Globex");
    assert_eq!(c_link["partner_record_id"], b_copy);

    // Globex's External Sharing list shows both of its links: received from Acme, sent to
    // Initech. Acme's shows only its own link to Globex.
    let b_list = sharing(&app, n.globex(), "Account", &b_copy).await;
    assert_eq!(b_list.len(), 2, "{b_list:?}");
    let received = b_list
        .iter()
        .find(|l| l["direction"] == "received")
        .expect("from Acme");
    assert_eq!(received["partner_org_name"], "Acme Corp");
    assert_eq!(received["status"], "Active (received)");
    let sent = b_list
        .iter()
        .find(|l| l["direction"] == "sent")
        .expect("to Initech");
    assert_eq!(sent["partner_org_name"], "Initech");
    assert_eq!(sent["connection_id"], bc.as_str());
    assert_eq!(sharing(&app, n.acme(), "Account", "acc-1").await.len(), 1);
    let (_, copy) = crate::links_support::get_record(&app, &initech.key, "Account", &c_copy).await;
    assert_eq!(copy["fields"]["Name"], "Initrode");
    app.stop().await;
}
