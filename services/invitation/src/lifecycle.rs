//! The connection state machine, in one place.
//!
//! One row is shared by both sides of a connection. Its stored status moves like this:
//!
//! ```text
//!   Sent ──claim──▶ Received ──decide later──▶ Pending
//!    │  ▲             │  │                       │  │
//!    │  └─resend      │  └────accept──▶ Accepted ◀─┘  │   (accept from Received or Pending)
//!    │                │                   │           │
//!    │                └────decline─▶ Rejected ◀───────┘   (decline from Received or Pending)
//!    │                                    │
//!    └─cancel (from Sent, Received,       └─deactivate──▶ Inactive
//!      Pending) ──▶ Cancelled
//! ```
//!
//! Each side sees the status from where it stands: while the invitation is unanswered the
//! inviter sees `Sent`, the invitee `Received` (or `Pending` once it chose to decide later).
//! Routes call [`transition`] and [`may_act`]; nothing else changes a connection's status.

use crate::connection::Status;

/// What a side asks to do with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The invitee redeems the invitation token.
    Claim,
    Accept,
    Decline,
    DecideLater,
    /// The inviter sends the invitation again, with a new token.
    Resend,
    Cancel,
    Deactivate,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Claim,
        Action::Accept,
        Action::Decline,
        Action::DecideLater,
        Action::Resend,
        Action::Cancel,
        Action::Deactivate,
    ];

    /// The verb, as problem details name it.
    pub fn verb(self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::DecideLater => "decide later on",
            Action::Resend => "resend",
            Action::Cancel => "cancel",
            Action::Deactivate => "deactivate",
        }
    }
}

/// Which side of the connection an org is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Inviter,
    Invitee,
}

/// The action is not allowed in the current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAllowed {
    pub current: Status,
    pub action: Action,
}

impl std::fmt::Display for NotAllowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot {} a connection whose status is {}",
            self.action.verb(),
            self.current.as_str()
        )
    }
}

/// The stored status after `action`, or why it is not allowed.
pub fn transition(current: Status, action: Action) -> Result<Status, NotAllowed> {
    use Action as A;
    use Status as S;
    let next = match (current, action) {
        (S::Sent, A::Claim) => S::Received,
        (S::Received | S::Pending, A::Accept) => S::Accepted,
        (S::Received | S::Pending, A::Decline) => S::Rejected,
        (S::Received, A::DecideLater) => S::Pending,
        (S::Sent, A::Resend) => S::Sent,
        (S::Sent | S::Received | S::Pending, A::Cancel) => S::Cancelled,
        (S::Accepted, A::Deactivate) => S::Inactive,
        _ => return Err(NotAllowed { current, action }),
    };
    Ok(next)
}

/// Whether `side` may ask for `action` at all (whatever the status).
pub fn may_act(side: Side, action: Action) -> bool {
    match action {
        Action::Claim | Action::Accept | Action::Decline | Action::DecideLater => {
            side == Side::Invitee
        }
        Action::Resend | Action::Cancel => side == Side::Inviter,
        Action::Deactivate => true,
    }
}

/// The stored status as `side` sees it.
pub fn seen_by(stored: Status, side: Side) -> Status {
    match (stored, side) {
        (Status::Received | Status::Pending, Side::Inviter) => Status::Sent,
        (Status::Sent, Side::Invitee) => Status::Received,
        (status, _) => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Status as S;

    const STATUSES: [Status; 7] = [
        S::Sent,
        S::Received,
        S::Pending,
        S::Accepted,
        S::Rejected,
        S::Inactive,
        S::Cancelled,
    ];

    #[test]
    fn every_pair_of_status_and_action_is_allowed_or_refused_as_specified() {
        let allowed = [
            (S::Sent, A::Claim, S::Received),
            (S::Received, A::Accept, S::Accepted),
            (S::Pending, A::Accept, S::Accepted),
            (S::Received, A::Decline, S::Rejected),
            (S::Pending, A::Decline, S::Rejected),
            (S::Received, A::DecideLater, S::Pending),
            (S::Sent, A::Resend, S::Sent),
            (S::Sent, A::Cancel, S::Cancelled),
            (S::Received, A::Cancel, S::Cancelled),
            (S::Pending, A::Cancel, S::Cancelled),
            (S::Accepted, A::Deactivate, S::Inactive),
        ];
        for current in STATUSES {
            for action in Action::ALL {
                let expected = allowed
                    .iter()
                    .find(|(c, a, _)| *c == current && *a == action)
                    .map(|(_, _, next)| *next);
                match (transition(current, action), expected) {
                    (Ok(next), Some(want)) => assert_eq!(next, want, "{current:?} {action:?}"),
                    (Err(e), None) => {
                        assert_eq!(e, NotAllowed { current, action });
                        assert!(e.to_string().contains(current.as_str()));
                    }
                    (got, want) => panic!("{current:?} {action:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn answers_belong_to_the_invitee_and_resend_and_cancel_to_the_inviter() {
        for action in [A::Claim, A::Accept, A::Decline, A::DecideLater] {
            assert!(may_act(Side::Invitee, action));
            assert!(!may_act(Side::Inviter, action));
        }
        for action in [A::Resend, A::Cancel] {
            assert!(may_act(Side::Inviter, action));
            assert!(!may_act(Side::Invitee, action));
        }
        assert!(may_act(Side::Inviter, A::Deactivate));
        assert!(may_act(Side::Invitee, A::Deactivate));
    }

    #[test]
    fn an_unanswered_invitation_is_sent_for_the_inviter_and_received_for_the_invitee() {
        assert_eq!(seen_by(S::Received, Side::Inviter), S::Sent);
        assert_eq!(seen_by(S::Pending, Side::Inviter), S::Sent);
        assert_eq!(seen_by(S::Received, Side::Invitee), S::Received);
        assert_eq!(seen_by(S::Pending, Side::Invitee), S::Pending);
        for status in [S::Accepted, S::Rejected, S::Inactive, S::Cancelled] {
            assert_eq!(seen_by(status, Side::Inviter), status);
            assert_eq!(seen_by(status, Side::Invitee), status);
        }
    }
}
