//! Bulk upsert over HTTP: NDJSON streamed, a summary back; a bad line fails alone.

use serde_json::{Value, json};
use tests::TestApp;
use tests::records::{bulk_upsert as bulk, get_record};

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_upsert_writes_every_good_line_and_reports_each_bad_one_by_number() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let mut lines: Vec<String> = (0..1200)
        .map(|i| {
            json!({"record_id": format!("B-{i}"), "fields": {"Name": format!("Account {i}")}})
                .to_string()
        })
        .collect();
    lines[3] = "{not json".to_string();
    lines[700] =
        json!({"record_id": "B-700", "fields": {"Name": "x", "Colour__c": "red"}}).to_string();
    lines[1100] = json!({"record_id": "B-1100", "fields": {"NumberOfEmployees": -5, "Name": "y"}})
        .to_string();

    let (status, summary) = bulk(&app, &acme.key, "Account", lines.join("\n")).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["created"], 1197);
    assert_eq!(summary["failed"], 3);
    let failures: Vec<(u64, Value)> = summary["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| (f["line"].as_u64().unwrap_or(0), f["field"].clone()))
        .collect();
    assert_eq!(
        failures,
        vec![
            (4, Value::Null),
            (701, json!("fields.Colour__c")),
            (1101, json!("fields.NumberOfEmployees")),
        ]
    );
    assert_eq!(get_record(&app, &acme, "Account", "B-1199").await.0, 200);
    assert_eq!(get_record(&app, &acme, "Account", "B-700").await.0, 404);

    // The same again, one line changed: one update, the rest unchanged.
    let again: String = (0..10)
        .map(|i| {
            let name = if i == 5 {
                "Renamed".to_string()
            } else {
                format!("Account {i}")
            };
            json!({"record_id": format!("B-{i}"), "fields": {"Name": name}}).to_string() + "\n"
        })
        .collect();
    let (_, summary) = bulk(&app, &acme.key, "Account", again).await;
    assert_eq!(
        (
            summary["created"].clone(),
            summary["updated"].clone(),
            summary["unchanged"].clone(),
            summary["failed"].clone()
        ),
        (json!(1), json!(1), json!(8), json!(0)),
        "B-3 failed before, so it is created now: {summary}"
    );

    let response = app
        .post(
            "/v1/records/Account/bulk",
            Some(&acme.key),
            &json!({"record_id": "x"}),
        )
        .await;
    assert_eq!(response.status(), 415, "NDJSON only");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_imports_a_csv_file_and_reports_its_bad_rows() {
    let app = TestApp::spawn().await;
    let acme = app.create_org("Acme Corp").await;
    let path = std::env::temp_dir().join(format!("Account-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        "record_id,Name,NumberOfEmployees,Industry\n\
         C-1,Acme,12,Banking\n\
         C-2,\"Initech, Inc.\",,\n\
         C-3,Globex,many,\n\
         C-4,,5,\n",
    )
    .expect("file written");

    let summary = partnernet::records::import(&app.db.url, acme.id, "Account", &path)
        .await
        .expect("imported");
    let _ = std::fs::remove_file(&path);

    assert_eq!((summary.created, summary.failed), (2, 2), "{summary:?}");
    let failed: Vec<(u64, Option<String>)> = summary
        .failures
        .iter()
        .map(|f| (f.line, f.field.clone()))
        .collect();
    assert_eq!(
        failed,
        vec![
            (3, Some("fields.NumberOfEmployees".to_string())),
            (4, Some("fields.Name".to_string()))
        ]
    );
    let (_, record) = get_record(&app, &acme, "Account", "C-1").await;
    assert_eq!(
        record["fields"],
        json!({"Name": "Acme", "NumberOfEmployees": 12, "Industry": "Banking"})
    );
    assert_eq!(
        record["last_modified_by"],
        json!({"kind": "org", "source": "bulk"})
    );
    let (_, record) = get_record(&app, &acme, "Account", "C-2").await;
    assert_eq!(
        record["fields"],
        json!({"Name": "Initech, Inc."}),
        "empty cells set nothing"
    );
    app.stop().await;
}
