//! Opportunity products over HTTP against real servers (Acme forwarding to Globex): a product
//! line travels only with its shared opportunity and is created in Globex only when every
//! condition holds (Opportunity Product published and subscribed, its product shared, the
//! opportunity's copy with an active price book holding the product's active copy, the same
//! currency in both orgs); each condition failing alone keeps the line out, with the reason
//! in the forward's answer (the sender's conditions, the same in the dry run) or in the entry
//! waiting in Globex's inbox (the receiver's, also shown on Acme's pending link); a line held
//! for want of a price book is created by itself once the opportunity gets one.

use crate::links_children::copy_of;
use crate::links_support::{
    Net, accept, forward, get_record, inbox_entry, link_with_status, net, publish, record,
    subscribe,
};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;

/// [`net`], with Acme publishing Opportunity, Opportunity Product (with its product lookup)
/// and Product, Globex subscribing to them (products accepted automatically, opportunities by
/// hand: Globex relates each to an opportunity of its own, with its price book).
async fn products_net(app: &TestApp) -> Net {
    let n = net(app, false).await;
    let published = [
        ("Opportunity", json!(["Name", "CloseDate", "StageName"])),
        (
            "OpportunityLineItem",
            json!(["Product2Id", "Quantity", "UnitPrice"]),
        ),
        ("Product2", json!(["Name", "IsActive"])),
    ];
    for (object, fields) in published {
        publish(app, n.acme(), &n.id, object, fields).await;
    }
    for (object, auto_accept) in [
        ("Opportunity", false),
        ("OpportunityLineItem", false),
        ("Product2", true),
    ] {
        let body = json!({ "auto_accept": auto_accept, "auto_map": true });
        subscribe(app, n.globex(), &n.id, object, body).await;
    }
    n
}

async fn opportunity(app: &TestApp, key: &str, id: &str, price_book: Option<&str>) {
    let mut fields = json!({ "Name": id, "CloseDate": "2027-01-31", "StageName": "Prospecting" });
    if let Some(book) = price_book {
        fields["Pricebook2Id"] = json!(book);
    }
    record(app, key, "Opportunity", id, fields).await;
}

async fn product(app: &TestApp, key: &str, id: &str, active: bool) {
    let fields = json!({ "Name": id, "IsActive": active });
    record(app, key, "Product2", id, fields).await;
}

async fn line(app: &TestApp, key: &str, id: &str, opportunity: &str, product: &str) {
    let fields = json!({
        "OpportunityId": opportunity, "Product2Id": product, "Quantity": 2, "UnitPrice": 10,
    });
    record(app, key, "OpportunityLineItem", id, fields).await;
}

/// Forwards Acme's product and returns Globex's copy (accepted automatically).
async fn share_product(app: &TestApp, n: &Net, id: &str) -> String {
    let body = json!({
        "records": [{ "object": "Product2", "record_id": id }], "connection_ids": [n.id],
    });
    forward(app, n.acme(), body, 200).await;
    copy_of(app, n, "Product2", id).await
}

/// Forwards Acme's opportunity with its product lines; the results.
async fn forward_opportunity(app: &TestApp, n: &Net, id: &str, dry_run: bool) -> Vec<Value> {
    let body = json!({
        "records": [{ "object": "Opportunity", "record_id": id }],
        "connection_ids": [n.id],
        "related_objects": ["OpportunityLineItem"],
        "dry_run": dry_run,
    });
    let answer = forward(app, n.acme(), body, 200).await;
    answer["results"].as_array().cloned().unwrap_or_default()
}

/// Accepts Acme's opportunity in Globex's inbox by relating it to Globex's own `to`.
async fn accept_relating(app: &TestApp, n: &Net, opportunity: &str, to: &str) {
    let entry = inbox_entry(app, n.globex(), opportunity, |_| true).await;
    accept(
        app,
        n.globex(),
        json!([{ "id": entry["id"], "relate_to": to }]),
    )
    .await;
}

/// Globex's inbox entry of Acme's product line once it waits with an error: the error.
async fn held_back(app: &TestApp, n: &Net, line: &str) -> String {
    let entry = inbox_entry(app, n.globex(), line, |e| e["error"].is_string()).await;
    assert_eq!(entry["state"], "waiting", "{entry}");
    entry["error"].as_str().unwrap_or_default().to_string()
}

fn set_currency(currency: &str) -> Value {
    json!({ "currency": currency })
}

#[tokio::test(flavor = "multi_thread")]
async fn links_products_an_opportunity_product_travels_only_when_every_condition_holds() {
    let app = TestApp::spawn().await;
    let n = products_net(&app).await;
    // Acme's products: shared and active; never shared; shared but inactive; shared but in no
    // price book of Globex's.
    product(&app, n.acme(), "p-ok", true).await;
    product(&app, n.acme(), "p-unshared", true).await;
    product(&app, n.acme(), "p-inactive", false).await;
    product(&app, n.acme(), "p-unpriced", true).await;
    let ok_copy = share_product(&app, &n, "p-ok").await;
    let inactive_copy = share_product(&app, &n, "p-inactive").await;
    share_product(&app, &n, "p-unpriced").await;
    // Globex's price books and their entries.
    record(
        &app,
        n.globex(),
        "Pricebook2",
        "pb-on",
        json!({ "Name": "On", "IsActive": true }),
    )
    .await;
    record(
        &app,
        n.globex(),
        "Pricebook2",
        "pb-off",
        json!({ "Name": "Off", "IsActive": false }),
    )
    .await;
    for (id, book, product) in [
        ("pbe-ok", "pb-on", ok_copy.as_str()),
        ("pbe-off", "pb-off", ok_copy.as_str()),
        ("pbe-inactive", "pb-on", inactive_copy.as_str()),
    ] {
        let fields = json!({ "Pricebook2Id": book, "Product2Id": product, "UnitPrice": 10 });
        record(&app, n.globex(), "PricebookEntry", id, fields).await;
    }
    // One Acme opportunity per case, each with one line; Globex's own opportunities to relate
    // them to.
    let cases = [
        ("ok", "p-ok", Some("pb-on")),
        ("no-book", "p-ok", None),
        ("book-off", "p-ok", Some("pb-off")),
        ("product-off", "p-inactive", Some("pb-on")),
        ("unpriced", "p-unpriced", Some("pb-on")),
        ("unshared", "p-unshared", Some("pb-on")),
        ("currency", "p-ok", Some("pb-on")),
    ];
    for (case, product, book) in cases {
        opportunity(&app, n.acme(), &format!("opp-{case}"), None).await;
        line(
            &app,
            n.acme(),
            &format!("line-{case}"),
            &format!("opp-{case}"),
            product,
        )
        .await;
        opportunity(&app, n.globex(), &format!("g-{case}"), book).await;
    }
    let currency = call(
        &app,
        Method::GET,
        "/v1/sharing/settings",
        n.globex(),
        None,
        200,
    )
    .await;
    assert_eq!(currency["currency"], "USD", "the default");

    // All hold: the line is created under the opportunity's copy, naming Globex's product
    // copy and price book entry.
    let dry = forward_opportunity(&app, &n, "opp-ok", true).await;
    assert_eq!(dry[1]["record_id"], "line-ok");
    assert_eq!(dry[1]["outcome"], "would_forward", "{dry:?}");
    assert_eq!(dry[1]["mapped_fields"]["Product2Id"], ok_copy.as_str());
    let real = forward_opportunity(&app, &n, "opp-ok", false).await;
    assert_eq!(real[1]["outcome"], "forwarded", "{real:?}");
    accept_relating(&app, &n, "opp-ok", "g-ok").await;
    let copy = copy_of(&app, &n, "OpportunityLineItem", "line-ok").await;
    let (_, body) = get_record(&app, n.globex(), "OpportunityLineItem", &copy).await;
    assert_eq!(body["fields"]["OpportunityId"], "g-ok", "{body}");
    assert_eq!(body["fields"]["Product2Id"], ok_copy.as_str());
    assert_eq!(body["fields"]["PricebookEntryId"], "pbe-ok");

    // The product not shared: the sender refuses the line, the dry run alike; the
    // opportunity goes.
    for dry_run in [true, false] {
        let results = forward_opportunity(&app, &n, "opp-unshared", dry_run).await;
        assert_ne!(results[0]["outcome"], "refused", "{results:?}");
        assert_eq!(results[1]["outcome"], "refused");
        assert_eq!(results[1]["refusal"]["code"], "product_not_shared");
    }

    // The receiver's conditions, each failing alone: the line waits with the reason and
    // Acme's link of it stays pending.
    for (case, code) in [
        ("no-book", "no_price_book"),
        ("book-off", "price_book_inactive"),
        ("product-off", "product_inactive"),
        ("unpriced", "not_in_price_book"),
    ] {
        let results = forward_opportunity(&app, &n, &format!("opp-{case}"), false).await;
        assert_eq!(results[1]["outcome"], "forwarded", "{results:?}");
        accept_relating(&app, &n, &format!("opp-{case}"), &format!("g-{case}")).await;
        let error = held_back(&app, &n, &format!("line-{case}")).await;
        assert!(error.starts_with(code), "{case}: {error}");
        link_with_status(
            &app,
            n.acme(),
            "OpportunityLineItem",
            &format!("line-{case}"),
            "Pending (sent)",
        )
        .await;
    }

    // Acme sees Globex's reason on its pending link.
    let pending = link_with_status(
        &app,
        n.acme(),
        "OpportunityLineItem",
        "line-no-book",
        "Pending (sent)",
    )
    .await;
    assert!(
        pending["receiver_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("no_price_book")),
        "{pending}"
    );
    // Globex gives its opportunity a price book: the held line is created by itself.
    let path = "/v1/records/Opportunity/g-no-book";
    let body = json!({ "fields": { "Pricebook2Id": "pb-on" } });
    call(&app, Method::PATCH, path, n.globex(), Some(body), 200).await;
    let copy = copy_of(&app, &n, "OpportunityLineItem", "line-no-book").await;
    let (_, body) = get_record(&app, n.globex(), "OpportunityLineItem", &copy).await;
    assert_eq!(body["fields"]["OpportunityId"], "g-no-book", "{body}");
    assert_eq!(body["fields"]["PricebookEntryId"], "pbe-ok");

    // The currencies differ: Globex now uses EUR.
    let path = "/v1/sharing/settings";
    call(
        &app,
        Method::PUT,
        path,
        n.globex(),
        Some(set_currency("eur")),
        200,
    )
    .await;
    let now = call(&app, Method::GET, path, n.globex(), None, 200).await;
    assert_eq!(now["currency"], "EUR");
    forward_opportunity(&app, &n, "opp-currency", false).await;
    accept_relating(&app, &n, "opp-currency", "g-currency").await;
    let error = held_back(&app, &n, "line-currency").await;
    assert!(error.starts_with("currency_differs"), "{error}");

    // Fixed (Globex back on USD), the line accepted by hand is created.
    call(
        &app,
        Method::PUT,
        path,
        n.globex(),
        Some(set_currency("USD")),
        200,
    )
    .await;
    let entry = inbox_entry(&app, n.globex(), "line-currency", |_| true).await;
    let answer = accept(&app, n.globex(), json!([{ "id": entry["id"] }])).await;
    assert_eq!(answer["results"][0]["outcome"], "accepting", "{answer}");
    let copy = copy_of(&app, &n, "OpportunityLineItem", "line-currency").await;
    let (_, body) = get_record(&app, n.globex(), "OpportunityLineItem", &copy).await;
    assert_eq!(body["fields"]["OpportunityId"], "g-currency");

    // Not subscribed: Globex ends its subscription to Opportunity Product.
    let path = format!("/v1/connections/{}/subscriptions/OpportunityLineItem", n.id);
    call(&app, Method::DELETE, &path, n.globex(), None, 204).await;
    opportunity(&app, n.acme(), "opp-unsubscribed", None).await;
    line(
        &app,
        n.acme(),
        "line-unsubscribed",
        "opp-unsubscribed",
        "p-ok",
    )
    .await;
    let results = forward_opportunity(&app, &n, "opp-unsubscribed", true).await;
    assert_eq!(
        results[1]["refusal"]["code"], "not_subscribed",
        "{results:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_products_a_line_forwarded_alone_or_a_bad_currency_is_refused() {
    let app = TestApp::spawn().await;
    let n = products_net(&app).await;
    product(&app, n.acme(), "p-1", true).await;
    share_product(&app, &n, "p-1").await;
    opportunity(&app, n.acme(), "opp-1", None).await;
    line(&app, n.acme(), "line-1", "opp-1", "p-1").await;
    let body = json!({
        "records": [{ "object": "OpportunityLineItem", "record_id": "line-1" }],
        "connection_ids": [n.id],
    });
    let answer = forward(&app, n.acme(), body, 200).await;
    assert_eq!(
        answer["results"][0]["refusal"]["code"], "not_with_opportunity",
        "{answer}"
    );
    let path = "/v1/sharing/settings";
    let problem = call(
        &app,
        Method::PUT,
        path,
        n.acme(),
        Some(set_currency("EURO")),
        422,
    )
    .await;
    assert_eq!(problem["field"], "currency", "{problem}");
    app.stop().await;
}
