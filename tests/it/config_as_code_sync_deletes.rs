//! Config as code keeps a subscription's `sync_deletes` (deletes beyond S2S), through the CLI's
//! `partnernet config export|import` (the functions the commands run, against the database):
//! exported as `sync_deletes: true`, imported into a fresh org with its own connection to the
//! partner (stored, and announced to the sync service's read model that decides whether a
//! tombstone is sent), imported again with no change, and turned off by a document without it.

use crate::config_support::scenario;
use diesel::sql_types;
use diesel_async::RunQueryDsl;
use partnernet::config_cli::{self, DocFormat};
use shared::testing::eventually;
use std::path::Path;
use std::time::Duration;
use tests::TestApp;
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = sql_types::Bool)]
    sync_deletes: bool,
}

/// The org's subscription to the partner's Account on `connection`: sharing's row, and sync's
/// read model (`None` until it has one).
async fn flags(app: &TestApp, connection: Uuid, org: Uuid) -> (bool, Option<bool>) {
    let mut conn = app.pool().get().await.expect("a connection");
    let stored: Flag = diesel::sql_query(
        "SELECT sync_deletes FROM sharing.subscriptions \
         WHERE connection_id = $1 AND org_id = $2 AND object = 'Account'",
    )
    .bind::<sql_types::Uuid, _>(connection)
    .bind::<sql_types::Uuid, _>(org)
    .get_result(&mut conn)
    .await
    .expect("the subscription");
    let read: Vec<Flag> = diesel::sql_query(
        "SELECT sync_deletes FROM sync.subscription_mappings \
         WHERE connection_id = $1 AND subscriber_org_id = $2 AND object = 'Account'",
    )
    .bind::<sql_types::Uuid, _>(connection)
    .bind::<sql_types::Uuid, _>(org)
    .load(&mut conn)
    .await
    .expect("sync's read model");
    (
        stored.sync_deletes,
        read.into_iter().next().map(|f| f.sync_deletes),
    )
}

async fn import(app: &TestApp, org: Uuid, file: &Path) -> Vec<String> {
    let mut conn = app.pool().get().await.expect("a connection");
    config_cli::import(&mut conn, org, file, false)
        .await
        .expect("imported")
}

#[tokio::test(flavor = "multi_thread")]
async fn config_as_code_sync_deletes_survive_export_and_import_and_can_be_turned_off() {
    let app = TestApp::spawn().await;
    let s = scenario(&app).await;
    let (a, b) = (s.a.id.as_uuid(), s.b.id.as_uuid());
    let mut conn = app.pool().get().await.expect("a connection");
    diesel::sql_query(
        "UPDATE sharing.subscriptions SET sync_deletes = true \
         WHERE org_id = $1 AND object = 'Account'",
    )
    .bind::<sql_types::Uuid, _>(a)
    .execute(&mut conn)
    .await
    .expect("A takes P's Account deletes");

    let yaml = config_cli::export(&mut conn, a, DocFormat::Yaml)
        .await
        .expect("exported");
    drop(conn);
    assert!(yaml.contains("sync_deletes: true"), "{yaml}");
    // Left out when false: only the Account subscription says it.
    assert_eq!(yaml.matches("sync_deletes").count(), 1, "{yaml}");
    let file = std::env::temp_dir().join(format!("pn-config-{}.yaml", Uuid::now_v7()));
    std::fs::write(&file, &yaml).expect("the document written");

    // Into B (its own connection to P): stored and announced to sync.
    let changes = import(&app, b, &file).await;
    assert!(
        changes.contains(&"+ subscriptions.Partner Co.Account".to_string()),
        "{changes:?}"
    );
    eventually("sync's read model", Duration::from_secs(20), || async {
        (flags(&app, s.p_b, b).await == (true, Some(true))).then_some(())
    })
    .await;
    let mut conn = app.pool().get().await.expect("a connection");
    let exported = config_cli::export(&mut conn, b, DocFormat::Yaml)
        .await
        .expect("B exported");
    drop(conn);
    assert_eq!(exported, yaml, "B's export is A's");

    // Again: nothing to change.
    assert_eq!(import(&app, b, &file).await, Vec::<String>::new());

    // A document without it turns it off.
    let without: Vec<&str> = yaml
        .lines()
        .filter(|l| !l.contains("sync_deletes"))
        .collect();
    std::fs::write(&file, without.join("\n") + "\n").expect("rewritten");
    let off: Vec<String> = import(&app, b, &file)
        .await
        .into_iter()
        .filter(|c| c.contains("sync_deletes"))
        .collect();
    assert_eq!(
        off,
        ["~ subscriptions.Partner Co.Account.sync_deletes: true -> false"]
    );
    eventually("sync's read model off", Duration::from_secs(20), || async {
        (flags(&app, s.p_b, b).await == (false, Some(false))).then_some(())
    })
    .await;
    let _ = std::fs::remove_file(&file);
    app.stop().await;
}
