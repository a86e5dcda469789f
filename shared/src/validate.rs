//! Checks on values that come from outside, shared by every service's HTTP layer.

use crate::http::ApiError;
use std::str::FromStr;

/// A trimmed, non-empty text of at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid_field(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// A syntactically valid email address (RFC 5321/5322), without display name, lower-cased domain.
pub fn email(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    let parsed = email_address::EmailAddress::from_str(value).map_err(|e| {
        ApiError::invalid_field(field, format!("is not a valid email address: {e}"))
    })?;
    if value.contains('<') || !parsed.domain().contains('.') {
        return Err(ApiError::invalid_field(
            field,
            "is not a valid email address: expected name@domain.tld",
        ));
    }
    Ok(format!(
        "{}@{}",
        parsed.local_part(),
        parsed.domain().to_lowercase()
    ))
}

/// A UUID taken from a path or query parameter.
pub fn uuid(field: &str, value: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(value.trim())
        .map_err(|_| ApiError::invalid_field(field, "must be a UUID"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_addresses_pass_and_bad_ones_name_the_field() {
        assert_eq!(
            email("e", " Ann@Example.COM ").ok().as_deref(),
            Some("Ann@example.com")
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@localhost",
            "a b@example.com",
            "Ann <ann@example.com>",
        ] {
            let err = email("contact.email", bad).expect_err(bad);
            assert_eq!(
                err.problem().field.as_deref(),
                Some("contact.email"),
                "{bad}"
            );
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("n", "  Ann ", 10).ok().as_deref(), Some("Ann"));
        assert!(text("n", "   ", 10).is_err());
        assert!(text("n", "abcdefghijk", 10).is_err());
        assert!(text("n", "a\r\nBcc: x", 100).is_err());
    }
}
