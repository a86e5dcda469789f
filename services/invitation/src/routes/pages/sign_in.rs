//! `/sign-in`: ask for a link by email; `/sign-in/link`: the emailed link, whose button (a
//! POST, so mail scanners that fetch links do not use it up) starts the session;
//! `/sign-out`. Where to go after signing in (`next`, a path of this site) waits in a short
//! cookie of the browser, so it (which may hold an invitation token) is stored in no table.

use super::AppState;
use crate::sign_in::{self, Refused};
use crate::sign_in_limit::{self, Verdict};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use shared::web::escape::{escape, url_decode, url_encode};
use shared::web::redirect::{safe_next, see_other};
use shared::web::session::{self, clear_cookie, cookie_value, session_cookie, set_cookie};
use shared::web::{CsrfForm, MaybeWebUser, Page};
use std::net::SocketAddr;

/// The cookie that keeps `next` while the user fetches the email.
const NEXT_COOKIE: &str = "pn_next";

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn form_markup(next: &str, email: &str) -> String {
    format!(
        "<p>Enter the email address of your PartnerNet user. We send you a link that signs you in; \
         no password needed.</p>\
         <form method=\"post\" action=\"/sign-in\" id=\"sign-in-form\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label for=\"email\">Email address</label>\
         <input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"email\" required value=\"{email}\">\
         <button type=\"submit\" id=\"send-link\">Send me a sign-in link</button></form>",
        next = escape(next),
        email = escape(email),
    )
}

/// `GET /sign-in`.
pub async fn form(MaybeWebUser(user): MaybeWebUser, Query(query): Query<NextQuery>) -> Response {
    let next = safe_next(query.next.as_deref());
    if user.is_some() {
        return see_other(&next);
    }
    Page::new("Sign in")
        .push(&form_markup(&next, ""))
        .render(StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    next: Option<String>,
}

/// `POST /sign-in`: the same answer whether or not the address belongs to a user, and, over
/// the limit of requests ([`sign_in_limit`]), the same request to wait, with no email sent.
pub async fn request(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let email = match shared::validate::email("email", &form.email) {
        Ok(email) => email,
        Err(_) => {
            return Page::new("Sign in")
                .notice_error("The email address is not valid: enter it as name@example.com.")
                .push(&form_markup(&next, &form.email))
                .render(StatusCode::UNPROCESSABLE_ENTITY, None);
        }
    };
    let client = sign_in_limit::client_address(&headers, peer.map(|Extension(ConnectInfo(p))| p));
    let issued = match state.pool.get().await {
        Ok(mut conn) => match sign_in_limit::check(&mut conn, &email, &client).await {
            Ok(Verdict::Allowed) => {
                sign_in::request_links(&mut conn, &state.config.common, &email).await
            }
            Ok(Verdict::TooMany) => {
                return Page::new("Wait before asking again")
                    .notice_error(&format!(
                        "Too many sign-in links were asked for this address or from your network. \
                         Wait {} minutes, then ask again; a link already sent still works.",
                        sign_in_limit::WINDOW.num_minutes()
                    ))
                    .push(&form_markup(&next, &form.email))
                    .render(StatusCode::TOO_MANY_REQUESTS, None);
            }
            Err(err) => Err(err.into()),
        },
        Err(err) => Err(err.into()),
    };
    if let Err(err) = issued {
        tracing::error!(error = %format!("{err:#}"), "issuing sign-in links failed");
        return Page::new("Sign in")
            .notice_error("The link could not be sent. Try again in a moment.")
            .push(&form_markup(&next, &form.email))
            .render(StatusCode::SERVICE_UNAVAILABLE, None);
    }
    let mut response = Page::new("Check your email")
        .notice_ok("If this address belongs to a PartnerNet user, a sign-in link is on its way.")
        .push(
            "<p>Open the link in the email from this browser. It works once, for 15 minutes. \
             No email? Check the address and <a href=\"/sign-in\">ask again</a>.</p>",
        )
        .render(StatusCode::OK, None);
    let keep_next = set_cookie(
        NEXT_COOKIE,
        &url_encode(&next),
        sign_in::LINK_LIFETIME.num_seconds(),
        &state.config.common.public_base_url,
    );
    if let Ok(value) = keep_next.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /sign-in/link?token=…`: a button that signs in (nothing is used up by opening it).
pub async fn link(Query(query): Query<TokenQuery>) -> Response {
    let token = query.token.unwrap_or_default();
    if token.is_empty() || token.len() > 200 {
        return Page::new("This sign-in link is incomplete")
            .notice_error(Refused::Unknown.words())
            .push("<p><a href=\"/sign-in\">Ask for a new link</a></p>")
            .render(StatusCode::BAD_REQUEST, None);
    }
    Page::new("Sign in to PartnerNet")
        .push(&format!(
            "<form method=\"post\" action=\"/sign-in/link\" id=\"redeem-form\">\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\
             <button type=\"submit\" id=\"sign-in\">Sign in</button></form>",
            escape(&token)
        ))
        .render(StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct RedeemForm {
    #[serde(default)]
    token: String,
}

/// `POST /sign-in/link`: uses the token up, starts the session, goes to `next`.
pub async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<RedeemForm>,
) -> Response {
    let redeemed = match state.pool.get().await {
        Ok(mut conn) => sign_in::redeem(&mut conn, form.token.trim()).await,
        Err(err) => Err(err.into()),
    };
    let session = match redeemed {
        Ok(Ok(session)) => session,
        Ok(Err(refused)) => {
            return Page::new("You are not signed in")
                .notice_error(refused.words())
                .push("<p><a href=\"/sign-in\" id=\"ask-again\">Ask for a new link</a></p>")
                .render(StatusCode::GONE, None);
        }
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "signing in failed");
            return Page::new("You are not signed in")
                .notice_error("Signing in failed. Try the link again in a moment.")
                .render(StatusCode::SERVICE_UNAVAILABLE, None);
        }
    };
    let next = cookie_value(&headers, NEXT_COOKIE)
        .and_then(url_decode)
        .map(|v| safe_next(Some(&v)))
        .unwrap_or_else(|| safe_next(None));
    let base = &state.config.common.public_base_url;
    let mut response = see_other(&next);
    for cookie in [
        session_cookie(&session, base),
        clear_cookie(NEXT_COOKIE, base),
    ] {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /sign-out`: the session ends; its cookie is removed.
pub async fn sign_out(
    State(state): State<AppState>,
    CsrfForm(user, Empty {}): CsrfForm<Empty>,
) -> Response {
    let revoked = match state.pool.get().await {
        Ok(mut conn) => session::revoke(&mut conn, user.session_id)
            .await
            .map_err(anyhow::Error::from),
        Err(err) => Err(err.into()),
    };
    if let Err(err) = revoked {
        tracing::error!(error = %format!("{err:#}"), "signing out failed");
        return Page::new("You are still signed in")
            .notice_error("Signing out failed. Try again in a moment.")
            .render(StatusCode::SERVICE_UNAVAILABLE, Some(&user));
    }
    let clear = clear_cookie(session::COOKIE, &state.config.common.public_base_url);
    (
        [(header::SET_COOKIE, clear)],
        Page::new("You are signed out")
            .push("<p><a href=\"/sign-in\">Sign in again</a></p>")
            .render(StatusCode::OK, None),
    )
        .into_response()
}
