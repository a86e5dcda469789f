//! An org's sharing settings (`sharing.org_settings`): its currency, ISO 4217 (`USD` until set).
//! Opportunity products travel only between orgs that use the same currency.

use crate::schema::org_settings;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::ids::OrgId;
use shared::validate::Invalid;

/// The currency of an org that never set one.
pub const DEFAULT_CURRENCY: &str = "USD";

/// The org's currency.
pub async fn currency(conn: &mut AsyncPgConnection, org: OrgId) -> QueryResult<String> {
    let set: Option<String> = org_settings::table
        .find(org.as_uuid())
        .select(org_settings::currency)
        .first(conn)
        .await
        .optional()?;
    Ok(set.unwrap_or_else(|| DEFAULT_CURRENCY.to_string()))
}

/// Sets the org's currency (checked by [`checked_currency`]); whether it changed.
pub async fn set_currency(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    currency: &str,
) -> QueryResult<bool> {
    let before = self::currency(conn, org).await?;
    diesel::insert_into(org_settings::table)
        .values((
            org_settings::org_id.eq(org.as_uuid()),
            org_settings::currency.eq(currency),
        ))
        .on_conflict(org_settings::org_id)
        .do_update()
        .set((
            org_settings::currency.eq(excluded(org_settings::currency)),
            org_settings::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(before != currency)
}

/// A currency code as ISO 4217 writes it: three letters, upper case (`eur` becomes `EUR`).
/// Nothing else is taken, not even spaces around it: the API's schema says `^[A-Za-z]{3}$`.
pub fn checked_currency(field: &str, value: &str) -> Result<String, Invalid> {
    let code = value.to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Invalid::new(
            field,
            "must be a three-letter ISO 4217 currency code (USD, EUR)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_currency_is_three_letters() {
        assert_eq!(
            checked_currency("currency", "eur").ok().as_deref(),
            Some("EUR")
        );
        for bad in ["", "EU", "EURO", "E1R", "€UR", " eur"] {
            assert!(checked_currency("currency", bad).is_err(), "{bad}");
        }
    }
}
