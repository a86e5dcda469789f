//! A body over the limit is refused like every other bad request: 413 as problem+json.

use tests::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_one_mebibyte_is_refused_with_a_problem_document() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let body = format!(r#"{{"name": "{}"}}"#, "x".repeat(1024 * 1024 + 1));
    let response = app
        .http
        .post(format!("{}/v1/users", app.base_url))
        .bearer_auth(&acme.key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let problem: serde_json::Value = response.json().await.expect("a JSON body");
    app.stop().await;

    assert_eq!(status, 413);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["status"], 413);
}
