//! Who an org's emails come from. An org's own address is used as From only when its domain is
//! verified for that org; otherwise the deployment's sender sends, named "<name> via PartnerNet"
//! after the org, with Reply-To set to the org's address (if it saved one), so replies still
//! reach the org. The name is the org's `from_name` once it saved email settings, and the org's
//! own name before: a recipient always sees who is writing.

use crate::schema::{templates, verified_domains};
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
    Ok(for_email(conn, org, None).await?.1)
}

/// What an email of `kind` needs from the org, in one round trip: its own template set for the
/// kind (if it replaced the default) and its sender (as [`load`] gives it). With `kind` `None`,
/// no template is read.
pub async fn for_email(
    conn: &mut AsyncPgConnection,
    org: OrgId,
    kind: Option<&str>,
) -> QueryResult<(Option<TemplateSet>, Option<OrgSender>)> {
    use diesel::sql_types::{Nullable, Text, Uuid};
    // The domain is what follows the address's last `@`, lower-cased, as `verify_domain`
    // stores it.
    let row: EmailSettingsRow = diesel::sql_query(
        "SELECT t.subject, t.text_body, t.html_body, s.from_name, s.from_address, \
                EXISTS (SELECT 1 FROM notification.verified_domains v \
                        WHERE v.org_id = q.org_id \
                          AND v.domain = lower(substring(s.from_address from '@([^@]*)$'))) \
                  AS domain_verified, \
                o.name AS org_name \
         FROM (SELECT $1::uuid AS org_id) q \
         LEFT JOIN notification.templates t ON t.org_id = q.org_id AND t.kind = $2 \
         LEFT JOIN notification.senders s ON s.org_id = q.org_id \
         LEFT JOIN identity.orgs o ON o.id = q.org_id",
    )
    .bind::<Uuid, _>(org.as_uuid())
    .bind::<Nullable<Text>, _>(kind)
    .get_result(conn)
    .await?;
    let template = match (row.subject, row.text_body, row.html_body) {
        (Some(subject), Some(text), Some(html)) => Some(TemplateSet {
            subject,
            text,
            html,
        }),
        _ => None,
    };
    let sender = match (row.from_name, row.from_address) {
        (Some(from_name), Some(from_address)) => Some(OrgSender {
            from_name,
            from_address,
            domain_verified: row.domain_verified,
        }),
        _ => row.org_name.map(|from_name| OrgSender {
            from_name,
            from_address: String::new(),
            domain_verified: false,
        }),
    };
    Ok((template, sender))
}

#[derive(diesel::QueryableByName)]
struct EmailSettingsRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    subject: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    text_body: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    html_body: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    from_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    from_address: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    domain_verified: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    org_name: Option<String>,
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
