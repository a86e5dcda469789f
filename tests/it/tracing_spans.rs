//! Spans exported over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT`): a message handled in another
//! process continues the trace of the HTTP request that sent it, and that request continues the
//! trace of its caller's `traceparent` header; a batch of messages links to each sender.

use serde_json::{Value, json};
use shared::testing::eventually;
use std::process::Stdio;
use std::time::Duration;
use tests::TestApp;
use tests::gateway::{free_port, partnernet_binary};
use tests::span_collector::{CollectedSpan, SpanCollector};
use tokio::process::{Child, Command};

/// The caller's span, as a traced system calling the API would send it.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// `partnernet serve <service>` on the app's database, queues and SMTP sink, exporting its spans
/// to `collector` every 100 ms.
fn service_process(
    app: &TestApp,
    service: &str,
    port: u16,
    collector: &SpanCollector,
    extra: &[(&str, &str)],
) -> Child {
    Command::new(partnernet_binary())
        .args(["serve", service])
        .envs(&app.env)
        .envs(extra.iter().copied())
        .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint)
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("partnernet serve started")
}

async fn wait_ready(app: &TestApp, port: u16) {
    let url = format!("http://127.0.0.1:{port}/readyz");
    eventually("a service process ready", Duration::from_secs(30), || {
        let (http, url) = (app.http.clone(), url.clone());
        async move {
            let body: Value = http.get(&url).send().await.ok()?.json().await.ok()?;
            (body["status"] == "ready").then_some(())
        }
    })
    .await;
}

/// Acme with an owner; then the app's own services stop and `partnernet serve invitation` and
/// `partnernet serve notification` run instead, exporting to `collector`. Returns the owner and
/// the invitation process's port.
struct Traced {
    _processes: [Child; 2],
    acme_key: String,
    owner: uuid::Uuid,
    invitation_port: u16,
}

async fn traced_services(
    app: &mut TestApp,
    collector: &SpanCollector,
    notification_env: &[(&str, &str)],
) -> Traced {
    let acme = app.create_org("Acme Corp").await;
    let owner = app
        .create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    app.stop_services().await;
    let (invitation_port, notification_port) = (free_port(), free_port());
    let invitation = service_process(app, "invitation", invitation_port, collector, &[]);
    let notification = service_process(
        app,
        "notification",
        notification_port,
        collector,
        notification_env,
    );
    wait_ready(app, invitation_port).await;
    wait_ready(app, notification_port).await;
    Traced {
        _processes: [invitation, notification],
        acme_key: acme.key,
        owner,
        invitation_port,
    }
}

/// Invites `email`, as a caller whose span is `caller_trace`/`caller_span`.
async fn invite(
    app: &TestApp,
    traced: &Traced,
    email: &str,
    caller_trace: &str,
    caller_span: &str,
) {
    let response = app
        .http
        .post(format!(
            "http://127.0.0.1:{}/v1/connections",
            traced.invitation_port
        ))
        .bearer_auth(&traced.acme_key)
        .header("traceparent", format!("00-{caller_trace}-{caller_span}-01"))
        .json(&json!({ "contact": { "name": "Gina", "email": email }, "owner_user_id": traced.owner }))
        .send()
        .await
        .expect("invitation sent");
    assert_eq!(response.status(), 201);
}

fn is_handling_of_invitation(span: &CollectedSpan) -> bool {
    span.service == "partnernet-notification"
        && span.name == "message"
        && span.attributes.get("kind").map(String::as_str) == Some("connection.invitation_sent.v1")
}

/// `span` and its parents among `spans`, nearest first.
fn ancestry<'a>(spans: &'a [CollectedSpan], span: &'a CollectedSpan) -> Vec<&'a CollectedSpan> {
    let mut chain = vec![span];
    while let Some(parent) = chain.last().and_then(|last| {
        spans
            .iter()
            .find(|s| s.trace_id == last.trace_id && s.span_id == last.parent_span_id)
    }) {
        if chain.len() > spans.len() {
            break;
        }
        chain.push(parent);
    }
    chain
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_handled_in_another_process_continues_the_trace_of_the_request_that_sent_it() {
    let mut app = TestApp::spawn().await;
    let collector = SpanCollector::start().await;
    let traced = traced_services(&mut app, &collector, &[]).await;

    invite(
        &app,
        &traced,
        "gina@globex.example",
        CALLER_TRACE,
        CALLER_SPAN,
    )
    .await;
    eventually(
        "the invitation email received",
        Duration::from_secs(30),
        || async { (!app.smtp.received_by("gina@globex.example").is_empty()).then_some(()) },
    )
    .await;

    // The notification process handled `connection.invitation_sent` in a span whose ancestry
    // leads, across the broker, to the invitation process's request span, then to the caller.
    let (spans, handled) = eventually(
        "the handling span exported",
        Duration::from_secs(30),
        || async {
            let spans = collector.spans();
            let handled = spans.iter().find(|s| is_handling_of_invitation(s))?.clone();
            Some((spans, handled))
        },
    )
    .await;
    assert_eq!(
        handled.trace_id, CALLER_TRACE,
        "the handling span is in the caller's trace"
    );
    let chain = ancestry(&spans, &handled);
    let request = chain
        .iter()
        .find(|s| s.name == "request")
        .unwrap_or_else(|| panic!("no request span among the handling span's parents: {chain:#?}"));
    assert_eq!(request.service, "partnernet-invitation");
    assert_eq!(
        request.attributes.get("path").map(String::as_str),
        Some("/v1/connections")
    );
    assert_eq!(
        request.parent_span_id, CALLER_SPAN,
        "the request continues the caller's span"
    );
    drop(traced);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_span_links_to_the_request_of_each_message_in_it() {
    let mut app = TestApp::spawn().await;
    let collector = SpanCollector::start().await;
    // One lane and a linger: invitations sent together are handled in one batch.
    let traced = traced_services(
        &mut app,
        &collector,
        &[("CONSUMER_LINGER_MS", "1000"), ("CONSUMER_LANES", "1")],
    )
    .await;
    let callers: Vec<(String, String)> = (1..=3)
        .map(|i| (format!("{i:032x}"), format!("{:016x}", 100 + i)))
        .collect();
    futures_util::future::join_all(callers.iter().enumerate().map(|(i, (trace, span))| {
        let email = format!("contact{i}@globex.example");
        let (app, traced) = (&app, &traced);
        async move { invite(app, traced, &email, trace, span).await }
    }))
    .await;

    // Each invitation's handling is in a batch that links to its request span, or (handled
    // alone) descends from it.
    let (spans, batch) = eventually(
        "a batch of the invitations exported",
        Duration::from_secs(30),
        || async {
            let spans = collector.spans();
            let batch = spans
                .iter()
                .find(|s| {
                    s.service == "partnernet-notification" && s.name == "batch" && s.links.len() > 1
                })?
                .clone();
            Some((spans, batch))
        },
    )
    .await;
    for (trace, _) in &batch.links {
        let request = spans
            .iter()
            .find(|s| s.name == "request" && &s.trace_id == trace)
            .unwrap_or_else(|| panic!("the batch links to {trace}, which is no request's trace"));
        assert!(
            batch
                .links
                .contains(&(request.trace_id.clone(), request.span_id.clone())),
            "the link names the request span itself"
        );
        assert!(
            callers
                .iter()
                .any(|(t, s)| t == trace && *s == request.parent_span_id),
            "each linked request continues its caller"
        );
    }
    assert!(
        batch.trace_id != batch.links[0].0 && batch.parent_span_id.is_empty(),
        "a batch of many senders is a trace of its own"
    );
    drop(traced);
    app.stop().await;
}
