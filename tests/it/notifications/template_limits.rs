//! Issue 7: templates cannot render without bound, stall the server, or leak a value into logs.

use serde_json::{Value, json};
use shared::identity::Scope;
use shared::testing::eventually;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::{TestApp, TestOrg};

/// The reproduction: 300 MB of output from a few bytes of template.
const HUGE: &str = "{% for c in 'abc' %}{{ 'x' * 100000000 }}{% endfor %}";

fn draft_with_text(text: &str) -> Value {
    json!({ "subject": "Hi", "text": text, "html": "<p>Hi</p>" })
}

async fn preview(app: &TestApp, key: &str, template: &Value) -> reqwest::Response {
    app.post(
        "/v1/email-templates/invitation/preview",
        Some(key),
        &json!({ "template": template }),
    )
    .await
}

async fn key_with(app: &TestApp, org: &TestOrg, scopes: &[Scope]) -> String {
    let mut conn = app.pool().get().await.expect("a connection");
    shared::identity::create_key(&mut conn, org.id, "limited", scopes)
        .await
        .expect("a key")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_that_would_render_past_the_limit_is_refused_when_saved() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let saved = app
        .http
        .put(format!("{}/v1/email-templates/invitation", app.base_url))
        .bearer_auth(&acme.key)
        .json(&draft_with_text(HUGE))
        .send()
        .await
        .expect("answered");
    assert_eq!(saved.status(), 422);
    let problem: Value = saved.json().await.expect("a problem");
    assert_eq!(problem["field"], "text");
    assert_eq!(problem["detail"], "renders to more than 200000 bytes");

    let listed: Value = app
        .get("/v1/email-templates", Some(&acme.key))
        .await
        .json()
        .await
        .expect("kinds");
    let invitation = listed
        .as_array()
        .and_then(|kinds| kinds.iter().find(|k| k["kind"] == "invitation"))
        .expect("the invitation kind");
    assert_eq!(invitation["customized"], false, "nothing was saved");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_needs_manage_connections_and_a_huge_one_is_refused_small_and_fast() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let reader = key_with(&app, &acme, &[Scope::Read]).await;
    let forbidden = preview(&app, &reader, &draft_with_text("Hi")).await;
    assert_eq!(forbidden.status(), 403);

    let started = Instant::now();
    let refused = preview(&app, &acme.key, &draft_with_text(HUGE)).await;
    let took = started.elapsed();
    assert_eq!(refused.status(), 422);
    let body = refused.bytes().await.expect("a body");
    assert!(body.len() < 4_096, "{} bytes answered", body.len());
    // The issue saw 14 s; a bounded render stops at its limit.
    assert!(took < Duration::from_secs(5), "the preview took {took:?}");
    println!("huge preview refused in {took:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_answers_within_100_ms_while_huge_previews_run() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let previews: Vec<_> = (0..4)
        .map(|_| {
            let (http, url, key) = (
                app.http.clone(),
                format!("{}/v1/email-templates/invitation/preview", app.base_url),
                acme.key.clone(),
            );
            tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(key)
                    .json(&json!({ "template": draft_with_text(HUGE) }))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let health = reqwest::Client::new();
    let url = format!("{}/healthz", app.base_url);
    let mut answers = Vec::new();
    while answers.len() < 5 || previews.iter().any(|p| !p.is_finished()) {
        let started = Instant::now();
        let answer = health.get(&url).send().await.expect("healthz answers");
        assert_eq!(answer.status(), 200);
        answers.push(started.elapsed());
    }
    for preview in previews {
        assert_eq!(preview.await.expect("joined").expect("answered"), 422);
    }
    answers.sort();
    let p95 = answers[answers.len() * 95 / 100];
    let slowest = answers[answers.len() - 1];
    println!(
        "{} /healthz answers during previews: p95 {p95:?}, slowest {slowest:?}",
        answers.len()
    );
    // The 95th percentile, not the slowest: on a shared 2-core machine one answer in a thousand
    // can wait on the OS scheduler. A stalled executor (the defect) makes every answer slow.
    assert!(p95 < Duration::from_millis(100), "p95 {p95:?}");
    app.stop().await;
}

/// A log sink for this test process (nextest runs each test in its own process).
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("the log buffer")).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_error_on_a_real_invite_logs_no_token() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("this test's process has no subscriber yet (run it with nextest)");
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let owner = app.create_user(&acme, "Olga", "olga@acme.example").await;
    let include_the_url = json!({
        "subject": "Hi",
        "text": "{% if 'partnernet.example' in accept_url %}Hi{% else %}{% include accept_url %}{% endif %}",
        "html": "<p>Hi</p>",
    });
    let saved = app
        .http
        .put(format!("{}/v1/email-templates/invitation", app.base_url))
        .bearer_auth(&acme.key)
        .json(&include_the_url)
        .send()
        .await
        .expect("answered");
    assert_eq!(saved.status(), 200, "passes the save-time check");

    let invited = app
        .post(
            "/v1/connections",
            Some(&acme.key),
            &json!({ "contact": { "name": "Ann", "email": "ann@initech.example" }, "owner_user_id": owner }),
        )
        .await;
    assert_eq!(invited.status(), 201);
    // The default template still informs Ann; its link carries the token.
    let received = eventually("the invitation", Duration::from_secs(20), || async {
        app.smtp
            .received_by("ann@initech.example")
            .into_iter()
            .next()
    })
    .await;
    let email = tests::email::decode(&received);
    let token = email
        .text
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a token in the email")
        .to_string();
    app.wait_idle().await;

    let logged = logs.text();
    assert!(
        logged.contains("org template failed; default used"),
        "the failure is logged: {logged}"
    );
    assert!(!logged.contains(&token), "the token was logged: {logged}");
    assert!(!logged.contains("accept?token"), "{logged}");
    app.stop().await;
}
