//! The invitation side of connection templates: the read model fed by the sharing service's
//! `ConnectionTemplateChangedV1`, only an active template of the org accepted in `template_id`,
//! and `ConnectionTemplateChosenV1` emitted when an invitation or an edit names one.

use crate::connections_support::{Pair, pair};
use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};
use shared::consumer::{ConsumerSpec, Context, Handler, Handlers};
use shared::error::HandlerError;
use shared::ids::{ConnectionId, OrgId};
use shared::message::Envelope;
use shared::message::events::connection::ConnectionTemplateChosenV1;
use shared::message::events::sharing::ConnectionTemplateChangedV1;
use shared::service::ServiceParts;
use shared::testing::eventually;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tests::TestApp;
use uuid::Uuid;

/// Records each `ConnectionTemplateChosenV1` seen on the broker: (org, connection, template).
#[derive(Default)]
struct Chosen(Mutex<Vec<(OrgId, ConnectionId, Uuid)>>);

impl Chosen {
    fn all(&self) -> Vec<(OrgId, ConnectionId, Uuid)> {
        self.0.lock().expect("chosen lock").clone()
    }
}

struct Record(Arc<Chosen>);

impl Handler<ConnectionTemplateChosenV1> for Record {
    async fn handle(
        &self,
        _ctx: &Context<'_>,
        _conn: &mut AsyncPgConnection,
        message: &Envelope<ConnectionTemplateChosenV1>,
    ) -> Result<(), HandlerError> {
        let chosen = &message.payload;
        self.0.0.lock().expect("chosen lock").push((
            message.org_id,
            chosen.connection_id,
            chosen.template_id,
        ));
        Ok(())
    }
}

async fn start_probe(
    app: &TestApp,
    seen: Arc<Chosen>,
) -> (
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let parts = ServiceParts {
        name: "templateprobe",
        router: axum::Router::new(),
        consumers: vec![ConsumerSpec {
            service: "templateprobe",
            name: "chosen",
            handlers: Handlers::new().on::<ConnectionTemplateChosenV1, _>(Record(seen)),
        }],
        workers: Vec::new(),
        publishes: false,
    };
    let started = app.spawn_parts(vec![parts]);
    let component = format!(
        "consumer {}",
        app.topology().work_queue("templateprobe", "chosen")
    );
    eventually("the probe consumer", Duration::from_secs(20), || async {
        app.platform.health.is_up(&component).then_some(())
    })
    .await;
    started
}

/// Publishes a template change as the sharing service would, then waits until the read model
/// shows it (or shows it gone).
async fn template_changed(app: &TestApp, org: OrgId, template: Uuid, active: bool, deleted: bool) {
    app.publisher
        .publish(
            app.topology(),
            &Envelope::new(
                org,
                ConnectionTemplateChangedV1 {
                    template_id: template,
                    name: "Standard".into(),
                    active,
                    deleted,
                },
            ),
        )
        .await
        .expect("published");
    eventually(
        "the template read model",
        Duration::from_secs(20),
        || async {
            let state = template_state(app, template).await;
            let expected = (!deleted).then_some((org.as_uuid(), active));
            (state == expected).then_some(())
        },
    )
    .await;
}

async fn template_state(app: &TestApp, template: Uuid) -> Option<(Uuid, bool)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        org_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        active: bool,
    }
    let mut conn = app.pool().get().await.expect("a connection");
    let rows: Vec<Row> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT org_id, active FROM invitation.connection_templates WHERE id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(template),
        &mut conn,
    )
    .await
    .expect("templates read");
    rows.first().map(|r| (r.org_id, r.active))
}

async fn invite_with(app: &TestApp, p: &Pair, template: Uuid) -> reqwest::Response {
    app.post(
        "/v1/connections",
        Some(&p.acme.key),
        &json!({
            "contact": { "name": "Gina", "email": "gina@globex.example" },
            "owner_user_id": p.acme_owner,
            "template_id": template,
        }),
    )
    .await
}

async fn refused_field(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a problem");
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_templates_only_active_ones_of_the_org_are_accepted_and_choosing_one_is_announced()
 {
    let app = TestApp::spawn().await;
    let seen = Arc::new(Chosen::default());
    let (probe_stop, probe) = start_probe(&app, seen.clone()).await;
    let p = pair(&app).await;
    let template = Uuid::new_v4();

    // Inactive: refused, naming the field.
    template_changed(&app, p.acme.id, template, false, false).await;
    let (status, problem) = refused_field(invite_with(&app, &p, template).await).await;
    assert_eq!(status, 422);
    assert_eq!(problem["field"], "template_id");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not an active connection template")),
        "{problem}"
    );

    // Another org's active template: refused as well (never told apart from a missing one).
    let foreign = Uuid::new_v4();
    template_changed(&app, p.globex.id, foreign, true, false).await;
    let (status, problem) = refused_field(invite_with(&app, &p, foreign).await).await;
    assert_eq!((status, &problem["field"]), (422, &json!("template_id")));

    // An event of Acme's naming Globex's template id changes nothing (dead-lettered).
    app.publisher
        .publish(
            app.topology(),
            &Envelope::new(
                p.acme.id,
                ConnectionTemplateChangedV1 {
                    template_id: foreign,
                    name: "Hijack".into(),
                    active: false,
                    deleted: false,
                },
            ),
        )
        .await
        .expect("published");

    // Activated: accepted, and the choice is announced for the sharing service to apply.
    template_changed(&app, p.acme.id, template, true, false).await;
    let created = invite_with(&app, &p, template).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("JSON");
    assert_eq!(created["template_id"], template.to_string());
    let id = ConnectionId(
        created["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .expect("an id"),
    );
    eventually(
        "the choice at invite time",
        Duration::from_secs(20),
        || async {
            seen.all()
                .contains(&(p.acme.id, id, template))
                .then_some(())
        },
    )
    .await;

    // Editing the connection to a second active template announces that one too.
    let second = Uuid::new_v4();
    template_changed(&app, p.acme.id, second, true, false).await;
    let edited = app
        .patch(
            &format!("/v1/connections/{id}"),
            &p.acme.key,
            &json!({ "template_id": second }),
        )
        .await;
    assert_eq!(edited.status(), 200);
    eventually("the choice on edit", Duration::from_secs(20), || async {
        seen.all().contains(&(p.acme.id, id, second)).then_some(())
    })
    .await;

    // Deleted: refused again, on edit too; nothing more is announced.
    template_changed(&app, p.acme.id, second, true, true).await;
    let (status, problem) = refused_field(
        app.patch(
            &format!("/v1/connections/{id}"),
            &p.acme.key,
            &json!({ "template_id": second }),
        )
        .await,
    )
    .await;
    assert_eq!((status, &problem["field"]), (422, &json!("template_id")));

    app.wait_idle().await;
    assert_eq!(
        template_state(&app, foreign).await,
        Some((p.globex.id.as_uuid(), true)),
        "another org's event does not change Globex's template"
    );
    let dead = shared::amqp::dead_letters::list(app.amqp_url(), app.topology(), "invitation", 10)
        .await
        .expect("dead letters listed");
    assert_eq!(dead.len(), 1, "the hijacking event is dead-lettered");
    assert!(
        dead[0].reason.contains("is not a template of org"),
        "{}",
        dead[0].reason
    );
    assert_eq!(
        seen.all(),
        vec![(p.acme.id, id, template), (p.acme.id, id, second)],
        "each choice announced once, refused ones never"
    );
    probe_stop.cancel();
    let _ = probe.await;
    app.stop().await;
}
