//! Case comments and attachments over HTTP against real servers: a case comment travels with
//! its shared case and is accepted automatically when Case Comment is published and subscribed
//! and the comment is published (`IsPublished` true; false or unset is private); an attachment
//! when not private, marked shared (`IsShared`) and at most 20 MB (`BodyLength`, at the limit
//! and one byte over); making either private stops its sharing on both sides, the copy stays.

use crate::links_children::{copy_of, forward_with};
use crate::links_support::{
    Net, account, get_record, link_with_status, net, publish, record, subscribe,
};
use serde_json::{Value, json};
use tests::TestApp;

/// Changes fields of Acme's record over HTTP, expecting 200.
async fn patch(app: &TestApp, n: &Net, object: &str, id: &str, fields: Value) {
    let response = app
        .http
        .patch(format!("{}/v1/records/{object}/{id}", app.base_url))
        .bearer_auth(n.acme())
        .json(&json!({ "fields": fields }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 200);
}

fn outcome<'a>(results: &'a [Value], record: &str) -> (&'a Value, &'a Value) {
    let r = results
        .iter()
        .find(|r| r["record_id"] == record)
        .unwrap_or_else(|| panic!("no result for {record}: {results:?}"));
    (&r["outcome"], &r["refusal"]["code"])
}

/// [`net`] with Auto-Accept, and Acme publishing Case and Case Comment; Globex subscribes to
/// Case, and to Case Comment when `comments_subscribed`.
async fn case_net(app: &TestApp, comments_subscribed: bool) -> Net {
    let n = net(app, true).await;
    publish(app, n.acme(), &n.id, "Case", json!(["Subject"])).await;
    publish(
        app,
        n.acme(),
        &n.id,
        "CaseComment",
        json!(["CommentBody", "IsPublished"]),
    )
    .await;
    let auto = json!({ "auto_accept": true, "auto_map": true });
    subscribe(app, n.globex(), &n.id, "Case", auto).await;
    if comments_subscribed {
        let body = json!({ "auto_accept": false, "auto_map": true });
        subscribe(app, n.globex(), &n.id, "CaseComment", body).await;
    }
    record(
        app,
        n.acme(),
        "Case",
        "case-1",
        json!({ "Subject": "Broken" }),
    )
    .await;
    for (id, published) in [("cm-public", true), ("cm-private", false)] {
        let fields = json!({ "ParentId": "case-1", "CommentBody": id, "IsPublished": published });
        record(app, n.acme(), "CaseComment", id, fields).await;
    }
    n
}

fn case_with_comments() -> Value {
    json!({ "related_objects": ["CaseComment"] })
}

async fn forward_case(app: &TestApp, n: &Net) -> Vec<Value> {
    let mut body = case_with_comments();
    body["records"] = json!([{ "object": "Case", "record_id": "case-1" }]);
    body["connection_ids"] = json!([n.id]);
    let answer = crate::links_support::forward(app, n.acme(), body, 200).await;
    answer["results"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn links_a_published_case_comment_is_accepted_with_its_case_and_unpublishing_stops_it() {
    let app = TestApp::spawn().await;
    let n = case_net(&app, true).await;
    let results = forward_case(&app, &n).await;
    assert_eq!(outcome(&results, "cm-public").0, "forwarded");
    assert_eq!(
        outcome(&results, "cm-private"),
        (&json!("refused"), &json!("private"))
    );

    // Accepted automatically under the case's copy (Case Comment has no Auto-Accept).
    let case_copy = copy_of(&app, &n, "Case", "case-1").await;
    let comment_copy = copy_of(&app, &n, "CaseComment", "cm-public").await;
    let (_, body) = get_record(&app, n.globex(), "CaseComment", &comment_copy).await;
    assert_eq!(body["fields"]["ParentId"], case_copy.as_str());
    assert_eq!(body["fields"]["CommentBody"], "cm-public");

    // Made private: both links end, the copy stays.
    patch(
        &app,
        &n,
        "CaseComment",
        "cm-public",
        json!({ "IsPublished": false }),
    )
    .await;
    link_with_status(&app, n.acme(), "CaseComment", "cm-public", "Inactive").await;
    link_with_status(&app, n.globex(), "CaseComment", &comment_copy, "Inactive").await;
    assert_eq!(
        get_record(&app, n.globex(), "CaseComment", &comment_copy)
            .await
            .0,
        200
    );
    // The case itself is still shared.
    link_with_status(&app, n.acme(), "Case", "case-1", "Active (sent)").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_a_case_comment_needs_its_case_shared_and_case_comment_subscribed() {
    let app = TestApp::spawn().await;
    let n = case_net(&app, false).await;
    // Not subscribed by the partner: refused.
    let results = forward_case(&app, &n).await;
    assert_eq!(outcome(&results, "case-1").0, "forwarded");
    assert_eq!(
        outcome(&results, "cm-public"),
        (&json!("refused"), &json!("not_subscribed"))
    );
    // A case that is not shared (refused: Acme stops publishing Case) sends no comment.
    record(
        &app,
        n.acme(),
        "Case",
        "case-2",
        json!({ "Subject": "Other" }),
    )
    .await;
    let fields = json!({ "ParentId": "case-2", "CommentBody": "c", "IsPublished": true });
    record(&app, n.acme(), "CaseComment", "cm-2", fields).await;
    let path = format!("/v1/connections/{}/publications/Case", n.id);
    crate::sharing_support::call(&app, reqwest::Method::DELETE, &path, n.acme(), None, 200).await;
    let mut body = case_with_comments();
    body["records"] = json!([{ "object": "Case", "record_id": "case-2" }]);
    body["connection_ids"] = json!([n.id]);
    let answer = crate::links_support::forward(&app, n.acme(), body, 200).await;
    let results = answer["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(outcome(&results, "case-2").1, "not_published");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_attachments_travel_when_public_marked_shared_and_at_most_20_mb() {
    let app = TestApp::spawn().await;
    let n = net(&app, true).await;
    let fields = json!(["Name", "Body", "BodyLength", "IsShared", "IsPrivate"]);
    publish(&app, n.acme(), &n.id, "Attachment", fields).await;
    let body = json!({ "auto_accept": false, "auto_map": true });
    subscribe(&app, n.globex(), &n.id, "Attachment", body).await;
    account(&app, n.acme(), "acc-1", "Initrode").await;
    // The body is generated; its size is the BodyLength the ingesting system reports.
    let generated = "x".repeat(1024);
    let limit: u64 = 20 * 1024 * 1024;
    for (id, length, shared, private) in [
        ("at-limit", limit, true, false),
        ("one-over", limit + 1, true, false),
        ("private", 10, true, true),
        ("unmarked", 10, false, false),
    ] {
        let fields = json!({
            "ParentId": "acc-1", "Name": id, "Body": generated, "BodyLength": length,
            "IsShared": shared, "IsPrivate": private,
        });
        record(&app, n.acme(), "Attachment", id, fields).await;
    }
    let results = forward_with(
        &app,
        &n,
        "acc-1",
        json!({ "related_objects": ["Attachment"] }),
    )
    .await;
    assert_eq!(outcome(&results, "at-limit").0, "forwarded");
    assert_eq!(outcome(&results, "one-over").1, "too_large");
    assert_eq!(outcome(&results, "private").1, "private");
    assert_eq!(outcome(&results, "unmarked").1, "not_marked_shared");

    let account_copy = copy_of(&app, &n, "Account", "acc-1").await;
    let copy = copy_of(&app, &n, "Attachment", "at-limit").await;
    let (_, body) = get_record(&app, n.globex(), "Attachment", &copy).await;
    assert_eq!(body["fields"]["ParentId"], account_copy.as_str());
    assert_eq!(body["fields"]["Body"], generated.as_str());

    // Made private: both links end, the copy stays.
    patch(
        &app,
        &n,
        "Attachment",
        "at-limit",
        json!({ "IsPrivate": true }),
    )
    .await;
    link_with_status(&app, n.acme(), "Attachment", "at-limit", "Inactive").await;
    link_with_status(&app, n.globex(), "Attachment", &copy, "Inactive").await;
    assert_eq!(
        get_record(&app, n.globex(), "Attachment", &copy).await.0,
        200
    );
    app.stop().await;
}
