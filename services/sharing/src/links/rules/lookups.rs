//! Lookups translated through the links, pure: a lookup a record sends names, on the partner's
//! side, the partner's copy of the record it points to when that record is shared over the
//! same connection (an active link); a lookup to a record not shared there is left empty,
//! never the sender's own id. The rule is `shared::crm::mapping::translate_lookup`, which field
//! sync (the sync service) applies too.

pub use shared::crm::mapping::{Copies, translate_lookup as translated};
use std::collections::BTreeMap;

/// No record shared.
pub static NO_COPIES: Copies = BTreeMap::new();

#[cfg(test)]
mod tests {
    use super::*;
    use shared::crm::standard::ANY_PARENT;

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
