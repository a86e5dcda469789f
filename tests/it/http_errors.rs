use serde_json::{Value, json};
use tests::TestApp;

async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(content_type, "application/problem+json", "status {status}");
    (status, response.json().await.expect("a JSON problem"))
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_a_problem_naming_the_field_and_unknown_keys_get_401() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let key = Some(acme.key.as_str());
    let owner = app
        .create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;

    let cases = [
        (
            json!({ "contact": { "name": "Ann" } }),
            422,
            Some("contact.email"),
        ),
        (
            json!({ "contact": { "name": "Ann", "email": "not-an-address" }, "owner_user_id": owner }),
            422,
            Some("contact.email"),
        ),
        (
            json!({ "contact": { "name": "  ", "email": "ann@initech.example" }, "owner_user_id": owner }),
            422,
            Some("contact.name"),
        ),
        (
            json!({ "contact": { "name": 7, "email": "ann@initech.example" } }),
            422,
            Some("contact.name"),
        ),
        (
            json!({ "contact": { "name": "Ann", "email": "ann@initech.example" }, "acount": "typo" }),
            422,
            Some("acount"),
        ),
        (
            json!({ "contact": { "name": "Ann", "email": "ann@initech.example" }, "owner_user_id": uuid::Uuid::new_v4() }),
            422,
            Some("owner_user_id"),
        ),
        (
            json!({ "contact": { "name": "Ann", "email": "ann@initech.example" } }),
            422,
            Some("owner_user_id"),
        ),
        (json!({}), 422, Some("contact")),
        // An array in place of an object is refused, not read field by field.
        (
            json!({ "contact": ["Ann", "ann@initech.example"], "owner_user_id": owner }),
            422,
            Some("contact"),
        ),
        (
            json!([{ "name": "Ann", "email": "ann@initech.example" }, null, owner]),
            422,
            Some("."),
        ),
    ];
    for (body, status, field) in cases {
        let (got, problem) = problem(app.post("/v1/connections", key, &body).await).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(problem["field"].as_str(), field, "{body}: {problem}");
        assert_eq!(problem["status"], status);
    }

    let malformed = app
        .http
        .post(format!("{}/v1/connections", app.base_url))
        .bearer_auth(&acme.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answered");
    assert_eq!(problem(malformed).await.0, 400);

    let not_json = app
        .http
        .post(format!("{}/v1/connections", app.base_url))
        .bearer_auth(&acme.key)
        .body("contact=ann")
        .send()
        .await
        .expect("answered");
    assert_eq!(problem(not_json).await.0, 415);

    let valid = json!({ "contact": { "name": "Ann", "email": "ann@initech.example" }, "owner_user_id": owner });
    assert_eq!(
        problem(app.post("/v1/connections", None, &valid).await)
            .await
            .0,
        401
    );
    assert_eq!(
        problem(
            app.post("/v1/connections", Some("pn_not-a-real-key"), &valid)
                .await
        )
        .await
        .0,
        401
    );
    assert_eq!(
        problem(app.get("/v1/connections/not-a-uuid", key).await)
            .await
            .1["field"],
        "id"
    );

    // Nothing was created by any of these requests.
    let mut conn = app.pool().get().await.expect("a connection");
    let created: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT count(*) AS n FROM invitation.connections"),
        &mut conn,
    )
    .await
    .map(|r: shared::db::CountRow| r.n)
    .expect("count");
    assert_eq!(created, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_without_the_scope_gets_403_and_another_orgs_connection_is_not_found() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let globex = app.create_org("Globex").await;
    let read_only = {
        let mut conn = app.pool().get().await.expect("a connection");
        shared::identity::create_key(
            &mut conn,
            acme.id,
            "reader",
            &[shared::identity::Scope::Read],
        )
        .await
        .expect("a key")
    };
    let owner = app
        .create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    let valid = json!({ "contact": { "name": "Ann", "email": "ann@initech.example" }, "owner_user_id": owner });
    let (status, body) = problem(app.post("/v1/connections", Some(&read_only), &valid).await).await;
    assert_eq!(status, 403);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("manage_connections")
    );

    let created: Value = app
        .post("/v1/connections", Some(&acme.key), &valid)
        .await
        .json()
        .await
        .expect("JSON");
    let id = created["id"].as_str().expect("an id");
    for path in [
        format!("/v1/connections/{id}"),
        format!("/v1/connections/{id}/history"),
    ] {
        assert_eq!(
            app.get(&path, Some(&acme.key)).await.status(),
            200,
            "{path}"
        );
        let (status, _) = problem(app.get(&path, Some(&globex.key)).await).await;
        assert_eq!(status, 404, "{path} must not be visible to another org");
    }
    app.stop().await;
}
