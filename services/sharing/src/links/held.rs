//! The receiver's child records (a contact of an account, a task): a child offer waits in the
//! inbox until its parent's copy exists, and is then accepted under that copy, its lookup to
//! the parent set to the copy's id. A child has no Auto-Accept of its own: it follows its
//! parent's acceptance (the parent's mode), and a child arriving after its parent was accepted
//! is added automatically.
//!
//! The parent's copy and its children's offers arrive on different messages, handled
//! concurrently: both take a transaction lock on the partner's parent record, so that a child
//! arriving while its parent's copy is being recorded is either seen by it or sees it.

use super::inbox::{self, Acceptance, Entry};
use super::product_lines;
use super::rules::products;
use super::rules::{Refusal, children};
use super::status::{Direction, Status};
use super::store::{self, LinkRow};
use crate::objects::store as objects;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::ids::OrgId;
use shared::message::events::sharing::AcceptMode;
use uuid::Uuid;

/// Serialises, per org, connection and partner's parent record, the arrival of its children
/// with the recording of its copy (until the transaction ends).
pub async fn lock_parent(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    partner_object: &str,
    partner_record_id: &str,
) -> diesel::QueryResult<()> {
    let key = format!("children/{org}/{connection_id}/{partner_object}/{partner_record_id}");
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// The org's live received link of the partner's record: the parent's copy, once it exists.
pub async fn parent_copy(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    connection_id: Uuid,
    partner_object: &str,
    partner_record_id: &str,
) -> diesel::QueryResult<Option<LinkRow>> {
    let link =
        store::by_partner_record(conn, org, connection_id, partner_object, partner_record_id)
            .await?;
    Ok(link.filter(|l| {
        l.direction == Direction::Received.as_str() && l.status() == Some(Status::ActiveReceived)
    }))
}

/// The entry's parent copy when it is a child whose parent was accepted: `None` for a child
/// that still waits (and for a record that is no child).
pub async fn parent_of(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
) -> diesel::QueryResult<Option<LinkRow>> {
    let (Some(object), Some(record_id)) = (&entry.parent_object, &entry.parent_record_id) else {
        return Ok(None);
    };
    parent_copy(
        conn,
        OrgId(entry.org_id),
        entry.connection_id,
        object,
        record_id,
    )
    .await
}

/// Accepts a child under its parent's copy: the child's lookup to the parent (the org's field
/// of the sender's name when it has one) names the copy. An opportunity product the org's
/// records do not allow ([`product_lines::check`]) is not created: it waits with the reason as
/// its `error`, which is returned.
pub async fn accept_under(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
    parent: &LinkRow,
    mode: AcceptMode,
    how: Acceptance,
) -> diesel::QueryResult<Result<(), Refusal>> {
    let mut also = how.also.clone();
    if entry.object == products::OPPORTUNITY_PRODUCT {
        match product_lines::check(conn, entry, parent).await? {
            Ok(price_book_entry) => {
                also.insert(
                    products::PRICE_BOOK_ENTRY_LOOKUP.to_string(),
                    Value::String(price_book_entry),
                );
            }
            Err(refusal) => {
                let error = format!("{}: {}", refusal.code, refusal.detail);
                inbox::failed(conn, entry, &error).await?;
                return Ok(Err(refusal));
            }
        }
    }
    let fields = objects::one(conn, OrgId(entry.org_id), &entry.object)
        .await?
        .map(|o| o.fields)
        .unwrap_or_default();
    let sender_lookup = entry.parent_lookup.as_deref().unwrap_or_default();
    let lookup = children::receiver_lookup(&fields, &parent.object, sender_lookup);
    let how = Acceptance {
        parent: lookup.map(|l| (l, parent.local_record_id.clone())),
        also,
        ..how
    };
    inbox::accept(conn, entry, mode, &how).await?;
    Ok(Ok(()))
}

/// The parent's copy exists: accepts the children that waited for it, in the parent's mode.
pub async fn release(
    conn: &mut AsyncPgConnection,
    parent_entry: &Entry,
    parent: &LinkRow,
) -> diesel::QueryResult<()> {
    let org = OrgId(parent_entry.org_id);
    let waiting = inbox::children_of(
        conn,
        org,
        parent_entry.connection_id,
        &parent_entry.partner_object,
        &parent_entry.partner_record_id,
    )
    .await?;
    for child in waiting {
        let mode = parent_entry.mode();
        // A product line the org's records refuse waits with its error.
        let _ = accept_under(conn, &child, parent, mode, Acceptance::default()).await?;
    }
    Ok(())
}

/// The org's opportunity `opportunity` got a price book: the product lines waiting under it
/// with an error (held by the receiver's conditions) are tried again, automatically, as when
/// the opportunity's copy was made; one still refused waits with its new reason.
pub async fn retry_product_lines(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    opportunity: &str,
) -> diesel::QueryResult<()> {
    let received = store::of_record(conn, org, products::OPPORTUNITY, opportunity)
        .await?
        .into_iter()
        .filter(|l| {
            l.direction == Direction::Received.as_str()
                && l.status() == Some(Status::ActiveReceived)
        });
    for parent in received {
        let (Some(partner_object), Some(partner_record_id)) =
            (&parent.partner_object, &parent.partner_record_id)
        else {
            continue;
        };
        lock_parent(
            conn,
            org,
            parent.connection_id,
            partner_object,
            partner_record_id,
        )
        .await?;
        let waiting = inbox::children_of(
            conn,
            org,
            parent.connection_id,
            partner_object,
            partner_record_id,
        )
        .await?;
        let held = waiting
            .iter()
            .filter(|e| e.object == products::OPPORTUNITY_PRODUCT && e.error.is_some());
        for line in held {
            let how = Acceptance {
                assign_to: line.assign_to,
                ..Acceptance::default()
            };
            let _ = accept_under(conn, line, &parent, AcceptMode::Automatically, how).await?;
        }
    }
    Ok(())
}

/// The parent was rejected: its waiting children are rejected with it.
pub async fn reject_with(
    conn: &mut AsyncPgConnection,
    parent_entry: &Entry,
    sender: OrgId,
) -> diesel::QueryResult<()> {
    let waiting = inbox::children_of(
        conn,
        OrgId(parent_entry.org_id),
        parent_entry.connection_id,
        &parent_entry.partner_object,
        &parent_entry.partner_record_id,
    )
    .await?;
    for child in waiting {
        let reason = format!("its parent {} was rejected", parent_entry.name);
        inbox::reject(conn, &child, sender, Some(reason)).await?;
    }
    Ok(())
}
