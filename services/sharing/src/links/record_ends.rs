//! A linked record's end, read from the record changes the sync service marks as able to end
//! links (`RecordLinksMayEndV1`, whatever their source: HTTP, bulk, ingest, a partner's update;
//! `shared::crm::link_fields` says which, and a test below that it covers every rule here;
//! before, every `RecordChangedV1`, still handled when an older version left some queued):
//! a record deleted, or a lead converted (its Lead Status set to
//! `Closed - Converted`, the field change that stands for conversion here), or a case comment
//! or attachment made private (stopped, `Inactive`, as a stop by hand). The org's live
//! links of the record become `Inactive (deleted)` / `Inactive (converted)` with an end date,
//! and each partner is told ([`LinkEndedV1`]) so that its side ends the same way. An
//! opportunity given a price book has its held product lines tried again. A child shared under
//! its parent (a contact under its account, a task, a comment) edited so that it no longer
//! names that parent stops being shared (`Inactive`, as a stop by hand): S2S's "a related
//! record edited from an unshared record stops being shared". A change with no fields (a
//! delete aside) is ignored without touching the database.
//!
//! A delivery batch is handled at once: one statement finds which of its changed records were
//! sent under a parent at all, and only those are read one by one.

use super::ending::{status_for, tell_partner};
use super::held;
use super::rules::children::{made_private, still_names};
use super::rules::products::gives_price_book;
use super::status::{Direction, Status};
use super::store::{self, LinkRow, RecordKey};
use crate::connections;
use chrono::SubsecRound;
use diesel_async::AsyncPgConnection;
use shared::consumer::{BatchHandler, Context};
use shared::error::HandlerError;
use shared::ids::OrgId;
use shared::message::Envelope;
use shared::message::events::link_ends::EndReason;
use shared::message::events::sync::{RecordChangedV1, RecordLinksMayEndV1};

/// The Lead Status value that means the lead was converted.
pub const CONVERTED_STATUS: &str = "Closed - Converted";

/// Handles `RecordChangedV1` for the `record_ends` consumer.
pub struct EndOnRecordChange;

/// Whether the change ends the record's links, and how.
pub fn reason(change: &RecordChangedV1) -> Option<EndReason> {
    if change.deleted {
        return Some(EndReason::Deleted);
    }
    let converted = change.object == "Lead"
        && change
            .fields
            .get("Status")
            .and_then(|v| v.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case(CONVERTED_STATUS));
    if converted {
        return Some(EndReason::Converted);
    }
    // A case comment or attachment made private stops being shared.
    made_private(&change.object, &change.fields).then_some(EndReason::Stopped)
}

impl BatchHandler<RecordLinksMayEndV1> for EndOnRecordChange {
    async fn handle_batch(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<RecordLinksMayEndV1>],
    ) -> Result<(), HandlerError> {
        let changes: Vec<(OrgId, &RecordChangedV1)> =
            messages.iter().map(|m| (m.org_id, &m.payload.0)).collect();
        end_on_changes(conn, &changes).await
    }
}

/// Every record change, as an older version sent them (retired in favour of the above).
impl BatchHandler<RecordChangedV1> for EndOnRecordChange {
    async fn handle_batch(
        &self,
        _ctx: &Context<'_>,
        conn: &mut AsyncPgConnection,
        messages: &[&Envelope<RecordChangedV1>],
    ) -> Result<(), HandlerError> {
        let changes: Vec<(OrgId, &RecordChangedV1)> =
            messages.iter().map(|m| (m.org_id, &m.payload)).collect();
        end_on_changes(conn, &changes).await
    }
}

/// Ends or stops the links the `changes` end (see the module's doc), in order.
async fn end_on_changes(
    conn: &mut AsyncPgConnection,
    changes: &[(OrgId, &RecordChangedV1)],
) -> Result<(), HandlerError> {
    let may_move: Vec<RecordKey> = changes
        .iter()
        .filter(|(_, change)| may_move_a_child(change))
        .map(|(org, change)| key_of(*org, change))
        .collect();
    let under_a_parent = store::sent_under_a_parent(conn, &may_move).await?;
    for &(org, change) in changes {
        if gives_price_book(&change.object, change.deleted, &change.fields) {
            held::retry_product_lines(conn, org, &change.record_id).await?;
        }
        match reason(change) {
            Some(reason) => {
                let live = live_links(conn, org, change).await?;
                end_and_tell(conn, org, change, live, reason).await?;
            }
            None if under_a_parent.contains(&key_of(org, change)) => {
                end_links_of_a_moved_child(conn, org, change).await?;
            }
            None => {}
        }
    }
    Ok(())
}

/// Whether the change may have moved a child away from the parent it was shared under: a
/// change of fields that does not end the record's links anyway.
fn may_move_a_child(change: &RecordChangedV1) -> bool {
    !change.deleted && !change.fields.is_empty() && reason(change).is_none()
}

fn key_of(org: OrgId, change: &RecordChangedV1) -> RecordKey {
    (
        org.as_uuid(),
        change.object.clone(),
        change.record_id.clone(),
    )
}

/// The live links of the changed record, both directions.
async fn live_links(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    change: &RecordChangedV1,
) -> Result<Vec<LinkRow>, HandlerError> {
    Ok(
        store::of_record(conn, org, &change.object, &change.record_id)
            .await?
            .into_iter()
            .filter(|l| l.status().is_some_and(Status::is_live))
            .collect(),
    )
}

/// A child edited away from the parent it was shared under: its live sent links that name a
/// parent the record no longer names end as stopped, and each partner is told.
async fn end_links_of_a_moved_child(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    change: &RecordChangedV1,
) -> Result<(), HandlerError> {
    if change.deleted || change.fields.is_empty() {
        return Ok(());
    }
    let under_a_parent: Vec<LinkRow> = live_links(conn, org, change)
        .await?
        .into_iter()
        .filter(|l| l.direction == Direction::Sent.as_str() && l.parent_record_id.is_some())
        .collect();
    if under_a_parent.is_empty() {
        return Ok(());
    }
    let Some(record) = store::record(conn, org, &change.object, &change.record_id).await? else {
        return Ok(());
    };
    let moved: Vec<LinkRow> = under_a_parent
        .into_iter()
        .filter(|l| {
            l.parent_record_id
                .as_deref()
                .is_some_and(|parent| !still_names(&record.fields, parent))
        })
        .collect();
    end_and_tell(conn, org, change, moved, EndReason::Stopped).await
}

/// Ends `links` of the changed record for `reason`, telling each partner.
async fn end_and_tell(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    change: &RecordChangedV1,
    links: Vec<LinkRow>,
    reason: EndReason,
) -> Result<(), HandlerError> {
    if links.is_empty() {
        return Ok(());
    }
    let status = status_for(reason);
    let ended_at = change.changed_at.trunc_subsecs(6);
    let known = connections::of_org(conn, org).await?;
    for link in links {
        store::end(conn, link.id, status, ended_at).await?;
        let partner = known
            .iter()
            .find(|c| c.id == link.connection_id)
            .and_then(|c| c.side_of(org).and_then(|side| c.partner_of(side)));
        if let Some(partner) = partner {
            tell_partner(
                conn,
                OrgId(partner),
                link.connection_id,
                &change.object,
                &change.record_id,
                reason,
                ended_at,
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;
    use shared::message::events::sync::{ChangeSource, ChangedBy};

    fn change(object: &str, deleted: bool, fields: serde_json::Value) -> RecordChangedV1 {
        RecordChangedV1 {
            object: object.to_string(),
            record_id: "r-1".to_string(),
            version: 2,
            deleted,
            fields: fields.as_object().cloned().unwrap_or_default(),
            touched: false,
            changed_by: ChangedBy::Org {
                source: ChangeSource::Http,
            },
            changed_at: Utc::now(),
        }
    }

    #[test]
    fn deletes_and_conversions_end_links_other_changes_do_not() {
        assert_eq!(
            reason(&change("Account", true, json!({}))),
            Some(EndReason::Deleted)
        );
        let converted = json!({ "Status": "Closed - Converted" });
        assert_eq!(
            reason(&change("Lead", false, converted.clone())),
            Some(EndReason::Converted)
        );
        assert_eq!(reason(&change("Account", false, converted)), None);
        let working = json!({ "Status": "Working - Contacted" });
        assert_eq!(reason(&change("Lead", false, working)), None);
        assert_eq!(
            reason(&change("Lead", false, json!({ "Company": "X" }))),
            None
        );
    }

    /// Sync sends this consumer only the changes `link_fields` lets through: every change that
    /// any rule here acts on must be one of them.
    #[test]
    fn every_change_a_rule_here_acts_on_is_sent_by_sync() {
        let cases = [
            ("Account", true, json!({})),
            ("Lead", false, json!({ "Status": "Closed - Converted" })),
            ("CaseComment", false, json!({ "IsPublished": false })),
            ("Attachment", false, json!({ "IsPrivate": true })),
            ("Attachment", false, json!({ "IsShared": false })),
            ("Opportunity", false, json!({ "Pricebook2Id": "pb-1" })),
            ("Contact", false, json!({ "AccountId": "acc-2" })),
            ("Task", false, json!({ "WhatId": "opp-2" })),
            ("CaseComment", false, json!({ "ParentId": "case-2" })),
        ];
        for (object, deleted, fields) in cases {
            let change = change(object, deleted, fields);
            let acts = reason(&change).is_some()
                || gives_price_book(&change.object, change.deleted, &change.fields)
                || change
                    .fields
                    .keys()
                    .any(|name| names_a_parent(object, name));
            assert!(acts, "{change:?}: no rule acts on it");
            let schema = shared::crm::standard::object(object);
            let sent = shared::crm::link_fields::may_end_links_of(
                schema.as_ref(),
                object,
                deleted,
                change.fields.keys().map(String::as_str),
            );
            assert!(sent, "{change:?} acted on here but not sent by sync");
        }
    }

    /// The lookups through which a standard child names the parent it is shared under.
    fn names_a_parent(object: &str, field: &str) -> bool {
        matches!(
            (object, field),
            ("Contact", "AccountId") | ("Task", "WhatId") | ("CaseComment", "ParentId")
        )
    }

    #[test]
    fn a_comment_or_attachment_made_private_stops_its_links() {
        let unpublished = json!({ "IsPublished": false });
        assert_eq!(
            reason(&change("CaseComment", false, unpublished)),
            Some(EndReason::Stopped)
        );
        let private = json!({ "IsPrivate": true });
        assert_eq!(
            reason(&change("Attachment", false, private)),
            Some(EndReason::Stopped)
        );
        let edited = json!({ "CommentBody": "x" });
        assert_eq!(reason(&change("CaseComment", false, edited)), None);
    }
}
