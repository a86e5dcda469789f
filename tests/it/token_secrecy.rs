//! No table holds a working invitation token: every string that looks like one, in every text
//! and JSON column of every table, is tried against the claim endpoint, and none works.

use crate::connections_support::{invite, pair};
use diesel_async::RunQueryDsl;
use serde_json::json;
use tests::TestApp;

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_schema: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

#[derive(diesel::QueryableByName)]
struct Value {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    value: Option<String>,
}

/// Every value of every text-like column of every table of the app's database.
async fn every_stored_text(app: &TestApp) -> Vec<String> {
    let mut conn = app.pool().get().await.expect("a connection");
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.table_schema::text AS table_schema, c.table_name::text AS table_name, \
                c.column_name::text AS column_name \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE t.table_type = 'BASE TABLE' \
           AND c.table_schema NOT IN ('pg_catalog', 'information_schema') \
           AND c.data_type IN ('text', 'jsonb', 'json', 'character varying', 'bytea', 'ARRAY')",
    )
    .load(&mut conn)
    .await
    .expect("the columns");
    assert!(columns.len() > 20, "the catalogue was read");
    let mut texts = Vec::new();
    for column in columns {
        let values: Vec<Value> = diesel::sql_query(format!(
            "SELECT \"{}\"::text AS value FROM \"{}\".\"{}\"",
            column.column_name, column.table_schema, column.table_name
        ))
        .load(&mut conn)
        .await
        .expect("a column read");
        texts.extend(values.into_iter().filter_map(|v| v.value));
    }
    texts
}

/// Runs of url-safe characters long enough to be a token (or to contain one).
fn token_like(texts: &[String]) -> Vec<String> {
    let mut found: Vec<String> = texts
        .iter()
        .flat_map(|text| {
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .filter(|word| word.len() >= 16)
                .map(|word| word.to_string())
                .flat_map(|word: String| {
                    // The word itself, what follows a `pn-sealed-` marker, and after each dash.
                    let word = word.as_str();
                    let mut forms = vec![word.to_string()];
                    forms.extend(word.strip_prefix("pn-sealed-").map(str::to_string));
                    forms.extend(
                        word.match_indices('-')
                            .map(|(at, _)| word[at + 1..].to_string()),
                    );
                    forms
                })
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn no_table_holds_a_working_invitation_token_after_an_invite_and_its_email() {
    let app = TestApp::spawn().await;
    let pair = pair(&app).await;
    let (_, emailed_token) = invite(&app, &pair, "gina@globex.example").await;
    app.wait_idle().await;

    let texts = every_stored_text(&app).await;
    let candidates = token_like(&texts);
    assert!(
        candidates.iter().any(|c| c.len() == 22),
        "the sealed reference was among the candidates"
    );
    assert!(
        !candidates.contains(&emailed_token),
        "the working token is stored somewhere"
    );
    for candidate in &candidates {
        let response = app
            .post(
                "/v1/invitations/claim",
                Some(&pair.globex.key),
                &json!({ "token": candidate }),
            )
            .await;
        assert_ne!(response.status(), 200, "{candidate} claimed the invitation");
    }
    println!("{} stored strings tried, none claims", candidates.len());

    // The emailed token does work: the check above could have caught a stored one.
    let claimed = app
        .post(
            "/v1/invitations/claim",
            Some(&pair.globex.key),
            &json!({ "token": emailed_token }),
        )
        .await;
    assert_eq!(claimed.status(), 200);
    app.stop().await;
}
