//! The record store: an org's records with a version and, per field, a stamp and an origin.
//!
//! Every write, whatever its source (AMQP ingest, HTTP, bulk), goes through
//! [`batch::upsert_many`] (a run of upserts with set statements; a single HTTP write is a run of
//! one), [`write::Writer::delete`] or [`write::Writer::touch`] (a save without a change of
//! value): validated against the org's schema, stored with the version +1 and new stamps for
//! the changed fields only, and published as one `RecordChangedV1` through the outbox in the
//! same transaction. A write that changes nothing stores and publishes nothing; only an explicit
//! touch makes a new version without a change of value.

pub mod batch;
pub mod bulk;
mod links_may_end;
pub mod read;
pub mod record_stamp;
pub mod write;

use serde::{Deserialize, Serialize};
use shared::crm::values::RuleViolation;
use shared::hlc::Hlc;

/// The version of one field's value: when (by the hybrid logical clock) and where it was set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldStamp {
    pub stamp: Hlc,
    /// The org whose write set the value (a partner's, once sync propagates).
    pub origin: uuid::Uuid,
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created {
        version: i64,
    },
    Updated {
        version: i64,
    },
    /// Nothing changed: nothing stored, nothing published.
    Unchanged {
        version: i64,
    },
    Deleted {
        version: i64,
    },
}

impl Outcome {
    pub fn version(self) -> i64 {
        match self {
            Self::Created { version }
            | Self::Updated { version }
            | Self::Unchanged { version }
            | Self::Deleted { version } => version,
        }
    }
}

/// Whether a write may create, update, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Upsert,
    CreateOnly,
    UpdateOnly,
}

/// Why a write was refused. Everything but `Database` is the input's fault.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("object: unknown object {0:?}")]
    UnknownObject(String),
    #[error("{0}")]
    Invalid(RuleViolation),
    #[error("record_id: no record {0:?}")]
    NotFound(String),
    #[error("record_id: a record {0:?} already exists")]
    AlreadyExists(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl WriteError {
    /// For a message: input errors are permanent (dead letter with the reason), database errors
    /// transient (retried).
    pub fn into_handler_error(self) -> shared::error::HandlerError {
        match self {
            Self::Database(e) => e.into(),
            Self::Invalid(v) => shared::error::HandlerError::permanent(format!(
                "field {}: rule {}: {}",
                v.field, v.rule, v.message
            )),
            other => shared::error::HandlerError::permanent(other.to_string()),
        }
    }

    /// For HTTP: 404, 409 or 422 naming the field and the rule.
    pub fn into_api_error(self) -> shared::http::ApiError {
        use shared::http::ApiError;
        match self {
            Self::Database(e) => e.into(),
            Self::UnknownObject(object) => {
                ApiError::invalid_field("object", format!("unknown object {object:?}"))
            }
            Self::Invalid(v) => ApiError::invalid_field(
                format!("fields.{}", v.field),
                format!("{} (rule {})", v.message, v.rule),
            ),
            Self::NotFound(_) => ApiError::not_found("record"),
            Self::AlreadyExists(id) => ApiError::conflict(
                format!("a record {id:?} already exists: use PUT or PATCH to change it"),
                "exists",
            ),
        }
    }
}
