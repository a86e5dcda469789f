//! A real headless Chromium for the web page tests, driven over WebDriver (chromedriver).
//!
//! `Browser::start()` is a 1280x900 desktop window, `Browser::phone()` a 375x812 phone. Every
//! helper waits for its condition with a deadline (30 s: Chromium is slow on a loaded 2-core
//! machine) and panics saying what it saw instead. Dropping a `Browser` kills chromedriver and
//! its Chromium; `close()` ends the session politely first.

mod cdp;
mod driver;
mod scripts;

use base64::Engine;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::cookies::Cookie;
use fantoccini::elements::{Element, ElementRef};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

pub use driver::{chromedriver_path, chromium_path};

/// How long a helper waits for the page to get where it expects.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// How often a waiting helper looks again.
const POLL: Duration = Duration::from_millis(100);
/// The key WebDriver puts a DOM element under when a script returns one.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The viewport a browser lays pages out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    /// A phone: Chromium's mobile emulation (the page's viewport meta is honoured).
    pub mobile: bool,
}

pub const DESKTOP: Viewport = Viewport {
    width: 1280,
    height: 900,
    mobile: false,
};
pub const PHONE: Viewport = Viewport {
    width: 375,
    height: 812,
    mobile: true,
};

pub struct Browser {
    client: Client,
    pub viewport: Viewport,
    // Declared last: dropped after the client, ending chromedriver and Chromium.
    driver: driver::Driver,
}

impl Browser {
    /// A desktop browser, 1280x900.
    pub async fn start() -> Self {
        Self::launch(DESKTOP).await
    }

    /// A phone browser, 375x812.
    pub async fn phone() -> Self {
        Self::launch(PHONE).await
    }

    pub async fn launch(viewport: Viewport) -> Self {
        Self::launch_using(viewport, &chromium_path()).await
    }

    /// A browser running the Chromium at `chromium`.
    pub async fn launch_using(viewport: Viewport, chromium: &Path) -> Self {
        let driver = driver::Driver::start().await;
        let capabilities = capabilities(viewport, chromium, &driver.dir.join("profile"));
        let connecting =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities)
                .connect(&driver.url())
                .await;
        let client = connecting.unwrap_or_else(|e| {
            panic!(
                "Chromium ({}) did not start through chromedriver: {e}\n\
                 (scripts/install-browser installs Debian's chromium and chromium-driver)\n\
                 chromedriver's log:\n{}",
                chromium.display(),
                driver.log_tail()
            )
        });
        let browser = Self {
            client,
            viewport,
            driver,
        };
        if !viewport.mobile {
            // The window's inner size is the viewport: make it exactly the one asked for.
            browser.fit_window_to_viewport().await;
        }
        browser
    }

    /// Ends the WebDriver session (Chromium quits), then chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// The directory of this browser's profile, logs and temporary files (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.driver.dir
    }

    /// chromedriver's process id (its process group holds Chromium's processes too).
    pub fn chromedriver_pid(&self) -> u32 {
        self.driver.pid()
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
        self.wait_until(&format!("{url} to finish loading"), || async {
            self.script(scripts::READY, vec![]).await.as_bool() == Some(true)
        })
        .await;
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("the current URL")
            .to_string()
    }

    /// Waits until the address is `url` (navigations after a click or a redirect).
    pub async fn wait_for_url(&self, url: &str) {
        self.wait_until(&format!("the address {url}"), || async {
            self.current_url().await == url
        })
        .await;
    }

    /// The page's text as a reader sees it (`innerText` of the body).
    pub async fn page_text(&self) -> String {
        self.script(scripts::PAGE_TEXT, vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's title.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("the page's title")
    }

    /// Waits until the page shows `text`; on timeout, says what it shows instead.
    pub async fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let shown = self.page_text().await;
            if shown.contains(text) {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the page {} never showed {text:?} within {DEADLINE:?}; it shows:\n{shown}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Types `value` into the control whose `<label>` reads `label` (a select: picks the option
    /// of that text).
    pub async fn fill(&self, label: &str, value: &str) {
        let lookup = scripts::control_by_label();
        let control = self
            .find_element(&format!("the control labelled {label:?}"), || {
                self.script(&lookup, vec![json!(label)])
            })
            .await;
        let tag = control.tag_name().await.expect("the control's tag");
        if tag.eq_ignore_ascii_case("select") {
            control
                .select_by_label(value)
                .await
                .unwrap_or_else(|e| panic!("choosing {value:?} in {label:?}: {e}"));
            return;
        }
        control
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clearing {label:?}: {e}"));
        control
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("typing into {label:?}: {e}"));
    }

    /// Clicks the button (`<button>`, `<input type=submit|button>`) that reads `text`. A click
    /// that navigates returns once the new page has loaded (chromedriver waits for it).
    pub async fn click_button(&self, text: &str) {
        let selector = "button, input[type=submit], input[type=button], input[type=reset]";
        self.click_by_text(selector, &format!("the button {text:?}"), text)
            .await;
    }

    /// Clicks the link that reads `text`.
    pub async fn click_link(&self, text: &str) {
        self.click_by_text("a[href]", &format!("the link {text:?}"), text)
            .await;
    }

    async fn click_by_text(&self, selector: &str, what: &str, text: &str) {
        let lookup = scripts::clickable_by_text();
        let element = self
            .find_element(what, || {
                self.script(&lookup, vec![json!(selector), json!(text)])
            })
            .await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {what}: {e}"));
    }

    /// Presses Tab once, as a keyboard user moving to the next control.
    pub async fn press_tab(&self) {
        let tab: char = Key::Tab.into();
        let press = KeyActions::new("keyboard".to_string())
            .then(KeyAction::Down { value: tab })
            .then(KeyAction::Up { value: tab });
        self.client
            .perform_actions(press)
            .await
            .expect("pressing Tab");
    }

    /// Presses Enter, as a keyboard user activating the focused control.
    pub async fn press_enter(&self) {
        let enter: char = Key::Enter.into();
        let press = KeyActions::new("keyboard".to_string())
            .then(KeyAction::Down { value: enter })
            .then(KeyAction::Up { value: enter });
        self.client
            .perform_actions(press)
            .await
            .expect("pressing Enter");
    }

    /// The accessible name of the focused element, or `None` when nothing has focus.
    pub async fn focused(&self) -> Option<String> {
        let focused = self.script(&scripts::focused(), vec![]).await;
        focused["name"].as_str().map(str::to_string)
    }

    /// Presses Tab until the control named `name` has focus (at most 50 times): the control
    /// can be reached with the keyboard. Panics listing the names focus went through.
    pub async fn tab_to(&self, name: &str) {
        let mut path = Vec::new();
        for _ in 0..50 {
            self.press_tab().await;
            let now = self.focused().await.unwrap_or_default();
            if now == name {
                return;
            }
            path.push(now);
        }
        panic!("Tab never reached {name:?} on the page; focus went through {path:?}");
    }

    pub async fn cookies(&self) -> Vec<Cookie<'static>> {
        self.client.get_all_cookies().await.expect("the cookies")
    }

    pub async fn cookie(&self, name: &str) -> Option<Cookie<'static>> {
        self.cookies().await.into_iter().find(|c| c.name() == name)
    }

    pub async fn delete_cookies(&self) {
        self.client
            .delete_all_cookies()
            .await
            .expect("deleting the cookies");
    }

    /// Every input (but hidden), select, textarea and button has an accessible name.
    pub async fn assert_every_control_labelled(&self) {
        let unlabelled = self.script(&scripts::unlabelled_controls(), vec![]).await;
        let unlabelled = unlabelled.as_array().cloned().unwrap_or_default();
        assert!(
            unlabelled.is_empty(),
            "{} has controls without a label (a <label>, aria-label or a button's text): {unlabelled:#?}",
            self.current_url().await
        );
    }

    /// The page fits the viewport's width: no horizontal scroll, and (at phone width) it lays
    /// out at the phone's width rather than a zoomed-out desktop one (needs a viewport meta).
    pub async fn assert_no_horizontal_scroll(&self) {
        let url = self.current_url().await;
        let overflow = self.script(scripts::HORIZONTAL_OVERFLOW, vec![]).await;
        let width = overflow["width"].as_u64().unwrap_or_default();
        let content = overflow["content"].as_u64().unwrap_or_default();
        assert!(
            width <= u64::from(self.viewport.width),
            "{url} lays out {width} px wide in a {} px viewport (no <meta name=\"viewport\" \
             content=\"width=device-width\">?)",
            self.viewport.width
        );
        assert!(
            content <= width,
            "{url} scrolls sideways: content {content} px wide in {width} px; reaching past the \
             edge: {:#?}",
            overflow["wide"]
        );
    }

    /// The page, laid out again at phone width (375 px, mobile), does not scroll sideways; then
    /// the browser goes back to its own viewport. For a desktop browser checking each page it
    /// visits without a second Chromium.
    pub async fn assert_fits_phone_width(&self) {
        if self.viewport.mobile {
            return self.assert_no_horizontal_scroll().await;
        }
        let metrics = json!({ "width": PHONE.width, "height": PHONE.height,
                              "deviceScaleFactor": 2, "mobile": true });
        self.cdp("Emulation.setDeviceMetricsOverride", metrics)
            .await;
        let overflow = self.script(scripts::HORIZONTAL_OVERFLOW, vec![]).await;
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
        let width = overflow["width"].as_u64().unwrap_or_default();
        let content = overflow["content"].as_u64().unwrap_or_default();
        assert!(
            width <= u64::from(PHONE.width) && content <= width,
            "{} at phone width lays out {width} px wide with content {content} px wide; \
             reaching past the edge: {:#?}",
            self.current_url().await,
            overflow["wide"]
        );
    }

    /// The `href` of the link with `id`, as the browser resolves it (a whole address).
    pub async fn link_href(&self, id: &str) -> String {
        let href = self
            .script(
                "const a = document.getElementById(arguments[0]); return a ? a.href : null;",
                vec![json!(id)],
            )
            .await;
        match href.as_str() {
            Some(href) => href.to_string(),
            None => panic!("no link #{id} on {}", self.current_url().await),
        }
    }

    /// Sends one Chrome DevTools Protocol command; panics naming it if Chromium refuses.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(cdp::Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("the DevTools command {cmd}: {e}"))
    }

    /// Writes a PNG of the whole page's length (not only the viewport) at the viewport's width
    /// to `path`.
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let height = self
            .script(
                "return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0);",
                vec![],
            )
            .await
            .as_u64()
            .unwrap_or(u64::from(self.viewport.height));
        let clip =
            json!({ "x": 0, "y": 0, "width": self.viewport.width, "height": height, "scale": 1 });
        // Beyond the viewport Chromium leaves out frames drawn by another process (a sandboxed
        // preview): on a desktop the viewport is made as tall as the page for the shot instead.
        // A phone keeps its mobile emulation (chromedriver's) and is shot beyond its viewport.
        let tall = !self.viewport.mobile;
        if tall {
            self.cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": self.viewport.width, "height": height,
                        "deviceScaleFactor": 1, "mobile": false }),
            )
            .await;
        }
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": !tall, "clip": clip }),
            )
            .await;
        if tall {
            self.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
                .await;
        }
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("a base64 PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot's directory");
        }
        std::fs::write(path, png)
            .unwrap_or_else(|e| panic!("writing the screenshot {}: {e}", path.display()));
    }

    /// Runs `script` in the page and returns its value.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("a script in the page failed: {e}"))
    }

    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Polls `lookup` (a script answering `{element}` or `{error}`) until it finds the element.
    async fn find_element<F, Fut>(&self, what: &str, mut lookup: F) -> Element
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Value>,
    {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let answer = lookup().await;
            if let Some(id) = answer["element"][ELEMENT_KEY].as_str() {
                return Element::from_element_id(
                    self.client.clone(),
                    ElementRef::from(id.to_string()),
                );
            }
            if Instant::now() >= deadline {
                let why = match answer["error"].as_str() {
                    Some(error) => error.to_string(),
                    None => format!("the page answered {answer}"),
                };
                panic!(
                    "{what} is not on {} after {DEADLINE:?}: {why}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls `check` until it is true, or panics after the deadline naming `what`.
    async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + DEADLINE;
        while !check().await {
            assert!(
                Instant::now() < deadline,
                "timed out after {DEADLINE:?} waiting for {what}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Resizes the window so that its inner size is the viewport's (the window's frame, even
    /// headless, takes some of its outer size).
    async fn fit_window_to_viewport(&self) {
        let inner = self
            .script(
                "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];",
                vec![],
            )
            .await;
        let frame = |i: usize| {
            inner[i]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0)
        };
        self.client
            .set_window_size(
                self.viewport.width + frame(0),
                self.viewport.height + frame(1),
            )
            .await
            .expect("sizing the window");
    }
}

/// What chromedriver starts: Debian's Chromium, headless, with a profile of its own.
fn capabilities(
    viewport: Viewport,
    chromium: &Path,
    profile: &Path,
) -> fantoccini::wd::Capabilities {
    let mut args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".to_string(),
        "--disable-dev-shm-usage".to_string(),
        "--disable-gpu".to_string(),
        "--no-first-run".to_string(),
        "--no-default-browser-check".to_string(),
        "--disable-extensions".to_string(),
        "--hide-scrollbars".to_string(),
        "--force-device-scale-factor=1".to_string(),
        "--lang=en-US".to_string(),
        format!("--window-size={},{}", DESKTOP.width, DESKTOP.height),
        format!("--user-data-dir={}", profile.display()),
    ];
    args.sort();
    let mut options = json!({
        "binary": chromium.display().to_string(),
        "args": args,
    });
    if viewport.mobile {
        options["mobileEmulation"] = json!({
            "deviceMetrics": {
                "width": viewport.width,
                "height": viewport.height,
                "pixelRatio": 2.0,
                "mobile": true,
                "touch": true,
            }
        });
    }
    let mut capabilities = fantoccini::wd::Capabilities::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("pageLoadStrategy".into(), json!("normal"));
    capabilities.insert("goog:chromeOptions".into(), options);
    capabilities
}
