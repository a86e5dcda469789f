//! Opportunity products (`OpportunityLineItem`), pure: they travel only as children of a
//! shared opportunity, and only when all of S2S's conditions hold:
//! (a) Opportunity Product published by the sender and subscribed by the receiver ([`super::plan`]);
//! (b) the opportunity shared: the product line goes with it ([`on_sender`]) and is created
//!     only under its copy (the held children, `links::held`);
//! (c) its product shared over the same connection ([`on_sender`], and again on the receiver);
//! in the receiving org ([`on_receiver`]): (d) the opportunity's copy has an active price book,
//! (e) the product's copy is active and (f) in that price book (a price book entry);
//! (g) both orgs use the same currency.

use super::Refusal;
use super::lookups::{self, Copies};
use serde_json::{Map, Value};

/// The object of opportunity products.
pub const OPPORTUNITY_PRODUCT: &str = "OpportunityLineItem";
/// Their parent.
pub const OPPORTUNITY: &str = "Opportunity";
/// The product object, and the product line's lookup to it.
pub const PRODUCT: &str = "Product2";
pub const PRODUCT_LOOKUP: &str = "Product2Id";
/// The opportunity's (and the price book entry's) lookup to its price book.
pub const PRICE_BOOK_LOOKUP: &str = "Pricebook2Id";
/// The product line's lookup to its price book entry, set by the receiver.
pub const PRICE_BOOK_ENTRY_LOOKUP: &str = "PricebookEntryId";

/// Whether a change of the org's record gives an opportunity a price book: its product lines
/// held for want of one are then tried again (`held::retry_product_lines`).
pub fn gives_price_book(
    object: &str,
    deleted: bool,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> bool {
    object == OPPORTUNITY
        && !deleted
        && fields
            .get(PRICE_BOOK_LOOKUP)
            .and_then(serde_json::Value::as_str)
            .is_some_and(|id| !id.is_empty())
}

/// What the sender knows: the product line's own conditions (b) and (c). `parent_object` is the
/// object of the record it travels with (`None`: forwarded on its own).
pub fn on_sender(
    parent_object: Option<&str>,
    fields: &Map<String, Value>,
    copies: &Copies,
) -> Option<Refusal> {
    if parent_object != Some(OPPORTUNITY) {
        return Some(Refusal::new(
            "not_with_opportunity",
            "an opportunity product is shared only with its shared opportunity (related list \
             OpportunityLineItem)",
        ));
    }
    let product = fields.get(PRODUCT_LOOKUP).and_then(Value::as_str);
    let shared = product.and_then(|id| lookups::translated(copies, PRODUCT, id));
    if shared.is_none() {
        return Some(Refusal::new(
            "product_not_shared",
            format!(
                "its product {} is not shared on this connection (forward the product first)",
                product.unwrap_or("(none)")
            ),
        ));
    }
    None
}

/// A record of the receiving org as the check sees it: its id and whether it is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    pub id: &'a str,
    pub active: bool,
}

/// What the receiving org holds, read where the product line's copy would be created.
#[derive(Debug, Clone, Copy)]
pub struct Receiving<'a> {
    /// The price book of the opportunity's copy (`None`: it has none, or it does not exist).
    pub price_book: Option<Found<'a>>,
    /// The product's copy, when the product is shared over the connection.
    pub product: Option<Found<'a>>,
    /// The price book entry of that product in that price book.
    pub price_book_entry: Option<&'a str>,
    /// The sender's currency as its offer told it (`None`: not told).
    pub sender_currency: Option<&'a str>,
    pub currency: &'a str,
}

/// Conditions (c) to (g) in the receiving org: the price book entry the product line is
/// created with, or why it is not created.
pub fn on_receiver<'a>(r: &Receiving<'a>) -> Result<&'a str, Refusal> {
    let Some(book) = r.price_book else {
        return Err(Refusal::new(
            "no_price_book",
            "the opportunity's copy has no price book",
        ));
    };
    if !book.active {
        return Err(Refusal::new(
            "price_book_inactive",
            format!("the opportunity's price book {} is not active", book.id),
        ));
    }
    let Some(product) = r.product else {
        return Err(Refusal::new(
            "product_not_shared",
            "the product is not shared over this connection",
        ));
    };
    if !product.active {
        return Err(Refusal::new(
            "product_inactive",
            format!("the product {} is not active", product.id),
        ));
    }
    let Some(entry) = r.price_book_entry else {
        return Err(Refusal::new(
            "not_in_price_book",
            format!(
                "the product {} is not in the opportunity's price book {}",
                product.id, book.id
            ),
        ));
    };
    if r.sender_currency != Some(r.currency) {
        return Err(Refusal::new(
            "currency_differs",
            format!(
                "the partner uses {}, this organization {}",
                r.sender_currency.unwrap_or("an unknown currency"),
                r.currency
            ),
        ));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_an_opportunity_given_a_price_book_retries_its_lines() {
        let with = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        let book = with(serde_json::json!({ "Pricebook2Id": "pb-1" }));
        assert!(super::gives_price_book(OPPORTUNITY, false, &book));
        assert!(!super::gives_price_book(OPPORTUNITY, true, &book));
        assert!(!super::gives_price_book("Account", false, &book));
        let cleared = with(serde_json::json!({ "Pricebook2Id": null }));
        assert!(!super::gives_price_book(OPPORTUNITY, false, &cleared));
        let other = with(serde_json::json!({ "Name": "x" }));
        assert!(!super::gives_price_book(OPPORTUNITY, false, &other));
    }

    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn line() -> Map<String, Value> {
        json!({ "Product2Id": "p-1", "Quantity": 2 })
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn shared_product() -> Copies {
        BTreeMap::from([(("Product2".into(), "p-1".into()), "their-p-1".into())])
    }

    fn code(refusal: Option<Refusal>) -> Option<&'static str> {
        refusal.map(|r| r.code)
    }

    #[test]
    fn the_sender_sends_a_line_of_a_shared_product_with_its_opportunity() {
        assert_eq!(
            code(on_sender(Some("Opportunity"), &line(), &shared_product())),
            None
        );
    }

    #[test]
    fn the_sender_refuses_a_line_alone_or_of_an_unshared_product() {
        assert_eq!(
            code(on_sender(None, &line(), &shared_product())),
            Some("not_with_opportunity")
        );
        assert_eq!(
            code(on_sender(Some("Account"), &line(), &shared_product())),
            Some("not_with_opportunity")
        );
        assert_eq!(
            code(on_sender(Some("Opportunity"), &line(), &lookups::NO_COPIES)),
            Some("product_not_shared")
        );
        let mut without = line();
        without.remove("Product2Id");
        assert_eq!(
            code(on_sender(Some("Opportunity"), &without, &shared_product())),
            Some("product_not_shared")
        );
    }

    fn all_hold() -> Receiving<'static> {
        Receiving {
            price_book: Some(Found {
                id: "pb-1",
                active: true,
            }),
            product: Some(Found {
                id: "p-9",
                active: true,
            }),
            price_book_entry: Some("pbe-1"),
            sender_currency: Some("EUR"),
            currency: "EUR",
        }
    }

    fn receiver_code(r: Receiving<'_>) -> Option<&'static str> {
        on_receiver(&r).err().map(|r| r.code)
    }

    #[test]
    fn the_receiver_creates_the_line_with_its_price_book_entry_when_all_hold() {
        assert_eq!(on_receiver(&all_hold()).ok(), Some("pbe-1"));
    }

    #[test]
    fn each_receiving_condition_failing_alone_is_named() {
        type BreakIt = fn(&mut Receiving<'static>);
        let cases: [(&str, BreakIt); 7] = [
            ("no_price_book", |r| r.price_book = None),
            ("price_book_inactive", |r| {
                r.price_book = Some(Found {
                    id: "pb-1",
                    active: false,
                })
            }),
            ("product_not_shared", |r| r.product = None),
            ("product_inactive", |r| {
                r.product = Some(Found {
                    id: "p-9",
                    active: false,
                })
            }),
            ("not_in_price_book", |r| r.price_book_entry = None),
            ("currency_differs", |r| r.sender_currency = Some("USD")),
            ("currency_differs", |r| r.sender_currency = None),
        ];
        for (expected, break_it) in cases {
            let mut r = all_hold();
            break_it(&mut r);
            assert_eq!(receiver_code(r), Some(expected));
        }
    }
}
