//! A link's status (S2S's six) and direction.

use serde::Serialize;

/// Where a link stands. This slice drives the first three; the others are set by stop
/// sharing, deletion and conversion (later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Status {
    /// Forwarded, not accepted yet.
    #[serde(rename = "Pending (sent)")]
    PendingSent,
    /// Forwarded and accepted by the partner.
    #[serde(rename = "Active (sent)")]
    ActiveSent,
    /// Sent by the partner and accepted here.
    #[serde(rename = "Active (received)")]
    ActiveReceived,
    /// No longer shared (stopped, or the partner rejected it).
    #[serde(rename = "Inactive")]
    Inactive,
    /// Accepted, then deleted by the receiver.
    #[serde(rename = "Inactive (deleted)")]
    InactiveDeleted,
    /// A lead the receiver accepted and converted.
    #[serde(rename = "Inactive (converted)")]
    InactiveConverted,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::PendingSent,
        Status::ActiveSent,
        Status::ActiveReceived,
        Status::Inactive,
        Status::InactiveDeleted,
        Status::InactiveConverted,
    ];

    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingSent => "Pending (sent)",
            Status::ActiveSent => "Active (sent)",
            Status::ActiveReceived => "Active (received)",
            Status::Inactive => "Inactive",
            Status::InactiveDeleted => "Inactive (deleted)",
            Status::InactiveConverted => "Inactive (converted)",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Shared now, or waiting for the partner: forwarding again would send a duplicate.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Status::PendingSent | Status::ActiveSent | Status::ActiveReceived
        )
    }
}

/// Which way the record went, seen from the link's org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Sent,
    Received,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "sent" => Some(Direction::Sent),
            "received" => Some(Direction::Received),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_as_written() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            let json = serde_json::to_value(status).expect("serialises");
            assert_eq!(json, status.as_str());
        }
        assert_eq!(Status::parse("Pending (received)"), None);
    }
}
