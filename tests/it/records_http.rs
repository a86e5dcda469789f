//! Records over HTTP: create, read, list, change, upsert, delete; every validation rule a 422
//! naming the field and the rule; the `write_records` scope.

use serde_json::{Value, json};
use shared::identity::Scope;
use tests::TestApp;
use tests::records::get_record;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.base_url))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn records_are_created_read_listed_changed_and_deleted_over_http() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    use reqwest::Method as M;

    let (status, created) = send(
        &app,
        M::POST,
        "/v1/records/Account",
        &acme.key,
        Some(json!({"record_id": "A-1", "fields": {"Name": "Acme", "NumberOfEmployees": "12"}})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["fields"],
        json!({"Name": "Acme", "NumberOfEmployees": 12})
    );
    assert_eq!(
        created["last_modified_by"],
        json!({"kind": "org", "source": "http"})
    );
    let (status, generated) = send(
        &app,
        M::POST,
        "/v1/records/Account",
        &acme.key,
        Some(json!({"fields": {"Name": "Initech"}})),
    )
    .await;
    assert_eq!(status, 201);
    assert!(
        generated["record_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "an id is generated"
    );
    let (status, _) = send(
        &app,
        M::POST,
        "/v1/records/Account",
        &acme.key,
        Some(json!({"record_id": "A-1", "fields": {"Name": "Again"}})),
    )
    .await;
    assert_eq!(status, 409, "creating an existing record");

    let (status, patched) = send(
        &app,
        M::PATCH,
        "/v1/records/Account/A-1",
        &acme.key,
        Some(json!({"fields": {"Industry": "Banking"}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(patched["version"], 2);
    assert_eq!(
        patched["fields"]["Name"], "Acme",
        "fields not named keep their value"
    );
    let (_, same) = send(
        &app,
        M::PATCH,
        "/v1/records/Account/A-1",
        &acme.key,
        Some(json!({"fields": {"Industry": "Banking"}})),
    )
    .await;
    assert_eq!(
        same["version"], 2,
        "a write that changes nothing is no new version"
    );
    let (status, _) = send(
        &app,
        M::PATCH,
        "/v1/records/Account/NOPE",
        &acme.key,
        Some(json!({"fields": {"Name": "x"}})),
    )
    .await;
    assert_eq!(status, 404);

    let (status, put_new) = send(
        &app,
        M::PUT,
        "/v1/records/Account/A-2",
        &acme.key,
        Some(json!({"fields": {"Name": "Globex"}})),
    )
    .await;
    assert_eq!((status, put_new["version"].clone()), (201, json!(1)));
    let (status, put_old) = send(
        &app,
        M::PUT,
        "/v1/records/Account/A-2",
        &acme.key,
        Some(json!({"fields": {"Name": "Globex Corp", "Industry": null}})),
    )
    .await;
    assert_eq!((status, put_old["version"].clone()), (200, json!(2)));

    let (_, page) = send(&app, M::GET, "/v1/records/Account?limit=2", &acme.key, None).await;
    assert_eq!(page["records"].as_array().map(Vec::len), Some(2));
    let after = page["next_after"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, rest) = send(
        &app,
        M::GET,
        &format!("/v1/records/Account?limit=2&after={after}"),
        &acme.key,
        None,
    )
    .await;
    assert_eq!(rest["records"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_after"].is_null());
    // A cursor no record id could be (a NUL byte) is refused, naming it.
    let (status, refused) = send(
        &app,
        M::GET,
        "/v1/records/Account?after=A%00",
        &acme.key,
        None,
    )
    .await;
    assert_eq!((status, refused["field"].clone()), (422, json!("after")));

    let response = app.delete("/v1/records/Account/A-1", &acme.key).await;
    assert_eq!(response.status(), 204);
    assert_eq!(get_record(&app, &acme, "Account", "A-1").await.0, 404);
    assert_eq!(
        app.delete("/v1/records/Account/A-1", &acme.key)
            .await
            .status(),
        404
    );
    // Created again, it goes on from the tombstone's version.
    let (status, again) = send(
        &app,
        M::PUT,
        "/v1/records/Account/A-1",
        &acme.key,
        Some(json!({"fields": {"Name": "Acme"}})),
    )
    .await;
    assert_eq!((status, again["version"].clone()), (201, json!(4)));

    // Another org sees none of them.
    let globex = app.create_org("Globex").await;
    assert_eq!(get_record(&app, &globex, "Account", "A-2").await.0, 404);
    let (_, theirs) = send(&app, M::GET, "/v1/records/Account", &globex.key, None).await;
    assert_eq!(theirs["records"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_broken_rule_is_a_422_naming_the_field_and_the_rule_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let deal = |extra: Value| {
        let mut fields =
            json!({"Name": "Deal", "CloseDate": "2026-12-31", "StageName": "Prospecting"});
        if let (Some(map), Value::Object(extra)) = (fields.as_object_mut(), extra) {
            map.extend(extra);
        }
        fields
    };
    let cases = [
        ("Nope__c", json!({"Name": "x"}), "object", "unknown object"),
        (
            "Opportunity",
            deal(json!({"Colour__c": "red"})),
            "fields.Colour__c",
            "unknown_field",
        ),
        (
            "Opportunity",
            json!({"Name": "x", "CloseDate": "2026-12-31"}),
            "fields.StageName",
            "required",
        ),
        (
            "Opportunity",
            deal(json!({"Name": "x".repeat(121)})),
            "fields.Name",
            "max_length",
        ),
        (
            "Opportunity",
            deal(json!({"StageName": "Lost"})),
            "fields.StageName",
            "restricted_picklist",
        ),
        (
            "Account",
            json!({"Name": "x", "NumberOfEmployees": -5}),
            "fields.NumberOfEmployees",
            "number_range",
        ),
        (
            "Opportunity",
            deal(json!({"Amount": "lots"})),
            "fields.Amount",
            "type",
        ),
        (
            "Opportunity",
            deal(json!({"CloseDate": "next tuesday"})),
            "fields.CloseDate",
            "format",
        ),
        (
            "Opportunity",
            deal(json!({"Id": "forged"})),
            "fields.Id",
            "read_only",
        ),
    ];
    for (object, fields, field, rule) in cases {
        let response = app
            .post(
                &format!("/v1/records/{object}"),
                Some(&acme.key),
                &json!({"record_id": "R-1", "fields": fields}),
            )
            .await;
        assert_eq!(response.status(), 422, "{field} {rule}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let problem: Value = response.json().await.expect("a problem");
        assert_eq!(problem["field"], field, "{problem}");
        assert!(
            problem["detail"].as_str().is_some_and(|d| d.contains(rule)),
            "{rule}: {problem}"
        );
    }
    assert_eq!(
        get_record(&app, &acme, "Opportunity", "R-1").await.0,
        404,
        "nothing stored"
    );
    assert_eq!(
        get_record(&app, &acme, "Account", "R-1").await.0,
        404,
        "nothing stored"
    );
    let response = app
        .post(
            "/v1/records/Account",
            Some(&acme.key),
            &json!({"record_id": "R-1", "fields": {"Name": "x"}, "colour": 1}),
        )
        .await;
    assert_eq!(response.status(), 422, "an unknown body member");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn writing_records_needs_the_write_records_scope_and_reading_them_read() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let mut conn = app.pool().get().await.expect("a connection");
    let reader = shared::identity::create_key(&mut conn, acme.id, "reader", &[Scope::Read])
        .await
        .expect("key");
    let writer = shared::identity::create_key(&mut conn, acme.id, "writer", &[Scope::WriteRecords])
        .await
        .expect("key");
    let body = json!({"record_id": "A-1", "fields": {"Name": "Acme"}});

    assert_eq!(
        app.post("/v1/records/Account", Some(&reader), &body)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post("/v1/records/Account", Some(&writer), &body)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.get("/v1/records/Account/A-1", Some(&writer))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get("/v1/records/Account/A-1", Some(&reader))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.delete("/v1/records/Account/A-1", &reader)
            .await
            .status(),
        403
    );
    assert_eq!(app.get("/v1/records/Account/A-1", None).await.status(), 401);
    app.stop().await;
}
