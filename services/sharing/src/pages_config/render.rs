//! Pieces the configuration pages share: an API error as a page or as words at a field, and
//! the checkboxes of an object's publishable fields.

use axum::response::Response;
use shared::crm::{FieldType, ObjectDef};
use shared::http::ApiError;
use shared::web::escape::escape;
// Shared with the other services' forms.
pub use shared::web::field_error::{error_at, id_part};
use shared::web::{Back, WebUser, api_error_page};

/// The page for an API error, with a way back to `back`.
pub fn error_page(err: &ApiError, user: &WebUser, back: &str) -> Response {
    let back = Back {
        href: back,
        words: "Go back",
    };
    api_error_page(err, Some(user), back)
}

/// Whether a field of this type can be published (the API refuses the others).
pub fn publishable(field_type: &FieldType) -> bool {
    !matches!(
        field_type,
        FieldType::RichText { .. } | FieldType::Geolocation | FieldType::Encrypted { .. }
    )
}

/// One checkbox per publishable field of `object`, named `field` with the field's API name as
/// value (prefixed `{object}.` when `qualified`), those in `checked` ticked.
pub fn field_checkboxes(
    object: &ObjectDef,
    checked: &[String],
    id_prefix: &str,
    qualified: bool,
) -> String {
    let mut out = format!(
        "<fieldset class=\"fields\"><legend>Fields of {} to publish</legend>",
        escape(&object.label)
    );
    for field in object.fields.iter().filter(|f| publishable(&f.field_type)) {
        let id = format!("{id_prefix}-{}", id_part(&field.api_name));
        let value = if qualified {
            format!("{}.{}", object.api_name, field.api_name)
        } else {
            field.api_name.clone()
        };
        let tick = if checked.contains(&field.api_name) {
            " checked"
        } else {
            ""
        };
        out.push_str(&format!(
            "<label for=\"{id}\" class=\"check\"><input type=\"checkbox\" id=\"{id}\" name=\"field\" \
             value=\"{value}\"{tick}> {label} ({api})</label>",
            id = escape(&id),
            value = escape(&value),
            label = escape(&field.label),
            api = escape(&field.api_name),
        ));
    }
    out.push_str("</fieldset>");
    out
}

/// The values of every `name` pair of a posted form, in order.
pub fn values<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .collect()
}

/// The first value of `name` in a posted form.
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    values(pairs, name).into_iter().next()
}
