//! Helpers of the sharing tests: an accepted connection both sides can publish to, waiting for
//! the sharing service's read model, and JSON requests that assert their status.

use crate::connections_support::{Pair, claim_and_accept, invite, pair};
use serde_json::Value;
use shared::testing::eventually;
use std::time::Duration;
use tests::TestApp;

/// The invited contact of [`connected`]'s connection: Globex's side hears of Acme's changes here.
pub const GLOBEX_CONTACT: &str = "gina@globex.example";

/// Acme and Globex, connected (invited, claimed, accepted), with the sharing service aware of it.
pub async fn connected(app: &TestApp) -> (Pair, String) {
    connected_via(app, GLOBEX_CONTACT).await
}

/// Like [`connected`], a new pair of orgs whose invitation went to `contact` (a first email).
pub async fn connected_via(app: &TestApp, contact: &str) -> (Pair, String) {
    let p = pair(app).await;
    let (id, token) = invite(app, &p, contact).await;
    claim_and_accept(app, &p, &id, &token).await;
    visible(app, &p.globex.key, &id).await;
    (p, id)
}

/// Waits until the sharing service knows `key`'s org as a party to the connection.
pub async fn visible(app: &TestApp, key: &str, id: &str) {
    let path = format!("/v1/connections/{id}/publications");
    eventually(
        "sharing to know the connection",
        Duration::from_secs(20),
        || {
            let path = path.clone();
            async move { (app.get(&path, Some(key)).await.status() == 200).then_some(()) }
        },
    )
    .await;
}

/// Sends `method` with a JSON body, asserts the status and returns the JSON answer (or null).
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let mut request = app
        .http
        .request(method.clone(), format!("{}{path}", app.base_url))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("answered");
    let got = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(got, status, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The object API names in a publications list (`published` or `partner_published`).
pub fn objects(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|o| o["object"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The field API names of `object` in a publications list.
pub fn fields(list: &Value, object: &str) -> Vec<String> {
    list.as_array()
        .and_then(|items| items.iter().find(|o| o["object"] == object))
        .and_then(|o| o["fields"].as_array())
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f["api_name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The messages of type `M` published while a recorder runs beside the app.
pub struct Recorded<M>(std::sync::Arc<std::sync::Mutex<Vec<shared::message::Envelope<M>>>>);

impl<M: Clone> Recorded<M> {
    pub fn all(&self) -> Vec<shared::message::Envelope<M>> {
        self.0.lock().expect("recorded lock").clone()
    }
}

struct Recorder<M>(std::sync::Arc<std::sync::Mutex<Vec<shared::message::Envelope<M>>>>);

impl<M: shared::message::Message + Clone> shared::consumer::Handler<M> for Recorder<M> {
    async fn handle(
        &self,
        _ctx: &shared::consumer::Context<'_>,
        _conn: &mut diesel_async::AsyncPgConnection,
        message: &shared::message::Envelope<M>,
    ) -> Result<(), shared::error::HandlerError> {
        self.0.lock().expect("recorded lock").push(message.clone());
        Ok(())
    }
}

/// Starts a consumer of `M` beside the app and waits until it consumes (a message published
/// before its queue is bound would not reach it). Keep the token alive while recording.
pub async fn record<M: shared::message::Message + Clone>(
    app: &TestApp,
) -> (Recorded<M>, tokio_util::sync::CancellationToken) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let parts = shared::service::ServiceParts {
        name: "recorder",
        router: axum::Router::new(),
        consumers: vec![shared::consumer::ConsumerSpec {
            service: "recorder",
            name: "sharing",
            handlers: shared::consumer::Handlers::new().on::<M, _>(Recorder(seen.clone())),
        }],
        workers: Vec::new(),
        publishes: false,
    };
    let (token, _handle) = app.spawn_parts(vec![parts]);
    let component = format!(
        "consumer {}",
        app.topology().work_queue("recorder", "sharing")
    );
    eventually("the recorder", Duration::from_secs(20), || async {
        app.platform.health.is_up(&component).then_some(())
    })
    .await;
    (Recorded(seen), token)
}
