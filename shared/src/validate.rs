//! Checks on values that come from outside, shared by every service's HTTP routes, message
//! handlers and the CLI. They return [`Invalid`], a domain error: an HTTP route answers it as a
//! 422 problem naming the field (`From<Invalid> for ApiError`), the CLI prints it.

use std::str::FromStr;

/// A value that is not acceptable: the field (a dotted path, e.g. `contact.email`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct Invalid {
    pub field: String,
    pub reason: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A trimmed, non-empty text of at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(value.to_string())
}

/// A syntactically valid email address (RFC 5321/5322), without display name, lower-cased domain.
pub fn email(field: &str, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    let parsed = email_address::EmailAddress::from_str(value)
        .map_err(|e| Invalid::new(field, format!("is not a valid email address: {e}")))?;
    if value.contains('<') || !parsed.domain().contains('.') {
        return Err(Invalid::new(
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
pub fn uuid(field: &str, value: &str) -> Result<uuid::Uuid, Invalid> {
    uuid::Uuid::parse_str(value.trim()).map_err(|_| Invalid::new(field, "must be a UUID"))
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
            assert_eq!(err.field, "contact.email", "{bad}");
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
