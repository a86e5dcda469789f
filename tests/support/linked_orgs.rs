//! Linked records at scale, for field sync soaks and benchmarks: K orgs connected in a chosen
//! shape, Account's fields published and subscribed both ways on every connection, R records
//! forwarded (Auto-Accept) and their links Active on both sides. Everything goes through the
//! HTTP API, as an org would do it; the waits read sharing's and sync's read models (with a
//! deadline, never a sleep), which is what field sync itself reads.
//!
//! ```ignore
//! let net = linked_orgs::build(&app, &linked_orgs::Spec::pairs(4, 100)).await;
//! for copies in &net.records { /* copies[0] is the original, the rest its copies */ }
//! ```

use crate::{TestApp, TestOrg};
use diesel::sql_types;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::testing::eventually;
use std::collections::HashMap;
use std::time::Duration;

/// How the orgs are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Orgs 0-1, 2-3, ...: each pair its own connection; the even org's records are forwarded
    /// to the odd one (2 copies per record). An odd last org stays alone, without records.
    Pairs,
    /// 0-1-2-...-(K-1): each org connected to the next; org 0's records are forwarded to org 1,
    /// org 1's copies on to org 2, and so on (K copies per record).
    Chain,
}

/// What to build.
#[derive(Debug, Clone)]
pub struct Spec {
    pub orgs: usize,
    pub shape: Shape,
    /// Records per origin org (per pair for [`Shape::Pairs`], in all for [`Shape::Chain`]).
    pub records: usize,
    /// Account fields published and subscribed (under the same name) both ways.
    pub fields: Vec<String>,
}

/// The Account fields [`Spec::pairs`] and [`Spec::chain`] link: text fields without rules.
pub const FIELDS: [&str; 4] = ["Name", "AccountNumber", "BillingCity", "BillingState"];

impl Spec {
    pub fn pairs(orgs: usize, records: usize) -> Self {
        Self::new(orgs, Shape::Pairs, records)
    }

    pub fn chain(orgs: usize, records: usize) -> Self {
        Self::new(orgs, Shape::Chain, records)
    }

    fn new(orgs: usize, shape: Shape, records: usize) -> Self {
        Self {
            orgs,
            shape,
            records,
            fields: FIELDS.iter().map(|f| f.to_string()).collect(),
        }
    }
}

/// One copy of a record: the org (index into [`LinkedOrgs::orgs`]) and its record id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Copy {
    pub org: usize,
    pub record_id: String,
}

/// The built network.
pub struct LinkedOrgs {
    pub orgs: Vec<TestOrg>,
    /// Connection ids with the two orgs they join (inviter, invitee).
    pub connections: Vec<(String, usize, usize)>,
    /// Per record, every copy: the original first, then along the links.
    pub records: Vec<Vec<Copy>>,
}

/// Builds the network of `spec` in `app`, and returns once every link is Active on both sides
/// and sync knows every subscription. Panics (with what never happened) past a deadline.
pub async fn build(app: &TestApp, spec: &Spec) -> LinkedOrgs {
    assert!(spec.orgs >= 2, "at least two orgs");
    let mut orgs = Vec::new();
    let mut owners = Vec::new();
    for i in 0..spec.orgs {
        let org = app.create_org(&format!("Org {i}")).await;
        let owner = app
            .create_user(
                &org,
                &format!("Owner {i}"),
                &format!("owner@org{i}.example"),
            )
            .await;
        orgs.push(org);
        owners.push(owner);
    }
    let joins: Vec<(usize, usize)> = match spec.shape {
        Shape::Pairs => (0..spec.orgs / 2).map(|p| (2 * p, 2 * p + 1)).collect(),
        Shape::Chain => (0..spec.orgs - 1).map(|i| (i, i + 1)).collect(),
    };
    let mut connections = Vec::new();
    for &(a, b) in &joins {
        let id = connect(app, (&orgs[a], owners[a]), (&orgs[b], owners[b])).await;
        both_ways(app, &orgs[a], &orgs[b], &id, &spec.fields).await;
        connections.push((id, a, b));
    }
    sync_knows(app, &connections, spec.fields.len()).await;
    let mut records = Vec::new();
    match spec.shape {
        Shape::Pairs => {
            for (p, (id, a, b)) in connections.iter().enumerate() {
                let ids: Vec<String> = (0..spec.records).map(|r| format!("p{p}-r{r}")).collect();
                create(app, &orgs[*a], &ids, &spec.fields).await;
                let copies = forward_all(app, &orgs[*a], &orgs[*b], id, &ids).await;
                for (local, copy) in ids.into_iter().zip(copies) {
                    records.push(vec![
                        Copy {
                            org: *a,
                            record_id: local,
                        },
                        Copy {
                            org: *b,
                            record_id: copy,
                        },
                    ]);
                }
            }
        }
        Shape::Chain => {
            let ids: Vec<String> = (0..spec.records).map(|r| format!("c-r{r}")).collect();
            create(app, &orgs[0], &ids, &spec.fields).await;
            records = ids
                .iter()
                .map(|id| {
                    vec![Copy {
                        org: 0,
                        record_id: id.clone(),
                    }]
                })
                .collect();
            for (id, a, _) in &connections {
                let here: Vec<String> = records
                    .iter()
                    .map(|r| r[r.len() - 1].record_id.clone())
                    .collect();
                let copies = forward_all(app, &orgs[*a], &orgs[*a + 1], id, &here).await;
                for (r, copy) in records.iter_mut().zip(copies) {
                    r.push(Copy {
                        org: *a + 1,
                        record_id: copy,
                    });
                }
            }
        }
    }
    LinkedOrgs {
        orgs,
        connections,
        records,
    }
}

/// Sends `method` with a JSON body as `key`, panics unless the status is one of `ok`; the
/// JSON answer (or null).
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
    ok: &[u16],
) -> Value {
    let mut request = app
        .http
        .request(method.clone(), format!("{}{path}", app.base_url))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert!(ok.contains(&status), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// An invitation from `from` to `to`'s contact, claimed and accepted by `to`, and visible to
/// the sharing service on both sides. Returns the connection id.
async fn connect(
    app: &TestApp,
    from: (&TestOrg, uuid::Uuid),
    to: (&TestOrg, uuid::Uuid),
) -> String {
    use reqwest::Method;
    let email = format!("contact-{}@partner.example", to.0.id.as_uuid());
    let created = call(
        app,
        Method::POST,
        "/v1/connections",
        &from.0.key,
        Some(json!({ "contact": { "name": "Contact", "email": email }, "owner_user_id": from.1 })),
        &[201],
    )
    .await;
    let id = created["id"].as_str().expect("a connection id").to_string();
    let received = eventually("the invitation email", Duration::from_secs(30), || async {
        app.smtp.received_by(&email).into_iter().next_back()
    })
    .await;
    let text = crate::email::decode(&received).text;
    let token = text
        .lines()
        .find_map(|l| l.split("token=").nth(1))
        .expect("a token in the invitation")
        .trim()
        .to_string();
    call(
        app,
        Method::POST,
        "/v1/invitations/claim",
        &to.0.key,
        Some(json!({ "token": token })),
        &[200],
    )
    .await;
    let accept = format!("/v1/connections/{id}/accept");
    call(
        app,
        Method::POST,
        &accept,
        &to.0.key,
        Some(json!({ "owner_user_id": to.1 })),
        &[200],
    )
    .await;
    for org in [from.0, to.0] {
        let path = format!("/v1/connections/{id}/publications");
        eventually(
            "sharing to know the connection",
            Duration::from_secs(30),
            || {
                let path = path.clone();
                async move { (app.get(&path, Some(&org.key)).await.status() == 200).then_some(()) }
            },
        )
        .await;
    }
    id
}

/// Both orgs publish Account's `fields` on the connection and subscribe to the other's, with
/// Auto-Accept and the same field names.
async fn both_ways(app: &TestApp, a: &TestOrg, b: &TestOrg, id: &str, fields: &[String]) {
    use reqwest::Method;
    let mapping: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| (f.clone(), Value::String(f.clone())))
        .collect();
    for org in [a, b] {
        let path = format!("/v1/connections/{id}/publications/Account");
        call(
            app,
            Method::PUT,
            &path,
            &org.key,
            Some(json!({ "fields": fields })),
            &[200],
        )
        .await;
    }
    for org in [a, b] {
        let path = format!("/v1/connections/{id}/subscriptions/Account");
        let body = json!({ "auto_accept": true, "fields": mapping });
        call(app, Method::PUT, &path, &org.key, Some(body), &[200, 201]).await;
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = sql_types::BigInt)]
    n: i64,
}

/// Waits until sync's read model holds both subscriptions of every connection, with every field
/// (field sync reads it to propagate; an update made before it would go nowhere).
async fn sync_knows(app: &TestApp, connections: &[(String, usize, usize)], fields: usize) {
    let ids: Vec<uuid::Uuid> = connections
        .iter()
        .map(|(id, _, _)| id.parse().expect("a connection uuid"))
        .collect();
    let want = i64::try_from(2 * ids.len()).expect("a count");
    eventually(
        "sync to know every subscription",
        Duration::from_secs(60),
        || {
            let ids = ids.clone();
            async move {
                let mut conn = app.pool().get().await.ok()?;
                let found: Count = diesel::sql_query(
                    "SELECT count(*) AS n FROM sync.subscription_mappings \
                 WHERE connection_id = ANY($1) AND active AND jsonb_array_length(fields) = $2",
                )
                .bind::<sql_types::Array<sql_types::Uuid>, _>(&ids)
                .bind::<sql_types::Integer, _>(i32::try_from(fields).ok()?)
                .get_result(&mut conn)
                .await
                .ok()?;
                (found.n == want).then_some(())
            }
        },
    )
    .await;
}

/// Creates the org's Account records (every field set) with the bulk route.
async fn create(app: &TestApp, org: &TestOrg, ids: &[String], fields: &[String]) {
    for chunk in ids.chunks(1000) {
        let mut ndjson = String::new();
        for id in chunk {
            let values: serde_json::Map<String, Value> = fields
                .iter()
                .map(|f| (f.clone(), Value::String(format!("{id} init"))))
                .collect();
            ndjson.push_str(&json!({ "record_id": id, "fields": values }).to_string());
            ndjson.push('\n');
        }
        let response = app
            .http
            .post(format!("{}/v1/records/Account/bulk", app.base_url))
            .bearer_auth(&org.key)
            .header("content-type", "application/x-ndjson")
            .body(ndjson)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200, "bulk create");
        let summary: Value = response.json().await.expect("a summary");
        let failed = summary["failed"].as_u64().unwrap_or(0);
        assert_eq!(failed, 0, "records created: {summary}");
    }
}

#[derive(diesel::QueryableByName)]
struct Link {
    #[diesel(sql_type = sql_types::Text)]
    local_record_id: String,
    #[diesel(sql_type = sql_types::Text)]
    partner_record_id: String,
}

/// Forwards the org's `ids` over the connection (200 a request) and waits until each link is
/// Active on both sides; returns the partner's copy of each, in order.
async fn forward_all(
    app: &TestApp,
    org: &TestOrg,
    partner: &TestOrg,
    connection: &str,
    ids: &[String],
) -> Vec<String> {
    use reqwest::Method;
    for chunk in ids.chunks(200) {
        let records: Vec<Value> = chunk
            .iter()
            .map(|id| json!({ "object": "Account", "record_id": id }))
            .collect();
        let body = json!({ "records": records, "connection_ids": [connection] });
        call(
            app,
            Method::POST,
            "/v1/sharing/forward",
            &org.key,
            Some(body),
            &[200],
        )
        .await;
    }
    let connection: uuid::Uuid = connection.parse().expect("a connection uuid");
    let sender = org.id.as_uuid();
    let receiver = partner.id.as_uuid();
    let want = ids.len();
    let copies: HashMap<String, String> = eventually(
        "every link Active on both sides",
        Duration::from_secs(300),
        || async move {
            let mut conn = app.pool().get().await.ok()?;
            let sent: Vec<Link> = diesel::sql_query(
                "SELECT local_record_id, partner_record_id FROM sharing.synced_links \
                 WHERE connection_id = $1 AND org_id = $2 AND object = 'Account'",
            )
            .bind::<sql_types::Uuid, _>(connection)
            .bind::<sql_types::Uuid, _>(sender)
            .load(&mut conn)
            .await
            .ok()?;
            let received: Count = diesel::sql_query(
                "SELECT count(*) AS n FROM sharing.synced_links \
                 WHERE connection_id = $1 AND org_id <> $2 AND partner_org_id = $2 \
                   AND object = 'Account'",
            )
            .bind::<sql_types::Uuid, _>(connection)
            .bind::<sql_types::Uuid, _>(sender)
            .get_result(&mut conn)
            .await
            .ok()?;
            let map: HashMap<String, String> = sent
                .into_iter()
                .map(|l| (l.local_record_id, l.partner_record_id))
                .collect();
            let linked = ids.iter().filter(|id| map.contains_key(*id)).count() == want
                && usize::try_from(received.n).ok()? >= want;
            if !linked {
                return None;
            }
            // And sync holds every copy (field updates are applied to it).
            let copies: Vec<&String> = map.values().collect();
            let held: Count = diesel::sql_query(
                "SELECT count(*) AS n FROM sync.records \
                 WHERE org_id = $1 AND object = 'Account' AND record_id = ANY($2)",
            )
            .bind::<sql_types::Uuid, _>(receiver)
            .bind::<sql_types::Array<sql_types::Text>, _>(copies)
            .get_result(&mut conn)
            .await
            .ok()?;
            (usize::try_from(held.n).ok()? >= want).then_some(map)
        },
    )
    .await;
    ids.iter().map(|id| copies[id].clone()).collect()
}
