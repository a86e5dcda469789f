//! Notices on a page: errors (the API's problems in words) and confirmations.

use super::escape::escape;
use crate::http::ApiError;

pub fn error(text: &str) -> String {
    format!(
        "<p class=\"notice error\" role=\"alert\">{}</p>",
        escape(text)
    )
}

pub fn success(text: &str) -> String {
    format!(
        "<p class=\"notice ok\" role=\"status\">{}</p>",
        escape(text)
    )
}

/// What an API error says, in a sentence for a person: the field at fault, then the detail.
pub fn problem_text(err: &ApiError) -> String {
    let problem = err.problem();
    let detail = problem.detail.trim_end_matches('.');
    match &problem.field {
        Some(field) => format!("{}: {} {detail}.", problem.title, field_words(field)),
        None => format!("{}: {detail}.", problem.title),
    }
}

/// `contact.email` as `the contact email`.
fn field_words(field: &str) -> String {
    format!("the {}", field.replace(['.', '_'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_as_a_sentence_naming_the_field() {
        let err = ApiError::invalid_field("contact.email", "is not an email address");
        assert_eq!(
            problem_text(&err),
            "A field is invalid: the contact email is not an email address."
        );
        assert_eq!(
            problem_text(&ApiError::forbidden("manage_connections")),
            "The API key lacks a scope: this action needs the `manage_connections` scope."
        );
    }

    #[test]
    fn notices_are_escaped() {
        assert!(error("<b>").contains("&lt;b&gt;"));
    }
}
