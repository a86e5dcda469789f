//! `partnernet config export|import`, run as built: a dry run prints the plan and changes
//! nothing, an import applies it, and an export imported into another org exports the same.

use std::process::{Command, Output};

fn partnernet(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_partnernet"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("LOG_FORMAT", "text")
        .output()
        .expect("running the partnernet binary")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

const DOCUMENT: &str = "\
version: 1
objects:
- api_name: Invoice__c
  label: Invoice
  fields:
  - api_name: Name
    label: Name
    type: text
    max_length: 80
  - api_name: Amount__c
    label: Amount
    type: currency
    precision: 16
    scale: 2
    custom: true
- api_name: Account
  fields:
  - api_name: Tier__c
    label: Tier
    type: picklist
    values: [Gold, Silver]
    restricted: true
    custom: true
templates:
- name: Standard
  description: Resellers
  active: true
  objects:
  - object: Invoice__c
    fields: [Name, Amount__c]
";

#[tokio::test(flavor = "multi_thread")]
async fn config_export_and_import_round_trip_through_the_binary() {
    let database = shared::testing::TestDatabase::create(partnernet::all_migrations())
        .await
        .expect("test database");
    let url = database.url.clone();
    let (first, second) = {
        let pool = shared::db::pool(&url, 1).expect("pool");
        let mut conn = pool.get().await.expect("a connection");
        let a = shared::identity::create_org(&mut conn, "Alpha")
            .await
            .expect("org");
        let b = shared::identity::create_org(&mut conn, "Beta")
            .await
            .expect("org");
        (a.org_id.to_string(), b.org_id.to_string())
    };
    let dir = std::env::temp_dir().join(format!("pn-config-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("config.yaml");
    std::fs::write(&file, DOCUMENT).expect("written");
    let file = file.to_str().expect("a path");

    let empty = stdout(&partnernet(&url, &["config", "export", "--org", &first]));
    let plan = stdout(&partnernet(
        &url,
        &["config", "import", "--org", &first, file, "--dry-run"],
    ));
    let lines: Vec<&str> = plan.lines().collect();
    assert!(lines.contains(&"+ objects.Invoice__c"), "{plan}");
    assert!(
        lines.contains(&"+ objects.Account.fields.Tier__c"),
        "{plan}"
    );
    assert!(lines.contains(&"+ templates.Standard"), "{plan}");
    assert!(plan.ends_with("nothing changed\n"), "{plan}");
    assert_eq!(
        stdout(&partnernet(&url, &["config", "export", "--org", &first])),
        empty
    );

    let applied = stdout(&partnernet(
        &url,
        &["config", "import", "--org", &first, file],
    ));
    assert!(applied.ends_with("change(s) applied\n"), "{applied}");
    let exported = stdout(&partnernet(&url, &["config", "export", "--org", &first]));
    assert!(
        exported.contains("Invoice__c") && exported.contains("Tier__c"),
        "{exported}"
    );

    // The export, as JSON, into the second org: the same configuration.
    let json = stdout(&partnernet(
        &url,
        &["config", "export", "--org", &first, "--format", "json"],
    ));
    let json_file = dir.join("config.json");
    std::fs::write(&json_file, json).expect("written");
    let json_file = json_file.to_str().expect("a path");
    stdout(&partnernet(
        &url,
        &["config", "import", "--org", &second, json_file],
    ));
    assert_eq!(
        stdout(&partnernet(&url, &["config", "export", "--org", &second])),
        exported
    );
    let again = stdout(&partnernet(
        &url,
        &["config", "import", "--org", &second, json_file],
    ));
    assert!(again.starts_with("no changes"), "{again}");

    // An invalid document: every problem on stderr, exit status non-zero, nothing changed.
    let bad = DOCUMENT
        .replace("max_length: 80", "max_length: 0")
        .replace("Amount__c]", "Nope__c]");
    std::fs::write(dir.join("bad.yaml"), bad).expect("written");
    let output = partnernet(
        &url,
        &[
            "config",
            "import",
            "--org",
            &first,
            dir.join("bad.yaml").to_str().expect("path"),
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("objects[Invoice__c].fields[Name].max_length"),
        "{stderr}"
    );
    assert!(
        stderr.contains("templates[Standard].objects[Invoice__c].fields[Nope__c]"),
        "{stderr}"
    );
    assert_eq!(
        stdout(&partnernet(&url, &["config", "export", "--org", &first])),
        exported
    );
    let _ = std::fs::remove_dir_all(&dir);
}
