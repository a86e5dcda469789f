//! The linked orgs the benchmark measures, made over HTTP as a user would: orgs with an owner,
//! accepted connections, Account `Name` published by the sender and subscribed (Auto-Accept) by
//! the receiver, records forwarded and every link Active. A pair (A -> B with many records) and
//! a chain (A -> B -> C -> D -> E, each copy forwarded on).
//!
//! Kept in the bench's own module so that it can give way to `tests/support/linked_orgs.rs`
//! (being written on another branch) without touching the measurements.

use anyhow::Context as _;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::time::Duration;
use tests::{TestApp, TestOrg};

const SETUP_WAIT: Duration = Duration::from_secs(300);

/// An org of the net and its owner (a user of the org).
pub struct Member {
    pub org: TestOrg,
    pub owner: uuid::Uuid,
    pub name: String,
}

/// One hop between two neighbours: which record ids of the receiver are the copies of which
/// records of the sender.
pub struct Hop {
    /// (sender's record id, receiver's copy id), in the order the records were made.
    pub copies: Vec<(String, String)>,
}

/// Orgs in a line, `hops[i]` linking `orgs[i]` to `orgs[i + 1]`.
pub struct Net {
    pub orgs: Vec<Member>,
    pub hops: Vec<Hop>,
}

impl Net {
    /// The first org's record ids (where the benchmark's updates are ingested).
    pub fn sources(&self) -> Vec<String> {
        self.hops[0].copies.iter().map(|(s, _)| s.clone()).collect()
    }
}

/// `orgs` orgs in a chain, `records` Accounts made at the first and forwarded down the chain.
pub async fn chain(app: &TestApp, label: &str, orgs: usize, records: usize) -> anyhow::Result<Net> {
    let mut members = Vec::new();
    for i in 0..orgs {
        let name = format!("{label} org {i}");
        let org = app.create_org(&name).await;
        let email = format!("owner{i}@{label}.example").to_lowercase();
        let owner = app.create_user(&org, "Owner", &email).await;
        members.push(Member { org, owner, name });
    }
    let ids: Vec<String> = (0..records).map(|i| format!("{label}-{i}")).collect();
    bulk_create(app, &members[0].org, &ids).await?;
    let mut hops = Vec::new();
    let mut at_sender = ids;
    for i in 0..orgs - 1 {
        let contact = format!("contact{}@{label}.example", i + 1).to_lowercase();
        let connection_id = connect(app, &members[i], &members[i + 1], &contact).await?;
        name_flows(app, &members[i], &members[i + 1], &connection_id).await?;
        forward(app, &members[i].org, &connection_id, &at_sender).await?;
        let copies =
            wait_active(app, &members[i], &members[i + 1], &connection_id, records).await?;
        // Keep the order of the first org's records down the chain.
        let by_sender: std::collections::HashMap<&str, &str> = copies
            .iter()
            .map(|(s, c)| (s.as_str(), c.as_str()))
            .collect();
        let ordered: Vec<(String, String)> = at_sender
            .iter()
            .map(|s| {
                let copy = by_sender
                    .get(s.as_str())
                    .with_context(|| format!("no copy of {s}"))?;
                Ok((s.clone(), (*copy).to_string()))
            })
            .collect::<anyhow::Result<_>>()?;
        at_sender = ordered.iter().map(|(_, c)| c.clone()).collect();
        hops.push(Hop { copies: ordered });
    }
    Ok(Net {
        orgs: members,
        hops,
    })
}

async fn expect_status(
    response: reqwest::Response,
    ok: &[u16],
    what: &str,
) -> anyhow::Result<Value> {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    anyhow::ensure!(ok.contains(&status), "{what}: {status} {text}");
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `from` invites `to` (through `contact`), `to` claims the token of the email and accepts.
async fn connect(
    app: &TestApp,
    from: &Member,
    to: &Member,
    contact: &str,
) -> anyhow::Result<String> {
    let body =
        json!({ "contact": { "name": to.name, "email": contact }, "owner_user_id": from.owner });
    let created = expect_status(
        app.post("/v1/connections", Some(&from.org.key), &body)
            .await,
        &[201],
        "invite",
    )
    .await?;
    let id = created["id"]
        .as_str()
        .context("a connection id")?
        .to_string();
    let email = eventually("the invitation email", SETUP_WAIT, || async {
        app.smtp.received_by(contact).into_iter().next()
    })
    .await;
    let text = tests::email::decode(&email).text;
    let token = text
        .lines()
        .find_map(|l| l.split("token=").nth(1))
        .context("a token in the invitation")?
        .trim()
        .to_string();
    let claim = app
        .post(
            "/v1/invitations/claim",
            Some(&to.org.key),
            &json!({ "token": token }),
        )
        .await;
    expect_status(claim, &[200], "claim").await?;
    let accept = app
        .post(
            &format!("/v1/connections/{id}/accept"),
            Some(&to.org.key),
            &json!({ "owner_user_id": to.owner }),
        )
        .await;
    expect_status(accept, &[200], "accept").await?;
    for member in [from, to] {
        let path = format!("/v1/connections/{id}/publications");
        eventually("sharing to know the connection", SETUP_WAIT, || {
            let path = path.clone();
            async move {
                (app.get(&path, Some(&member.org.key)).await.status() == 200).then_some(())
            }
        })
        .await;
    }
    Ok(id)
}

/// The sender publishes Account Name on the connection; the receiver subscribes, Auto-Accept.
async fn name_flows(
    app: &TestApp,
    sender: &Member,
    receiver: &Member,
    id: &str,
) -> anyhow::Result<()> {
    let publish = app
        .http
        .put(format!(
            "{}/v1/connections/{id}/publications/Account",
            app.base_url
        ))
        .bearer_auth(&sender.org.key)
        .json(&json!({ "fields": ["Name"] }))
        .send()
        .await?;
    expect_status(publish, &[200], "publish").await?;
    let subscribe = app
        .http
        .put(format!(
            "{}/v1/connections/{id}/subscriptions/Account",
            app.base_url
        ))
        .bearer_auth(&receiver.org.key)
        .json(&json!({ "auto_accept": true, "fields": { "Name": "Name" } }))
        .send()
        .await?;
    expect_status(subscribe, &[200, 201], "subscribe").await?;
    Ok(())
}

/// Makes the Accounts in one bulk NDJSON request.
async fn bulk_create(app: &TestApp, org: &TestOrg, ids: &[String]) -> anyhow::Result<()> {
    let body: String = ids
        .iter()
        .map(|id| {
            json!({ "record_id": id, "fields": { "Name": format!("init {id}") } }).to_string()
                + "\n"
        })
        .collect();
    let response = app
        .http
        .post(format!("{}/v1/records/Account/bulk", app.base_url))
        .bearer_auth(&org.key)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await?;
    expect_status(response, &[200], "bulk create").await?;
    Ok(())
}

/// Forwards the records over the connection, 200 per request.
async fn forward(app: &TestApp, org: &TestOrg, id: &str, records: &[String]) -> anyhow::Result<()> {
    for chunk in records.chunks(200) {
        let records: Vec<Value> = chunk
            .iter()
            .map(|r| json!({ "object": "Account", "record_id": r }))
            .collect();
        let body = json!({ "records": records, "connection_ids": [id] });
        expect_status(
            app.post("/v1/sharing/forward", Some(&org.key), &body).await,
            &[200],
            "forward",
        )
        .await?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct LinkRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    local_record_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    partner_record_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

/// Waits for both ends of every record's link on the connection to be Active; returns
/// (sender's record, receiver's copy) pairs.
async fn wait_active(
    app: &TestApp,
    sender: &Member,
    receiver: &Member,
    id: &str,
    records: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let connection = uuid::Uuid::parse_str(id)?;
    let rows = |org: uuid::Uuid| async move {
        let mut conn = app.pool().get().await.ok()?;
        diesel::sql_query(
            "SELECT local_record_id, partner_record_id, status FROM sharing.record_links \
             WHERE org_id = $1 AND connection_id = $2",
        )
        .bind::<diesel::sql_types::Uuid, _>(org)
        .bind::<diesel::sql_types::Uuid, _>(connection)
        .load::<LinkRow>(&mut conn)
        .await
        .ok()
    };
    let sent = eventually("every sent link Active", SETUP_WAIT, || async {
        let links = rows(sender.org.id.as_uuid()).await?;
        let active: Vec<(String, String)> = links
            .into_iter()
            .filter(|l| l.status == "Active (sent)")
            .filter_map(|l| Some((l.local_record_id, l.partner_record_id?)))
            .collect();
        (active.len() >= records).then_some(active)
    })
    .await;
    eventually("every received link Active", SETUP_WAIT, || async {
        let links = rows(receiver.org.id.as_uuid()).await?;
        let active = links
            .iter()
            .filter(|l| l.status == "Active (received)")
            .count();
        (active >= records).then_some(())
    })
    .await;
    Ok(sent)
}
