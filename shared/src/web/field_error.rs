//! An API error placed at the form control of the field it names, so a person reads what is
//! wrong next to what they typed.

use super::escape::escape;
use super::notice::problem_text;
use crate::http::ApiError;

/// An element id made of a name (API names are letters, digits and `_`; anything else is
/// replaced, so the id stays valid).
pub fn id_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The API error in words, placed at the control of `field` when the error names it.
pub fn error_at(error: Option<&ApiError>, field: &str) -> String {
    match error {
        Some(err) if err.problem().field.as_deref() == Some(field) => format!(
            "<p class=\"notice error field-error\" id=\"error-{}\">{}</p>",
            id_part(field),
            escape(&problem_text(err))
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_is_shown_only_at_the_field_it_names() {
        let err = ApiError::invalid_field("contact.email", "is not an email address");
        let shown = error_at(Some(&err), "contact.email");
        assert!(shown.contains("id=\"error-contact-email\""), "{shown}");
        assert!(shown.contains("the contact email is not an email address"));
        assert_eq!(error_at(Some(&err), "account"), "");
        assert_eq!(error_at(None, "account"), "");
    }
}
