//! The receiver's side of an opportunity product (`OpportunityLineItem`): held like every child
//! until its opportunity's copy exists, it is created under that copy only when the receiving
//! org's records allow it ([`products::on_receiver`]): the copy's price book active, the
//! product (the line's `Product2Id`, already the org's copy: the sender translates it through
//! its links) shared over the connection, active and in that price book, and the sender's
//! currency the org's. Read from the org's own records (`sync.shareable_records`) and links.

use super::inbox::Entry;
use super::rules::Refusal;
use super::rules::products::{self, Found, Receiving};
use super::store::{self, LinkRow};
use crate::org_settings;
use diesel_async::AsyncPgConnection;
use serde_json::Value;
use shared::ids::OrgId;

fn flag(fields: &serde_json::Map<String, Value>, name: &str) -> bool {
    fields.get(name).and_then(Value::as_bool) == Some(true)
}

fn text<'a>(fields: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The price book entry the product line `entry` is created with under the opportunity's copy
/// `parent`, or why it is not created.
pub async fn check(
    conn: &mut AsyncPgConnection,
    entry: &Entry,
    parent: &LinkRow,
) -> diesel::QueryResult<Result<String, Refusal>> {
    let org = OrgId(entry.org_id);
    let opportunity = store::record(conn, org, &parent.object, &parent.local_record_id).await?;
    let book_id = opportunity
        .as_ref()
        .and_then(|o| text(&o.fields, products::PRICE_BOOK_LOOKUP))
        .map(str::to_string);
    let book = match &book_id {
        Some(id) => store::record(conn, org, "Pricebook2", id).await?,
        None => None,
    };
    let product_id = match &entry.fields {
        Value::Object(fields) => text(fields, products::PRODUCT_LOOKUP).map(str::to_string),
        _ => None,
    };
    let product = match &product_id {
        Some(id) => {
            let shared = store::copies(conn, org, entry.connection_id, &[id]).await?;
            if shared.contains_key(&(products::PRODUCT.to_string(), id.clone())) {
                store::record(conn, org, products::PRODUCT, id).await?
            } else {
                None
            }
        }
        None => None,
    };
    let price_book_entry = match (&book_id, &product_id) {
        (Some(book), Some(product)) => {
            let entries = store::children_by(
                conn,
                org,
                "PricebookEntry",
                products::PRICE_BOOK_LOOKUP,
                &[book],
            )
            .await?;
            entries
                .into_iter()
                .find(|(_, e)| text(&e.fields, products::PRODUCT_LOOKUP) == Some(product))
                .map(|(id, _)| id)
        }
        _ => None,
    };
    let currency = org_settings::currency(conn, org).await?;
    let receiving = Receiving {
        price_book: book_id.as_deref().zip(book.as_ref()).map(|(id, b)| Found {
            id,
            active: flag(&b.fields, "IsActive"),
        }),
        product: product_id
            .as_deref()
            .zip(product.as_ref())
            .map(|(id, p)| Found {
                id,
                active: flag(&p.fields, "IsActive"),
            }),
        price_book_entry: price_book_entry.as_deref(),
        sender_currency: entry.sender_currency.as_deref(),
        currency: &currency,
    };
    Ok(products::on_receiver(&receiving).map(str::to_string))
}
