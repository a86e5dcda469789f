use super::{Message, traceparent};
use crate::ids::{CorrelationId, MessageId, OrgId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The wire format of every message: metadata, then the typed payload.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Envelope<M> {
    /// Unique per message; a redelivery carries the same id.
    pub message_id: MessageId,
    /// The payload's kind, e.g. `connection.invitation_sent`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The payload's schema version.
    pub version: u32,
    /// When the fact happened (not when it was published).
    pub occurred_at: DateTime<Utc>,
    /// The organization the message is about and addressed to.
    pub org_id: OrgId,
    /// Shared by every message caused by the same request.
    pub correlation_id: CorrelationId,
    /// W3C trace context.
    pub traceparent: String,
    pub payload: M,
}

impl<M: Message> Envelope<M> {
    /// A message that starts a new chain (a request, a timer).
    pub fn new(org_id: OrgId, payload: M) -> Self {
        Self {
            message_id: MessageId::new(),
            kind: M::KIND.to_string(),
            version: M::VERSION,
            occurred_at: Utc::now(),
            org_id,
            correlation_id: CorrelationId::new(),
            traceparent: traceparent::for_new_chain(),
            payload,
        }
    }

    /// A message caused by `cause`: same correlation id, and its trace continued (or linked,
    /// when handled in a batch: see `shared::telemetry::trace_context`).
    pub fn caused_by(org_id: OrgId, payload: M, cause: &EnvelopeHead) -> Self {
        // Built field by field: `..Self::new(..)` would mint a correlation id and a whole new
        // trace only to drop them, and handlers call this once per message they send.
        Self {
            message_id: MessageId::new(),
            kind: M::KIND.to_string(),
            version: M::VERSION,
            occurred_at: Utc::now(),
            org_id,
            correlation_id: cause.correlation_id,
            traceparent: traceparent::for_next_hop(&cause.traceparent),
            payload,
        }
    }

    pub fn head(&self) -> EnvelopeHead {
        EnvelopeHead {
            message_id: self.message_id,
            kind: self.kind.clone(),
            version: self.version,
            occurred_at: self.occurred_at,
            org_id: self.org_id,
            correlation_id: self.correlation_id,
            traceparent: self.traceparent.clone(),
        }
    }

    /// Decodes a body known to hold an `M`, checking kind and version.
    /// Parses once on the happy path; only a failure parses the head again to say why.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let parsed = crate::strict_json::from_slice::<Self>(body);
        let head = match &parsed {
            Ok(envelope) => (envelope.kind.as_str(), envelope.version),
            Err(_) => {
                let head = EnvelopeHead::decode(body)?;
                if head.kind == M::KIND && head.version == M::VERSION {
                    return Err(DecodeError::BadPayload {
                        message_type: super::routing_key(M::KIND, M::VERSION),
                        reason: parsed.err().map(|e| e.to_string()).unwrap_or_default(),
                    });
                }
                return Err(DecodeError::UnexpectedType {
                    expected: super::routing_key(M::KIND, M::VERSION),
                    found: super::routing_key(&head.kind, head.version),
                });
            }
        };
        if head != (M::KIND, M::VERSION) {
            return Err(DecodeError::UnexpectedType {
                expected: super::routing_key(M::KIND, M::VERSION),
                found: super::routing_key(head.0, head.1),
            });
        }
        parsed.map_err(|e| DecodeError::BadEnvelope(e.to_string()))
    }
}

/// The envelope without its payload: enough to route, log and deduplicate.
#[derive(Debug, Clone, Deserialize)]
pub struct EnvelopeHead {
    pub message_id: MessageId,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u32,
    pub occurred_at: DateTime<Utc>,
    pub org_id: OrgId,
    pub correlation_id: CorrelationId,
    pub traceparent: String,
}

impl EnvelopeHead {
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        crate::strict_json::from_slice(body).map_err(|e| DecodeError::BadEnvelope(e.to_string()))
    }

    pub fn routing_key(&self) -> String {
        super::routing_key(&self.kind, self.version)
    }
}

/// Why a body could not be turned into a message. Always permanent: it goes to dead letters.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a PartnerNet envelope: {0}")]
    BadEnvelope(String),
    #[error("no handler here for message type {0}")]
    UnknownType(String),
    #[error("expected message type {expected}, found {found}")]
    UnexpectedType { expected: String, found: String },
    #[error("payload of {message_type} does not match its schema: {reason}")]
    BadPayload {
        message_type: String,
        reason: String,
    },
    #[error("{message_type} is invalid: {reason}")]
    Invalid {
        message_type: String,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::events::record::RecordDeleteV1;

    fn delete() -> RecordDeleteV1 {
        RecordDeleteV1 {
            object: "Account".into(),
            record_id: "a1".into(),
        }
    }

    #[test]
    fn a_caused_message_continues_its_cause_and_is_a_message_of_its_own() {
        let cause = Envelope::new(OrgId::new(), delete());
        let org = OrgId::new();
        let caused = Envelope::caused_by(org, delete(), &cause.head());
        assert_ne!(caused.message_id, cause.message_id);
        assert_eq!(caused.correlation_id, cause.correlation_id);
        assert_eq!(caused.org_id, org);
        assert_eq!((caused.kind.as_str(), caused.version), ("record.delete", 1));
        // Same trace id, a parent id of its own.
        assert_eq!(caused.traceparent[..35], cause.traceparent[..35]);
        assert_ne!(caused.traceparent, cause.traceparent);
        assert!(caused.occurred_at >= cause.occurred_at);
    }
}
