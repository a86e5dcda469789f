//! Who an org's emails come from. An org's own address is used as From only when its domain is
//! verified for that org; otherwise the deployment's sender sends, named "<name> via PartnerNet"
//! after the org, with Reply-To set to the org's address (if it saved one), so replies still
//! reach the org. The name is the org's `from_name` once it saved email settings, and the org's
//! own name before: a recipient always sees who is writing.

use crate::schema::{senders, templates, verified_domains};
use crate::templates::TemplateSet;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lettre::message::Mailbox;
use shared::ids::OrgId;

/// The From and Reply-To headers of an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub from: String,
    pub reply_to: Option<String>,
}

/// The org's sender: its saved settings, or, before it saved any, its name with no address
/// (`from_address` is then empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSender {
    pub from_name: String,
    pub from_address: String,
    pub domain_verified: bool,
}

/// Applies the rule above. `default_from` is the deployment's `Name <address>`.
pub fn choose(default_from: &str, org: Option<&OrgSender>) -> Sender {
    let Some(org) = org else {
        return Sender {
            from: default_from.to_string(),
            reply_to: None,
        };
    };
    let own = org
        .from_address
        .parse()
        .ok()
        .map(|address| Mailbox::new(Some(org.from_name.clone()), address));
    match (own, default_from.parse::<Mailbox>()) {
        (Some(own), _) if org.domain_verified => Sender {
            from: own.to_string(),
            reply_to: None,
        },
        (own, Ok(default)) if !org.from_name.trim().is_empty() => Sender {
            from: Mailbox::new(
                Some(format!("{} via PartnerNet", org.from_name)),
                default.email,
            )
            .to_string(),
            reply_to: own.map(|own| own.to_string()),
        },
        _ => Sender {
            from: default_from.to_string(),
            reply_to: None,
        },
    }
}

/// The org's sender settings and whether their domain is verified; before it saved any, its
/// name alone. `None` for an org that does not exist.
pub async fn load(conn: &mut AsyncPgConnection, org: OrgId) -> QueryResult<Option<OrgSender>> {
    let row: Option<(String, String)> = senders::table
        .find(org.as_uuid())
        .select((senders::from_name, senders::from_address))
        .first(conn)
        .await
        .optional()?;
    let Some((from_name, from_address)) = row else {
        let name = shared::identity::org_name(conn, org).await?;
        return Ok(name.map(|from_name| OrgSender {
            from_name,
            from_address: String::new(),
            domain_verified: false,
        }));
    };
    let domain = from_address
        .rsplit_once('@')
        .map(|(_, d)| d.to_lowercase())
        .unwrap_or_default();
    let verified: i64 = verified_domains::table
        .filter(verified_domains::org_id.eq(org.as_uuid()))
        .filter(verified_domains::domain.eq(domain))
        .count()
        .get_result(conn)
        .await?;
    Ok(Some(OrgSender {
        from_name,
        from_address,
        domain_verified: verified > 0,
    }))
}

/// Records that an operator verified `domain` for `org` (`partnernet domain verify`).
pub async fn verify_domain(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    domain: &str,
) -> anyhow::Result<()> {
    let domain = domain.trim().trim_start_matches('@').to_lowercase();
    anyhow::ensure!(
        domain.contains('.') && !domain.contains(char::is_whitespace) && !domain.contains('@'),
        "{domain:?} is not a domain name"
    );
    diesel::insert_into(verified_domains::table)
        .values((
            verified_domains::org_id.eq(org.as_uuid()),
            verified_domains::domain.eq(&domain),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// The org's own template set for `kind`, if it replaced the default.
pub async fn custom_template(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    kind: &str,
) -> QueryResult<Option<TemplateSet>> {
    let row: Option<(String, String, String)> = templates::table
        .find((org.as_uuid(), kind))
        .select((
            templates::subject,
            templates::text_body,
            templates::html_body,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(subject, text, html)| TemplateSet {
        subject,
        text,
        html,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = "PartnerNet <no-reply@partnernet.example>";

    fn org(verified: bool) -> OrgSender {
        OrgSender {
            from_name: "Acme Sales".into(),
            from_address: "sales@acme.example".into(),
            domain_verified: verified,
        }
    }

    #[test]
    fn a_verified_domain_sends_as_the_org() {
        let s = choose(DEFAULT, Some(&org(true)));
        assert_eq!(s.from, "Acme Sales <sales@acme.example>");
        assert_eq!(s.reply_to, None);
    }

    #[test]
    fn an_unverified_domain_sends_as_the_deployment_with_reply_to_the_org() {
        let s = choose(DEFAULT, Some(&org(false)));
        assert_eq!(
            s.from,
            "Acme Sales via PartnerNet <no-reply@partnernet.example>"
        );
        assert_eq!(
            s.reply_to.as_deref(),
            Some("Acme Sales <sales@acme.example>")
        );
    }

    #[test]
    fn an_org_without_settings_sends_under_its_own_name_via_the_deployment() {
        let org = OrgSender {
            from_name: "Acme Corp".into(),
            from_address: String::new(),
            domain_verified: false,
        };
        let s = choose(DEFAULT, Some(&org));
        assert_eq!(
            s.from,
            "Acme Corp via PartnerNet <no-reply@partnernet.example>"
        );
        assert_eq!(s.reply_to, None);
    }

    #[test]
    fn an_unknown_org_sends_as_the_deployment() {
        assert_eq!(choose(DEFAULT, None).from, DEFAULT);
    }
}
