//! The failure policy.
//!
//! - At the edges (`main`, the service runner, CLI commands) errors are `anyhow::Error`, with
//!   `.context()` on every I/O `?` so the log says what was being done.
//! - Where a caller branches on the outcome, a small `thiserror` enum says which outcomes exist.
//! - A message handler answers with a [`HandlerError`], and that choice decides the message's fate:
//!   * [`HandlerError::Permanent`]: retrying cannot help (the message contradicts our data, a rule
//!     refuses it). The message goes to the service's dead-letter queue with the reason, at once.
//!   * [`HandlerError::Transient`]: the world may be different later (a lock timeout, a server
//!     that did not answer). The message waits in the next retry queue and comes back; after the
//!     last attempt it is dead-lettered with the last error.
//!   * A body that does not decode is permanent by definition.
//!   * While PostgreSQL is unreachable the consumer waits for it instead of spending attempts.
//!
//! Nothing is requeued in a loop, and no worker panics on input: a panic is a bug.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Retrying later may succeed.
    #[error("transient: {0:#}")]
    Transient(anyhow::Error),
    /// Retrying will never succeed; dead-letter with this reason.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl HandlerError {
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent(reason.into())
    }

    pub fn transient(err: impl Into<anyhow::Error>) -> Self {
        Self::Transient(err.into())
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Constraint violations are facts about the data: retrying will not change them.
/// Everything else from the database (lost connections, serialization failures, timeouts) may pass.
impl From<DieselError> for HandlerError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::CheckViolation
                | DatabaseErrorKind::NotNullViolation,
                info,
            ) => Self::Permanent(format!("database refused the change: {}", info.message())),
            _ => Self::Transient(err.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_and_lost_connections_are_transient() {
        assert!(HandlerError::from(DieselError::NotFound).is_transient());
        assert!(HandlerError::from(DieselError::BrokenTransactionManager).is_transient());
    }
}
