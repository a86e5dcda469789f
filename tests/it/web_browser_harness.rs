//! The browser helpers themselves, on a small site served by the test: filling labelled
//! controls, buttons, links, cookies, the keyboard; the page checks naming what they catch; no
//! process left behind; a clear failure when Chromium cannot start.

use axum::Form;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use futures_util::FutureExt;
use shared::testing::eventually;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tests::browser::{Browser, DESKTOP};

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body>{body}</body></html>"
    ))
}

const FORM: &str = "<h1>Fixture form</h1>\
    <form method=\"post\" action=\"/submitted\">\
    <label for=\"name\">Your name</label> <input id=\"name\" name=\"name\">\
    <label>Colour <select name=\"colour\"><option>Red</option><option>Blue</option></select></label>\
    <button type=\"submit\">Send it</button></form>";

async fn submitted(Form(fields): Form<HashMap<String, String>>) -> impl IntoResponse {
    let name = fields.get("name").cloned().unwrap_or_default();
    let colour = fields.get("colour").cloned().unwrap_or_default();
    (
        [("set-cookie", "fixture=1; HttpOnly; SameSite=Lax; Path=/")],
        page(
            "Sent",
            &format!(
                "<p>Hello {name}, you like {colour}</p><a href=\"/form\">Back to the form</a>"
            ),
        ),
    )
}

/// Serves the fixture pages on a free port; returns the site's address.
async fn fixture_site() -> String {
    let router = axum::Router::new()
        .route("/form", get(|| async { page("Form", FORM) }))
        .route("/submitted", axum::routing::post(submitted))
        .route(
            "/wide",
            get(|| async { page("Wide", "<div style=\"width:600px\">too wide</div>") }),
        )
        .route(
            "/unlabelled",
            get(|| async {
                page(
                    "Unlabelled",
                    "<input name=\"q\" placeholder=\"Search\"><button>Go</button>",
                )
            }),
        )
        .route(
            "/no-viewport",
            get(|| async { Html("<!doctype html><title>Old</title><p>Desktop only</p>") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// The message of the panic `check` ends in (it must panic).
async fn panic_of(check: impl std::future::Future<Output = ()>) -> String {
    match AssertUnwindSafe(check).catch_unwind().await {
        Ok(()) => panic!("the check passed; it should have failed"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_helpers_fill_click_follow_and_keep_cookies() {
    let site = fixture_site().await;
    let browser = Browser::start().await;
    browser.goto(&format!("{site}/form")).await;
    assert_eq!(browser.title().await, "Form");
    let size = browser
        .script("return [innerWidth, innerHeight];", vec![])
        .await;
    assert_eq!(size, serde_json::json!([1280, 900]), "the desktop viewport");
    browser.assert_every_control_labelled().await;
    browser.tab_to("Your name").await;
    browser.tab_to("Send it").await;

    browser.fill("Your name", "Ann").await;
    browser.fill("Colour", "Blue").await;
    browser.click_button("Send it").await;
    browser.wait_for_text("Hello Ann, you like Blue").await;
    assert_eq!(browser.current_url().await, format!("{site}/submitted"));
    let cookie = browser.cookie("fixture").await.expect("the fixture cookie");
    assert_eq!(cookie.value(), "1");
    assert_eq!(cookie.http_only(), Some(true));

    browser.click_link("Back to the form").await;
    browser.wait_for_url(&format!("{site}/form")).await;
    browser.wait_for_text("Fixture form").await;
    browser.delete_cookies().await;
    assert!(browser.cookies().await.is_empty());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_page_checks_name_what_they_catch() {
    let site = fixture_site().await;
    let phone = Browser::phone().await;

    phone.goto(&format!("{site}/form")).await;
    let size = phone
        .script("return [innerWidth, innerHeight];", vec![])
        .await;
    assert_eq!(size, serde_json::json!([375, 812]), "the phone viewport");
    phone.assert_every_control_labelled().await;
    phone.assert_no_horizontal_scroll().await;

    phone.goto(&format!("{site}/wide")).await;
    let wide = panic_of(phone.assert_no_horizontal_scroll()).await;
    assert!(wide.contains("scrolls sideways"), "{wide}");
    assert!(
        wide.contains("width:600px"),
        "names the wide element: {wide}"
    );

    phone.goto(&format!("{site}/no-viewport")).await;
    let zoomed = panic_of(phone.assert_no_horizontal_scroll()).await;
    assert!(zoomed.contains("viewport"), "{zoomed}");

    phone.goto(&format!("{site}/unlabelled")).await;
    let unlabelled = panic_of(phone.assert_every_control_labelled()).await;
    assert!(
        unlabelled.contains("placeholder=\\\"Search\\\""),
        "{unlabelled}"
    );
    assert!(
        !unlabelled.contains("Go"),
        "the button's text names it: {unlabelled}"
    );
    phone.close().await;
}

/// The processes of a process group still alive (zombies, already dead, do not count).
fn live_processes_in_group(pgid: u32) -> Vec<String> {
    let out = Command::new("ps")
        .args(["-eo", "pgid=,stat=,args="])
        .output()
        .expect("ps runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let group = fields.next()?.parse::<u32>().ok()?;
            let stat = fields.next()?;
            (group == pgid && !stat.starts_with('Z')).then(|| line.trim().to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn web_browser_leaves_no_process_or_file_behind() {
    let browser = Browser::start().await;
    browser
        .goto("data:text/html,<title>t</title><p>Hello browser</p>")
        .await;
    browser.wait_for_text("Hello browser").await;
    let group = browser.chromedriver_pid();
    let dir = browser.dir().to_path_buf();
    let running = live_processes_in_group(group);
    assert!(
        running.iter().any(|p| p.contains("chromium")),
        "Chromium runs in chromedriver's process group: {running:#?}"
    );

    drop(browser);
    eventually(
        "chromedriver and Chromium to be gone",
        Duration::from_secs(10),
        || async { live_processes_in_group(group).is_empty().then_some(()) },
    )
    .await;
    assert!(
        !dir.exists(),
        "the browser's directory (profile, temporary files) is removed"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "Chromium (/nonexistent/chromium) did not start")]
async fn web_browser_says_so_when_chromium_cannot_start() {
    Browser::launch_using(DESKTOP, Path::new("/nonexistent/chromium")).await;
}
