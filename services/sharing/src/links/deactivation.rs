//! A connection deactivated (the invitation service's `ConnectionDeactivatedV1`, which both
//! parties' sharing read model takes from the invitation service, so nothing crosses the
//! connection here): every live link on it ends (`Inactive`, end date now), and the forwards
//! either side had not accepted leave its inbox. Accepted copies stay, editable by their org.

use crate::schema::{inbox, record_links};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::status::Status;

/// Links ended and offers withdrawn.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ended {
    pub links: usize,
    pub offers: usize,
}

/// Ends the connection's links on both sides and empties both inboxes of its offers.
pub async fn end_all(
    conn: &mut AsyncPgConnection,
    connection_id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<Ended> {
    let live = [
        Status::PendingSent.as_str(),
        Status::ActiveSent.as_str(),
        Status::ActiveReceived.as_str(),
    ];
    let links = diesel::update(
        record_links::table
            .filter(record_links::connection_id.eq(connection_id))
            .filter(record_links::status.eq_any(live)),
    )
    .set((
        record_links::status.eq(Status::Inactive.as_str()),
        record_links::end_date.eq(at),
        record_links::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    let offers = diesel::delete(inbox::table.filter(inbox::connection_id.eq(connection_id)))
        .execute(conn)
        .await?;
    Ok(Ended { links, offers })
}
