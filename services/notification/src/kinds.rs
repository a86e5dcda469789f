//! The email kinds: for each, the variables its templates may use and sample values for previews
//! and save-time checks. Every template may also use `sender_org_name` (the base layout does).

use serde_json::{Value, json};

pub struct Kind {
    pub name: &'static str,
    /// Who receives it, for the API's listing.
    pub audience: &'static str,
    pub variables: &'static [&'static str],
    pub sample: fn() -> Value,
}

/// Used by the base layout, so available to every kind.
pub const COMMON_VARIABLES: &[&str] = &["sender_org_name"];

pub const KINDS: &[Kind] = &[
    Kind {
        name: "invitation",
        audience: "the invited contact",
        variables: &[
            "inviter_org_name",
            "contact_name",
            "accept_url",
            "expires_on",
        ],
        sample: invitation_sample,
    },
    Kind {
        name: "invitation_resent",
        audience: "the invited contact",
        variables: &[
            "inviter_org_name",
            "contact_name",
            "accept_url",
            "expires_on",
        ],
        sample: invitation_sample,
    },
    Kind {
        name: "invitation_cancelled",
        audience: "the invited contact",
        variables: &["inviter_org_name", "contact_name"],
        sample: invitation_sample,
    },
    Kind {
        name: "invitation_accepted",
        audience: "the inviting org's connection owner",
        variables: &[
            "partner_org_name",
            "owner_name",
            "response_date",
            "connection_url",
        ],
        sample: answer_sample,
    },
    Kind {
        name: "invitation_declined",
        audience: "the inviting org's connection owner",
        variables: &[
            "partner_org_name",
            "owner_name",
            "response_date",
            "connection_url",
        ],
        sample: answer_sample,
    },
    Kind {
        name: "connection_deactivated",
        audience: "the other side of the connection",
        variables: &[
            "deactivated_by_org_name",
            "recipient_name",
            "deactivated_on",
            "connection_url",
        ],
        sample: deactivated_sample,
    },
    Kind {
        name: "connection_updated",
        audience: "the partner's connection owner",
        variables: &[
            "publisher_org_name",
            "recipient_name",
            "objects_published",
            "objects_unpublished",
            "changes",
            "connection_url",
        ],
        sample: updated_sample,
    },
    Kind {
        name: "records_forwarded",
        audience: "the receiving org's connection owner, for records new to it",
        variables: &[
            "sender_org_name",
            "recipient_name",
            "records",
            "connection_url",
        ],
        sample: forwarded_sample,
    },
    Kind {
        name: "sync_failures",
        audience: "the connection owner, one digest per connection and period",
        variables: &[
            "owner_name",
            "failures",
            "period_start",
            "period_end",
            "connection_url",
        ],
        sample: failures_sample,
    },
    Kind {
        name: "sign_in_link",
        audience: "the user who asked to sign in to the web pages",
        variables: &["user_name", "org_name", "sign_in_url", "expires_at"],
        sample: sign_in_sample,
    },
];

pub fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

fn with_sender(mut value: Value) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.entry("sender_org_name")
            .or_insert_with(|| json!("Acme Corp"));
    }
    value
}

fn invitation_sample() -> Value {
    with_sender(json!({
        "inviter_org_name": "Acme Corp",
        "contact_name": "Ann Smith",
        "accept_url": "https://partnernet.example/invitations/accept?token=sample",
        "expires_on": "23 December 2026",
    }))
}

fn answer_sample() -> Value {
    with_sender(json!({
        "partner_org_name": "Globex",
        "owner_name": "Olive Owner",
        "response_date": "23 November 2026",
        "connection_url": "https://partnernet.example/connections/sample",
    }))
}

fn deactivated_sample() -> Value {
    with_sender(json!({
        "deactivated_by_org_name": "Globex",
        "recipient_name": "Olive Owner",
        "deactivated_on": "23 November 2026",
        "connection_url": "https://partnernet.example/connections/sample",
    }))
}

fn updated_sample() -> Value {
    with_sender(json!({
        "publisher_org_name": "Globex",
        "recipient_name": "Olive Owner",
        "objects_published": ["Opportunity"],
        "objects_unpublished": ["Case"],
        "changes": [{ "object": "Account", "fields_added": ["Phone"], "fields_removed": ["Fax"] }],
        "connection_url": "https://partnernet.example/connections/sample",
    }))
}

fn forwarded_sample() -> Value {
    with_sender(json!({
        "sender_org_name": "Globex",
        "recipient_name": "Olive Owner",
        "records": [{ "object": "Account", "record_id": "001", "name": "Initech" }],
        "connection_url": "https://partnernet.example/connections/sample",
    }))
}

fn failures_sample() -> Value {
    with_sender(json!({
        "owner_name": "Olive Owner",
        "failures": [{
            "object": "Account", "record_id": "001", "record_name": "Initech",
            "error": "validation rule: Phone is required", "attempts": 6,
            "failed_at": "23 November 2026 10:00 UTC"
        }],
        "period_start": "23 November 2026 09:45 UTC",
        "period_end": "23 November 2026 10:00 UTC",
        "connection_url": "https://partnernet.example/connections/sample",
    }))
}

fn sign_in_sample() -> Value {
    with_sender(json!({
        "user_name": "Olive Owner",
        "org_name": "Acme Corp",
        "sign_in_url": "https://partnernet.example/sign-in/link?token=sample",
        "expires_at": "23 November 2026 10:15 UTC",
    }))
}
