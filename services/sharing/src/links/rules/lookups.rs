//! Lookups translated through the links, pure: a lookup a record sends names, on the partner's
//! side, the partner's copy of the record it points to when that record is shared over the
//! same connection (an active link); a lookup to a record not shared there is left empty,
//! never the sender's own id.

use shared::crm::standard::ANY_PARENT;
use std::collections::BTreeMap;

/// The partner's copies of the sender's records on one connection: (object, the sender's
/// record id) to the partner's record id.
pub type Copies = BTreeMap<(String, String), String>;

/// No record shared.
pub static NO_COPIES: Copies = BTreeMap::new();

/// What a lookup to `target` (an object, or any object for a polymorphic lookup) holding
/// `local_id` becomes on the partner's side: its copy's id, if the record is shared.
pub fn translated<'a>(copies: &'a Copies, target: &str, local_id: &str) -> Option<&'a str> {
    if target == ANY_PARENT {
        copies
            .iter()
            .find(|((_, id), _)| id == local_id)
            .map(|(_, copy)| copy.as_str())
    } else {
        copies
            .get(&(target.to_string(), local_id.to_string()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copies() -> Copies {
        BTreeMap::from([
            (("Account".into(), "acc-1".into()), "their-acc-1".into()),
            (("Product2".into(), "p-1".into()), "their-p-1".into()),
        ])
    }

    #[test]
    fn a_shared_record_is_named_by_its_copy() {
        assert_eq!(
            translated(&copies(), "Account", "acc-1"),
            Some("their-acc-1")
        );
        assert_eq!(translated(&copies(), ANY_PARENT, "p-1"), Some("their-p-1"));
    }

    #[test]
    fn an_unshared_record_or_another_object_is_left_empty() {
        assert_eq!(translated(&copies(), "Account", "acc-2"), None);
        assert_eq!(translated(&copies(), "Contact", "acc-1"), None);
        assert_eq!(translated(&NO_COPIES, ANY_PARENT, "acc-1"), None);
    }
}
