//! The built `partnernet` binary, run as an operator runs it: what it prints on stdout must be
//! usable as is (documents, ids, keys), logs go to stderr, and arguments are checked by the CLI.

use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use std::process::{Command, Output};

fn partnernet(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_partnernet"));
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("running the partnernet binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn openapi_prints_only_the_document_even_when_an_unrelated_variable_is_invalid() {
    let output = partnernet(
        &["openapi"],
        &[("RETRY_COUNT", "many"), ("RUST_LOG", "debug")],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let document: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("stdout is exactly the OpenAPI document");
    assert_eq!(document["info"]["title"], "PartnerNet");
}

#[test]
fn asyncapi_prints_only_the_document_even_when_an_unrelated_variable_is_invalid() {
    let output = partnernet(
        &["asyncapi"],
        &[("AMQP_PREFETCH", "-1"), ("RUST_LOG", "debug")],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let document: serde_yaml::Value =
        serde_yaml::from_str(&stdout(&output)).expect("stdout is exactly the AsyncAPI document");
    assert!(document.get("asyncapi").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn org_create_prints_its_id_and_key_on_stdout_and_its_logs_on_stderr() {
    let database = shared::testing::TestDatabase::create(partnernet::all_migrations())
        .await
        .expect("test database");
    let prefix = shared::testing::unique_prefix();
    let output = partnernet(
        &["org", "create", "--name", "Acme Corp"],
        &[
            ("DATABASE_URL", &database.url),
            ("AMQP_URL", &shared::testing::amqp_url()),
            ("QUEUE_PREFIX", &prefix),
            ("RUST_LOG", "debug"),
            ("LOG_FORMAT", "text"),
        ],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let printed = stdout(&output);
    assert!(
        !printed.contains('\u{1b}'),
        "no colour codes on stdout: {printed:?}"
    );
    let lines: Vec<&str> = printed.lines().collect();
    // The org, its key, and its broker user with its exchange and change feed.
    assert_eq!(lines.len(), 8, "only the command's own lines: {printed:?}");
    let value_of = |label: &str| {
        lines
            .iter()
            .find_map(|line| line.strip_prefix(label))
            .map(|value| value.trim().to_string())
            .unwrap_or_else(|| panic!("a {label} line in {printed:?}"))
    };
    let broker_password = value_of("broker_password:");
    remove_broker_user(&value_of("broker_user:"), &value_of("change_feed:")).await;
    assert!(
        !stderr(&output).contains(&broker_password),
        "the broker password never appears in the logs"
    );
    let org_id = lines[0]
        .strip_prefix("org_id:")
        .expect("org_id line")
        .trim();
    uuid::Uuid::parse_str(org_id).expect("the org id is a UUID");
    let key = lines[1]
        .strip_prefix("api_key:")
        .expect("api_key line")
        .trim();
    assert!(key.starts_with("pn_"), "the key is printed: {key:?}");
    assert!(
        !stderr(&output).contains(key),
        "the key never appears in the logs"
    );
}

#[derive(QueryableByName)]
struct Present {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    present: bool,
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_creates_the_database_when_it_does_not_exist_yet() {
    let admin_url = shared::testing::admin_database_url();
    let name = format!("pn_test_fresh_{}", uuid::Uuid::new_v4().simple());
    let (server, _) = admin_url
        .rsplit_once('/')
        .expect("the admin URL names a database");
    let url = format!("{server}/{name}");

    // The topology goes under a prefix of the test's own, never the deployment's `partnernet`.
    let prefix = shared::testing::unique_prefix();
    let output = partnernet(
        &["migrate"],
        &[
            ("DATABASE_URL", &url),
            ("AMQP_URL", &shared::testing::amqp_url()),
            ("QUEUE_PREFIX", &prefix),
        ],
    );
    remove_queues_with_prefix(&prefix).await;
    let migrated = async {
        let mut conn = AsyncPgConnection::establish(&url).await?;
        let row: Present =
            diesel::sql_query("SELECT to_regclass('messaging.outbox') IS NOT NULL AS present")
                .get_result(&mut conn)
                .await?;
        anyhow::Ok(row.present)
    }
    .await;
    let mut admin = AsyncPgConnection::establish(&admin_url)
        .await
        .expect("admin connection");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("dropping the test database");

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(stdout(&output).contains("migration(s) applied"));
    assert!(
        migrated.expect("the new database answers"),
        "tables were created"
    );
}

#[test]
fn dead_letters_takes_the_service_as_a_choice() {
    let output = partnernet(&["dead-letters", "list", "invitations"], &[]);
    assert_eq!(output.status.code(), Some(2), "a usage error");
    let message = stderr(&output);
    assert!(message.contains("invitation"), "{message}");
    assert!(
        message.contains("notification"),
        "lists the choices: {message}"
    );
}

#[test]
fn org_arguments_must_be_uuids_everywhere() {
    for args in [
        &[
            "domain",
            "verify",
            "--org",
            "acme",
            "--domain",
            "acme.example",
        ][..],
        &[
            "user",
            "create",
            "--org",
            "acme",
            "--name",
            "Olga",
            "--email",
            "o@acme.example",
        ][..],
        &["key", "create", "--org", "acme", "--name", "reporting"][..],
    ] {
        let output = partnernet(args, &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("--org"), "{args:?}");
    }
}

/// The broker's management API and its administrator, as the CLI finds them.
fn management() -> (String, String, String) {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    (
        var("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672"),
        var("RABBITMQ_ADMIN_USER", "guest"),
        var("RABBITMQ_ADMIN_PASSWORD", "guest"),
    )
}

async fn management_delete(path: &str) {
    let (api, admin, password) = management();
    let _ = reqwest::Client::new()
        .delete(format!("{api}/api/{path}"))
        .basic_auth(&admin, Some(&password))
        .send()
        .await;
}

/// Deletes the broker user and change-feed queue `org create` made on the shared broker.
async fn remove_broker_user(user: &str, feed: &str) {
    management_delete(&format!("users/{user}")).await;
    management_delete(&format!("queues/%2F/{feed}")).await;
}

/// Deletes every queue `migrate` declared under the test's prefix.
async fn remove_queues_with_prefix(prefix: &str) {
    let (api, admin, password) = management();
    let Ok(response) = reqwest::Client::new()
        .get(format!("{api}/api/queues/%2F?columns=name"))
        .basic_auth(&admin, Some(&password))
        .send()
        .await
    else {
        return;
    };
    let queues: Vec<serde_json::Value> = response.json().await.unwrap_or_default();
    let own = format!("{prefix}.");
    for name in queues.iter().filter_map(|q| q["name"].as_str()) {
        if name.starts_with(&own) {
            management_delete(&format!("queues/%2F/{name}")).await;
        }
    }
}
