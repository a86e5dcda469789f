//! Claiming due emails: a short transaction marks them `sending` with a lease and commits before
//! any SMTP traffic, so no database transaction stays open while a server answers, and a
//! database crash during a send does not undo the claim.
//!
//! An email whose lease ran out while still `sending` belongs to a worker that died between the
//! server's answer and recording it: it is due again (and may be sent twice: the bound in
//! `docs/architecture.md`, "Emails").

use crate::schema::emails;
use chrono::Utc;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::time::Duration;
use uuid::Uuid;

/// An email this worker holds the lease of.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = emails)]
pub struct ClaimedEmail {
    pub id: Uuid,
    pub org_id: Uuid,
    pub connection_id: Option<Uuid>,
    pub kind: String,
    pub recipient: String,
    pub from_header: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// Including the attempt this claim starts.
    pub attempts: i32,
}

/// Claims up to `limit` due emails (most overdue first, then expired leases) for `lease`.
///
/// The status tests are written as SQL literals, not bound parameters: they are the predicates
/// of the partial indexes `emails_due` and `emails_leased`, and PostgreSQL's generic plan of a
/// prepared statement can use a partial index only when the query states its predicate. With
/// `status = ANY($1)` it switched to scanning every email ever sent, on every claim.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: Duration,
) -> anyhow::Result<Vec<ClaimedEmail>> {
    let now = Utc::now();
    let lease_until = now + chrono::Duration::from_std(lease)?;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        let mut ids: Vec<Uuid> = emails::table
            .filter(sql::<Bool>("status IN ('queued', 'retrying')"))
            .filter(emails::next_attempt_at.le(now))
            .order(emails::next_attempt_at)
            .select(emails::id)
            .limit(limit)
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        let room = limit - ids.len() as i64;
        if room > 0 {
            let expired: Vec<Uuid> = emails::table
                .filter(sql::<Bool>("status = 'sending'"))
                .filter(emails::lease_until.lt(now))
                .order(emails::lease_until)
                .select(emails::id)
                .limit(room)
                .for_update()
                .skip_locked()
                .load(conn)
                .await?;
            if !expired.is_empty() {
                tracing::warn!(
                    count = expired.len(),
                    "emails whose sender died before recording the outcome are sent again"
                );
            }
            ids.extend(expired);
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let claimed = diesel::update(emails::table.filter(emails::id.eq_any(&ids)))
            .set((
                emails::status.eq("sending"),
                emails::lease_until.eq(lease_until),
                emails::attempts.eq(emails::attempts + 1),
            ))
            .returning(ClaimedEmail::as_returning())
            .get_results(conn)
            .await?;
        Ok(claimed)
    })
    .await
}
