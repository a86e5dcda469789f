//! How the domain errors of schemas, publications and templates are answered over HTTP.

use crate::objects::changes::SchemaError;
use crate::publications::change::PublishError;
use crate::templates::apply::ApplyError;
use crate::templates::store::TemplateError;
use shared::http::ApiError;

impl From<SchemaError> for ApiError {
    fn from(err: SchemaError) -> Self {
        match err {
            SchemaError::Invalid(invalid) => invalid.into(),
            SchemaError::NotFound(what) => ApiError::not_found(what),
            SchemaError::StandardOnly(detail) => ApiError::conflict(detail, "standard"),
            SchemaError::Publish(err) => err.into(),
            SchemaError::Database(err) => err.into(),
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(err: PublishError) -> Self {
        match err {
            PublishError::NoConnection => ApiError::not_found("connection"),
            PublishError::Closed(status) => ApiError::conflict(
                "publications change only on invited or accepted connections",
                status,
            ),
            PublishError::NotPublished(object) => {
                ApiError::not_found(&format!("publication of {object} on this connection"))
            }
            broken @ PublishError::NoPartnerRecipient(_) => ApiError::internal(broken),
            PublishError::Database(err) => err.into(),
        }
    }
}

impl From<TemplateError> for ApiError {
    fn from(err: TemplateError) -> Self {
        match err {
            TemplateError::Invalid(invalid) => invalid.into(),
            TemplateError::NotFound => ApiError::not_found("connection template"),
            TemplateError::Database(err) => err.into(),
        }
    }
}

impl From<ApplyError> for ApiError {
    fn from(err: ApplyError) -> Self {
        match err {
            ApplyError::Template(err) => err.into(),
            ApplyError::Inactive => ApiError::invalid_field(
                "template_id",
                "the template is inactive: only active templates can be applied",
            ),
            ApplyError::Stale(invalid) => ApiError::invalid_field(
                invalid.field,
                format!(
                    "the template no longer fits your objects: {}",
                    invalid.reason
                ),
            ),
            ApplyError::Publish(err) => err.into(),
        }
    }
}
