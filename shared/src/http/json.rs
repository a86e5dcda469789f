use super::problem::ApiError;
use crate::strict_json::ObjectsOnly;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

/// Like `axum::Json`, but a bad body gets a problem+json answer naming the field at fault.
#[derive(Debug, Clone)]
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_media_type);
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            // A chunked body has no length to refuse up front; it is cut off while read.
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                ApiError::payload_too_large()
            }
            other => body_read_error(&other, other.body_text()),
        })?;
        parse(&bytes).map(ValidJson)
    }
}

/// The answer to a body that could not be read: 413 past the size limit, 408 when it paused too
/// long (tower-http's body timeout), else 400 with `detail`.
pub(super) fn body_read_error(err: &(dyn std::error::Error + 'static), detail: String) -> ApiError {
    let mut source = Some(err);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::body_timeout();
        }
        if err.is::<http_body_util::LengthLimitError>() {
            return ApiError::payload_too_large();
        }
        source = err.source();
    }
    ApiError::malformed(detail)
}

/// Whether a `Content-Type` value names JSON: `application/json` or `application/<x>+json`,
/// compared case-insensitively as a media type, parameters (`; charset=utf-8`) ignored.
pub fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let subtype = subtype.to_ascii_lowercase();
    kind.eq_ignore_ascii_case("application")
        && (subtype == "json" || (subtype.ends_with("+json") && subtype.len() > 5))
}

/// Deserializes `bytes` (a struct only from an object: see [`crate::strict_json`]), turning
/// serde's error into the field it is about.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(ObjectsOnly(&mut de)).map_err(field_error)?;
    // Like serde_json::from_slice: a document with something after it is not one document.
    de.end().map_err(|e| ApiError::malformed(e.to_string()))?;
    Ok(value)
}

/// serde's error, named by the path of the field it is about.
fn field_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::malformed(inner.to_string());
    }
    let message = inner.to_string();
    let field = match missing_field(&message) {
        Some(missing) if path == "." => missing.to_string(),
        Some(missing) => format!("{path}.{missing}"),
        None => path,
    };
    // serde appends " at line L column C"; the field name says more.
    let detail = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    ApiError::invalid_field(field, detail)
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Invite {
        contact: Contact,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Contact {
        name: String,
        email: String,
    }

    #[test]
    fn a_missing_nested_field_is_named_by_its_path() {
        let err = parse::<Invite>(br#"{"contact": {"name": "Ann"}}"#).expect_err("invalid");
        assert_eq!(err.problem().field.as_deref(), Some("contact.email"));
        assert_eq!(err.status().as_u16(), 422);
    }

    #[test]
    fn a_wrong_type_is_named_by_its_path() {
        let err =
            parse::<Invite>(br#"{"contact": {"name": 7, "email": "a@b.c"}}"#).expect_err("invalid");
        assert_eq!(err.problem().field.as_deref(), Some("contact.name"));
    }

    #[test]
    fn content_type_is_compared_as_a_media_type() {
        for accepted in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            " application/json ;charset=UTF-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json_media_type(accepted), "{accepted:?}");
        }
        for refused in [
            "application/json-garbage",
            "application/jsonx",
            "text/json",
            "application/+json",
            "json",
            "",
        ] {
            assert!(!is_json_media_type(refused), "{refused:?}");
        }
    }

    #[test]
    fn an_array_for_an_object_is_refused_with_its_path() {
        let top = parse::<Contact>(br#"["Ann", "a@b.c"]"#).expect_err("an array");
        assert_eq!(top.status().as_u16(), 422);
        let nested = parse::<Invite>(br#"{"contact": ["Ann", "a@b.c"]}"#).expect_err("nested");
        assert_eq!(nested.problem().field.as_deref(), Some("contact"));
    }

    #[test]
    fn something_after_the_document_is_a_400() {
        let err = parse::<Contact>(br#"{"name": "Ann", "email": "a@b.c"} {}"#).expect_err("two");
        assert_eq!(err.status().as_u16(), 400);
    }

    #[test]
    fn broken_json_is_a_400() {
        let err = parse::<Invite>(b"{not json").expect_err("invalid");
        assert_eq!(err.status().as_u16(), 400);
    }
}
