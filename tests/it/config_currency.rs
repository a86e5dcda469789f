//! The org's currency as configuration as code: exported when set (left out while the default
//! USD), imported with a change item, a dry run changing nothing, and a bad code refused with
//! its path.

use crate::config_support::{export_yaml, import};
use crate::sharing_support::call;
use reqwest::Method;
use serde_json::Value;
use tests::TestApp;

async fn currency(app: &TestApp, key: &str) -> Value {
    let settings = call(app, Method::GET, "/v1/sharing/settings", key, None, 200).await;
    settings["currency"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn config_currency_is_exported_and_imported() {
    let app = TestApp::spawn().await;
    let org = app.create_org("Acme Corp").await;
    let key = org.key.as_str();
    assert!(!export_yaml(&app, key).await.contains("currency"));

    let document = "version: 1\ncurrency: eur\n".to_string();
    let dry = import(&app, key, document.clone(), "application/yaml", true).await;
    assert_eq!(dry.status(), 200);
    let dry: Value = dry.json().await.expect("json");
    assert_eq!(dry["changes"][0]["path"], "currency", "{dry}");
    assert_eq!(dry["changes"][0]["from"], "\"USD\"");
    assert_eq!(dry["changes"][0]["to"], "\"EUR\"");
    assert_eq!(
        currency(&app, key).await,
        "USD",
        "a dry run changes nothing"
    );

    let done = import(&app, key, document, "application/yaml", false).await;
    assert_eq!(done.status(), 200);
    assert_eq!(currency(&app, key).await, "EUR");
    assert!(export_yaml(&app, key).await.contains("currency: EUR"));

    let bad = import(
        &app,
        key,
        "version: 1\ncurrency: EURO\n".into(),
        "application/yaml",
        false,
    )
    .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("json");
    assert!(problem.to_string().contains("currency"), "{problem}");
    assert_eq!(currency(&app, key).await, "EUR");

    // A document without a currency puts the org back on the default.
    let back = import(&app, key, "version: 1\n".into(), "application/yaml", false).await;
    assert_eq!(back.status(), 200);
    assert_eq!(currency(&app, key).await, "USD");
    app.stop().await;
}
