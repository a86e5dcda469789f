//! `Idempotency-Key` for creating routes: a client that retries after a lost response gets the
//! first answer again instead of creating a second resource.
//!
//! A route opts in with `.layer(idempotency::layer(pool))`. For a request carrying the header,
//! from an authenticated org:
//! - the first request with a key claims it (a row per org and key), runs, and stores its
//!   answer; a 5xx answer releases the claim so that a retry runs again;
//! - the same key and the same request (method, path, body) within a day answers the stored
//!   answer, marked `Idempotency-Replayed: true`, and creates nothing;
//! - the same key with another request is refused (422, field `Idempotency-Key`);
//! - the same key while the first request is still being served is refused (409), so two
//!   concurrent duplicates never both create.
//!
//! The handler runs in a task of its own, so a client that hangs up mid-request does not cancel
//! it between its commit and the stored answer. A claim left by a process that crashed
//! mid-request keeps answering 409 until it expires: the key is never run twice.
//! Requests without the header, or without a valid API key, pass through untouched.

use super::auth::Auth;
use super::problem::ApiError;
use crate::db::DbPool;
use crate::identity::Principal;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{FromFnLayer, Next};
use axum::response::{IntoResponse, Response};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use uuid::Uuid;

diesel::table! {
    http.idempotency_keys (org_id, key) {
        org_id -> Uuid,
        key -> Text,
        request_hash -> Bytea,
        status -> Nullable<SmallInt>,
        content_type -> Nullable<Text>,
        body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotency-replayed";
/// The header's name as a request field in problems.
const FIELD: &str = "Idempotency-Key";
const MAX_KEY_CHARS: usize = 255;

/// The `Idempotency-Key` header every creating route accepts.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by the layer, declared here for the OpenAPI document
pub struct IdempotencyKey {
    /// Any unique string (1 to 255 printable ASCII characters), e.g. a UUID. The same key and
    /// body within a day return the first answer and create nothing; the same key with another
    /// body is refused with 422 (`field`: `Idempotency-Key`).
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
}

type Middleware = fn(State<DbPool>, Request, Next) -> BoxFuture<'static, Response>;

/// What [`layer`] returns.
pub type IdempotencyLayer = FromFnLayer<Middleware, DbPool, (State<DbPool>, Request)>;

/// The layer a creating route adds to accept `Idempotency-Key`.
pub fn layer(pool: DbPool) -> IdempotencyLayer {
    axum::middleware::from_fn_with_state(pool, |state, request, next| {
        Box::pin(idempotent(state, request, next))
    })
}

async fn idempotent(State(pool): State<DbPool>, request: Request, next: Next) -> Response {
    // Only creating requests are replayed; any other method goes on to the router (which
    // answers 405 to one the route does not have), whatever its header says.
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let Some(raw_key) = request.headers().get(HEADER).cloned() else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let Ok(Auth(principal)) = Auth::from_request_parts(&mut parts, &pool).await else {
        // No valid key: the route answers 401 itself, and there is no org to store under.
        return next.run(Request::from_parts(parts, body)).await;
    };
    let key = match valid_key(&raw_key) {
        Ok(key) => key,
        Err(err) => return err.into_response(),
    };
    let bytes = match axum::body::to_bytes(body, super::MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let detail = err.to_string();
            return super::json::body_read_error(&err, detail).into_response();
        }
    };
    let hash = request_hash(&parts, &bytes);
    match claim(&pool, &principal, &key, &hash).await {
        Ok(Claim::Ours) => {}
        Ok(Claim::Answered(stored)) => return stored.into_response(),
        Err(err) => return err.into_response(),
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    let org = principal.org_id.as_uuid();
    let task = tokio::spawn(async move {
        let response = next.run(request).await;
        finish(&pool, org, &key, response).await
    });
    match task.await {
        Ok(response) => response,
        Err(err) => ApiError::internal(err).into_response(),
    }
}

fn valid_key(raw: &HeaderValue) -> Result<String, ApiError> {
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_CHARS)
        .filter(|k| k.chars().all(|c| c.is_ascii_graphic() || c == ' '))
        .ok_or_else(|| {
            ApiError::invalid_field(
                FIELD,
                format!("must have 1 to {MAX_KEY_CHARS} printable ASCII characters"),
            )
        })?;
    Ok(key.to_string())
}

fn request_hash(parts: &axum::http::request::Parts, body: &Bytes) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str().as_bytes());
    hash.update(b"\0");
    hash.update(parts.uri.path().as_bytes());
    hash.update(b"\0");
    hash.update(body);
    hash.finalize().to_vec()
}

enum Claim {
    Ours,
    Answered(StoredAnswer),
}

struct StoredAnswer {
    status: StatusCode,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl IntoResponse for StoredAnswer {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        if let Some(value) = self
            .content_type
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
        response
    }
}

type StoredRow = (Vec<u8>, Option<i16>, Option<String>, Option<Vec<u8>>);

/// Claims `key` for this request, or says what an earlier request with it left.
async fn claim(
    pool: &DbPool,
    principal: &Principal,
    key: &str,
    hash: &[u8],
) -> Result<Claim, ApiError> {
    let org = principal.org_id.as_uuid();
    let mut conn = pool.get().await?;
    let mine = idempotency_keys::table
        .filter(idempotency_keys::org_id.eq(org))
        .filter(idempotency_keys::key.eq(key));
    // A key is remembered for a day; after that it is free again.
    diesel::delete(
        mine.filter(
            idempotency_keys::created_at.lt(chrono::Utc::now() - chrono::Duration::days(1)),
        ),
    )
    .execute(&mut conn)
    .await?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::org_id.eq(org),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::Ours);
    }
    let found: Option<StoredRow> = mine
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::content_type,
            idempotency_keys::body,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    match found {
        // Released (a 5xx) between our insert and this read: the client may retry.
        None => Err(in_progress()),
        Some((stored_hash, _, _, _)) if stored_hash != hash => Err(ApiError::invalid_field(
            FIELD,
            "was already used with a different request; use a new key",
        )),
        Some((_, None, _, _)) => Err(in_progress()),
        Some((_, Some(status), content_type, body)) => Ok(Claim::Answered(StoredAnswer {
            status: u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            content_type,
            body: body.unwrap_or_default(),
        })),
    }
}

fn in_progress() -> ApiError {
    ApiError::conflict(
        "a request with this Idempotency-Key is still being served; retry shortly",
        "in_progress",
    )
}

/// Stores the answer under the claim (or releases the claim after a 5xx) and returns it.
async fn finish(pool: &DbPool, org: Uuid, key: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(err) => {
            release(pool, org, key).await;
            return ApiError::internal(anyhow::anyhow!("reading the answer: {err}"))
                .into_response();
        }
    };
    let mine = idempotency_keys::table
        .filter(idempotency_keys::org_id.eq(org))
        .filter(idempotency_keys::key.eq(key));
    if parts.status.is_server_error() {
        release(pool, org, key).await;
    } else {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let stored = async {
            let mut conn = pool.get().await?;
            diesel::update(mine)
                .set((
                    idempotency_keys::status.eq(parts.status.as_u16() as i16),
                    idempotency_keys::content_type.eq(content_type),
                    idempotency_keys::body.eq(bytes.as_ref()),
                ))
                .execute(&mut conn)
                .await?;
            Ok::<_, ApiError>(())
        }
        .await;
        if stored.is_err() {
            // The effect happened; the key stays claimed (409 on retry) rather than run twice.
            tracing::error!("the answer of an idempotent request could not be stored");
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn release(pool: &DbPool, org: Uuid, key: &str) {
    let released = async {
        let mut conn = pool.get().await?;
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::org_id.eq(org))
                .filter(idempotency_keys::key.eq(key)),
        )
        .execute(&mut conn)
        .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    if released.is_err() {
        tracing::error!(
            "an idempotency claim could not be released; the key answers 409 until it expires"
        );
    }
}
