//! Issue 7: what an outside client can throw at the HTTP API gets a precise problem+json answer.

use serde_json::{Value, json};
use std::time::Duration;
use tests::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Asserts a problem+json answer and returns its status and body.
async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.text().await.expect("a body");
    assert_eq!(
        content_type, "application/problem+json",
        "status {status}: {body}"
    );
    let body: Value = serde_json::from_str(&body).expect("a JSON problem");
    assert_eq!(body["status"], status, "{body}");
    (status, body)
}

/// Sends `head` and then `body` over a raw connection and returns all the server answered.
async fn raw_exchange(app: &TestApp, head: String, body: Vec<u8>) -> String {
    let addr = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connected");
    // The server may answer and close before the body is through: a write error is expected.
    if stream.write_all(head.as_bytes()).await.is_ok() {
        let _ = stream.write_all(&body).await;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn invite_body(owner: uuid::Uuid) -> Value {
    json!({ "contact": { "name": "Ann", "email": "ann@initech.example" }, "owner_user_id": owner })
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_methods_undecodable_paths_and_big_bodies_answer_problem_json() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let key = Some(acme.key.as_str());

    let (status, _) = problem(app.get("/v1/no-such-route", key).await).await;
    assert_eq!(status, 404);

    let wrong_method = app.delete("/v1/connections", &acme.key).await;
    let allow = wrong_method.headers().get("allow").cloned();
    let (status, _) = problem(wrong_method).await;
    assert_eq!(status, 405);
    assert!(allow.is_some(), "405 keeps its Allow header");

    let (status, _) = problem(app.get("/v1/connections/%FF", key).await).await;
    assert_eq!(status, 400);

    let big = format!("{{\"contact\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let too_large = app
        .http
        .post(format!("{}/v1/connections", app.base_url))
        .bearer_auth(&acme.key)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .expect("answered");
    let (status, body) = problem(too_large).await;
    assert_eq!(status, 413, "{body}");

    // The same body sent chunked has no length to refuse up front: still a 413 problem.
    let mut chunked = Vec::new();
    for piece in big.as_bytes().chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(
        &app,
        format!(
            "POST /v1/connections HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            acme.key
        ),
        chunked,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn content_type_is_a_media_type_and_the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app.create_user(&acme, "Olga", "olga@acme.example").await;
    let send = |content_type: &'static str, authorization: String| {
        app.http
            .post(format!("{}/v1/connections", app.base_url))
            .header("authorization", authorization)
            .header("content-type", content_type)
            .body(invite_body(owner).to_string())
            .send()
    };
    let accepted = send(
        "Application/JSON; charset=UTF-8",
        format!("bearer {}", acme.key),
    )
    .await
    .expect("answered");
    assert_eq!(accepted.status(), 201);
    let shouting = send("application/json", format!("BEARER {}", acme.key))
        .await
        .expect("answered");
    assert_eq!(shouting.status(), 201);

    let garbage = send("application/json-garbage", format!("Bearer {}", acme.key))
        .await
        .expect("answered");
    assert_eq!(problem(garbage).await.0, 415);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_nested_fields_nul_bytes_and_unknown_template_ids_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let key = Some(acme.key.as_str());
    let owner = app.create_user(&acme, "Olga", "olga@acme.example").await;

    let mut nested = invite_body(owner);
    nested["contact"]["nickname"] = json!("Annie");
    let (status, body) = problem(app.post("/v1/connections", key, &nested).await).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("contact.nickname")),
        "{body}"
    );

    let mut with_template = invite_body(owner);
    with_template["template_id"] = json!(uuid::Uuid::new_v4());
    let (status, body) = problem(app.post("/v1/connections", key, &with_template).await).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("template_id")),
        "{body}"
    );
    let bulk = json!({
        "contacts": [{ "name": "Ann", "email": "ann@initech.example" }],
        "owner_user_id": owner,
        "template_id": uuid::Uuid::new_v4(),
    });
    let (status, body) = problem(app.post("/v1/connections/bulk", key, &bulk).await).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("template_id")),
        "{body}"
    );

    let nul = json!({ "subject": "Hi\u{0}", "text": "Hi", "html": "<p>Hi</p>" });
    let saved = app
        .http
        .put(format!("{}/v1/email-templates/invitation", app.base_url))
        .bearer_auth(&acme.key)
        .json(&nul)
        .send()
        .await
        .expect("answered");
    let (status, body) = problem(saved).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("subject")),
        "{body}"
    );

    // None of these requests created a connection.
    let listed: Value = app
        .get("/v1/connections", key)
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    app.stop().await;
}
