//! Which record changes can end or move the record's shared links, decided where the change is
//! written (the sync service) so that only those reach the sharing service.
//!
//! The sharing service's own rules (its `links::record_ends`) decide what such a change does: a
//! delete ends the links, a Lead whose status becomes `Closed - Converted` is converted, a case
//! comment unpublished or an attachment made private stops being shared, a child whose lookup no
//! longer names the parent it was shared under stops being shared, an opportunity given a price
//! book has its held product lines tried again. This is the wider, cheaper question asked of
//! every change: could it be one of those? A change that answers no (an ordinary field edit,
//! most of field sync's traffic) never costs the sharing service a delivery.

use super::{FieldType, ObjectDef};

/// The fields, per standard object, whose value decides whether the record stays shared.
const FLAGS: &[(&str, &str)] = &[
    ("Lead", "Status"),
    ("CaseComment", "IsPublished"),
    ("Attachment", "IsPrivate"),
    ("Attachment", "IsShared"),
];

/// Whether a change of `object` (deleted, or with the `changed` field names) may end or move its
/// links. `is_lookup` answers from the org's schema whether a field is a lookup: a lookup names
/// a parent (a child shared under it, an opportunity's price book).
pub fn may_end_links<'a>(
    object: &str,
    deleted: bool,
    mut changed: impl Iterator<Item = &'a str>,
    is_lookup: impl Fn(&str) -> bool,
) -> bool {
    deleted
        || changed
            .any(|field| is_lookup(field) || FLAGS.iter().any(|(o, f)| *o == object && *f == field))
}

/// [`may_end_links`], the lookups read from the record's object definition (`None`: unknown,
/// no field is a lookup).
pub fn may_end_links_of<'a>(
    schema: Option<&ObjectDef>,
    object: &str,
    deleted: bool,
    changed: impl Iterator<Item = &'a str>,
) -> bool {
    may_end_links(object, deleted, changed, |name| {
        schema
            .and_then(|s| s.field(name))
            .is_some_and(|f| matches!(f.field_type, FieldType::Lookup { .. }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_lookups(_: &str) -> bool {
        false
    }

    #[test]
    fn deletes_lookups_and_sharing_flags_may_end_links_other_edits_do_not() {
        assert!(may_end_links("Account", true, [].into_iter(), no_lookups));
        assert!(may_end_links(
            "Lead",
            false,
            ["Company", "Status"].into_iter(),
            no_lookups
        ));
        assert!(may_end_links(
            "Attachment",
            false,
            ["IsShared"].into_iter(),
            no_lookups
        ));
        assert!(may_end_links(
            "Contact",
            false,
            ["AccountId"].into_iter(),
            |f| f == "AccountId"
        ));
        assert!(!may_end_links(
            "Account",
            false,
            ["Status", "Name"].into_iter(),
            no_lookups
        ));
        assert!(!may_end_links("Lead", false, [].into_iter(), no_lookups));
    }
}
