//! Each email kind in words for the pages: a title and what it is for.

/// The title and purpose of email kind `kind` (its name for a kind without words).
pub fn of(kind: &str) -> (&str, &'static str) {
    match kind {
        "invitation" => (
            "Invitation",
            "Invites a contact to connect with your organization.",
        ),
        "invitation_resent" => (
            "Invitation resent",
            "Sent again when you resend an invitation.",
        ),
        "invitation_cancelled" => (
            "Invitation cancelled",
            "Tells the contact that you cancelled your invitation.",
        ),
        "invitation_accepted" => (
            "Invitation accepted",
            "Tells your connection owner that a partner accepted.",
        ),
        "invitation_declined" => (
            "Invitation declined",
            "Tells your connection owner that a partner declined.",
        ),
        "connection_deactivated" => (
            "Connection deactivated",
            "Tells the partner that a connection was deactivated.",
        ),
        "connection_updated" => (
            "Connection updated",
            "Tells the partner what you now publish over a connection.",
        ),
        "records_forwarded" => (
            "Records forwarded",
            "Tells the partner's owner that you forwarded records to them.",
        ),
        "sync_failures" => (
            "Sync failures",
            "A digest of the updates that failed over a connection.",
        ),
        "sign_in_link" => (
            "Sign-in link",
            "The link a user asked for to sign in to these pages.",
        ),
        other => (other, "An email PartnerNet sends."),
    }
}
