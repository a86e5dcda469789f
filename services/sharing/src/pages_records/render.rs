//! Pieces the record pages share: an API error as a page, dates, a record's address, values.

use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use shared::http::ApiError;
use shared::web::escape::{escape, url_encode};
use shared::web::{Back, WebUser, api_error_page};

/// The page for an API error, with a way back to the inbox.
pub fn error_page(err: &ApiError, user: &WebUser) -> Response {
    api_error_page(err, Some(user), Back::INBOX)
}

/// A date as pages show it (`6 Dec 2026`).
pub fn date(at: &DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// The page of one of the org's records (object and id percent-encoded as path segments).
pub fn record_path(object: &str, record_id: &str) -> String {
    format!("/records/{}/{}", url_encode(object), url_encode(record_id))
}

/// A field value in words: text as is, anything else as JSON, nothing as a dash.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Fields as a definition list (`Name: Initrode`), escaped.
pub fn fields_list(fields: &Map<String, Value>) -> String {
    if fields.is_empty() {
        return "<p>No fields.</p>".to_string();
    }
    let mut out = String::from("<dl class=\"fields\">");
    for (name, value) in fields {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            escape(name),
            escape(&value_text(value))
        ));
    }
    out.push_str("</dl>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_paths_encode_their_segments() {
        assert_eq!(
            record_path("Account", "a/b c"),
            "/records/Account/a%2Fb%20c"
        );
    }

    #[test]
    fn values_read_as_words() {
        assert_eq!(value_text(&json!("Hot")), "Hot");
        assert_eq!(value_text(&json!(3)), "3");
        assert_eq!(value_text(&Value::Null), "—");
    }
}
