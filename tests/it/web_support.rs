//! Helpers of the web page tests: an HTTP client that keeps its cookies like a browser (set by
//! `Set-Cookie`, removed by `Max-Age=0`) and does not follow redirects, so tests see them; and
//! signing in by the emailed link, read from the SMTP sink.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use shared::testing::eventually;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tests::TestApp;
use tests::email::decode;

/// A page as answered: status, `Location`, `Set-Cookie` values, body.
pub struct WebPage {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub content_type: String,
    pub body: String,
}

impl WebPage {
    /// The value of the page's hidden CSRF field.
    pub fn csrf(&self) -> String {
        hidden_value(&self.body, "csrf").expect("a CSRF field on the page")
    }
}

/// The value of the first `<input … name="{name}" value="…">` of `body`.
pub fn hidden_value(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &body[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

pub struct WebClient {
    base_url: String,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl WebClient {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.base_url)
    }

    /// A client of the site at `base_url` (a gateway in front of the app, say).
    pub fn at(base_url: &str) -> Self {
        Self {
            base_url: base_url.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("cookies").get(name).cloned()
    }

    /// Sets a cookie as if the server had (to replay an old session, say).
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .expect("cookies")
            .insert(name.to_string(), value.to_string());
    }

    fn cookie_header(&self) -> String {
        let cookies = self.cookies.lock().expect("cookies");
        cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> WebPage {
        let request = match self.cookie_header() {
            header if header.is_empty() => request,
            header => request.header(COOKIE, header),
        };
        let response = request.send().await.expect("the page is answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        {
            let mut cookies = self.cookies.lock().expect("cookies");
            for set in &set_cookies {
                let pair = set.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if set.contains("Max-Age=0") {
                        cookies.remove(name);
                    } else {
                        cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
        WebPage {
            status,
            location: headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            set_cookies,
            content_type: headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            body: response.text().await.expect("a body"),
        }
    }

    pub async fn get(&self, path: &str) -> WebPage {
        self.get_from(&self.base_url, path).await
    }

    /// `GET` with this client's cookies from another address (a service behind the gateway).
    pub async fn get_from(&self, base_url: &str, path: &str) -> WebPage {
        self.send(self.http.get(format!("{base_url}{path}"))).await
    }

    /// Posts as a client at `address` behind the gateway (which names it in `X-Real-IP`).
    pub async fn post_from(&self, address: &str, path: &str, fields: &[(&str, &str)]) -> WebPage {
        self.send(
            self.http
                .post(format!("{}{path}", self.base_url))
                .header("x-real-ip", address)
                .form(fields),
        )
        .await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> WebPage {
        self.send(
            self.http
                .post(format!("{}{path}", self.base_url))
                .form(fields),
        )
        .await
    }
}

/// The site path of the `nth` link with `marker` (`/sign-in/link?token=`) emailed to `email`.
pub async fn emailed_link(app: &TestApp, email: &str, marker: &str, nth: usize) -> String {
    let received = eventually(
        &format!("email {nth} to {email}"),
        Duration::from_secs(20),
        || async {
            let all: Vec<_> = app
                .smtp
                .received_by(email)
                .into_iter()
                .filter(|m| decode(m).text.contains(marker))
                .collect();
            (all.len() >= nth).then(|| all[nth - 1].clone())
        },
    )
    .await;
    let text = decode(&received).text;
    let url = text
        .split_whitespace()
        .find(|word| word.contains(marker))
        .expect("a link in the email");
    url.trim_start_matches("https://partnernet.test")
        .to_string()
}

/// The `nth` sign-in link emailed to `email` (a site path).
pub async fn sign_in_link(app: &TestApp, email: &str, nth: usize) -> String {
    emailed_link(app, email, "/sign-in/link?token=", nth).await
}

/// Signs `email` in as a browser would: asks for a link, follows it, presses Sign in.
pub async fn sign_in(app: &TestApp, email: &str, nth: usize) -> WebClient {
    sign_in_at(app, &app.base_url, email, nth).await
}

/// [`sign_in`] on the site at `base_url` (the app's emails still come to its SMTP sink).
pub async fn sign_in_at(app: &TestApp, base_url: &str, email: &str, nth: usize) -> WebClient {
    let client = WebClient::at(base_url);
    let asked = client.post("/sign-in", &[("email", email)]).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    let link = sign_in_link(app, email, nth).await;
    let token = link.split("token=").nth(1).expect("a token").to_string();
    let signed_in = client.post("/sign-in/link", &[("token", &token)]).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert!(client.cookie("pn_session").is_some());
    client
}

/// Acme Corp with its owner Olga and a connection it invited (`contact` named Gus at
/// `contact_email`, account `account`), and Initech, an org with its user Ian that has nothing
/// to do with it. Returns Acme and the connection's id.
pub async fn acme_connection_and_an_outsider(
    app: &TestApp,
    contact: (&str, &str),
    account: &str,
) -> (tests::TestOrg, String) {
    let acme = app.create_org("Acme Corp").await;
    let initech = app.create_org("Initech").await;
    let olga = app
        .create_user(&acme, "Olga Owner", "olga@acme.example")
        .await;
    app.create_user(&initech, "Ian Initech", "ian@initech.example")
        .await;
    let (name, email) = contact;
    let created: serde_json::Value = app
        .post(
            "/v1/connections",
            Some(&acme.key),
            &serde_json::json!({ "contact": { "name": name, "email": email },
                                 "account": account, "owner_user_id": olga }),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let id = created["id"].as_str().expect("an id").to_string();
    (acme, id)
}
