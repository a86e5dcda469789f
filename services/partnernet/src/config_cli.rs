//! `partnernet config export|import|schema`: the same library functions as `GET /v1/config` and
//! `POST /v1/config/import`, run against the database directly.

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use diesel_async::AsyncPgConnection;
use sharing::config::{self, Format, ImportError};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print an org's configuration as one document (YAML unless --format json).
    Export {
        #[arg(long)]
        org: uuid::Uuid,
        #[arg(long, value_enum, default_value_t = DocFormat::Yaml)]
        format: DocFormat,
    },
    /// Make an org's configuration exactly a document's (YAML, or JSON for a .json file or a
    /// document starting with `{`; `-` reads stdin). Prints each change; with --dry-run only
    /// prints them.
    Import {
        #[arg(long)]
        org: uuid::Uuid,
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the document's JSON Schema.
    Schema,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DocFormat {
    Yaml,
    Json,
}

/// The JSON Schema, printed without configuration or a database.
pub fn schema() -> anyhow::Result<String> {
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&config::document::json_schema())?
    ))
}

pub async fn run(conn: &mut AsyncPgConnection, command: ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Schema => print!("{}", schema()?),
        ConfigCommand::Export { org, format } => print!("{}", export(conn, org, format).await?),
        ConfigCommand::Import { org, file, dry_run } => {
            let changes = import(conn, org, &file, dry_run).await?;
            for change in &changes {
                println!("{change}");
            }
            let n = changes.len();
            if n == 0 {
                println!("no changes: the configuration is already the document's");
            } else if dry_run {
                println!("dry run: {n} change(s), nothing changed");
            } else {
                println!("{n} change(s) applied");
            }
        }
    }
    Ok(())
}

/// The org's configuration as one document's text: what `config export` prints.
pub async fn export(
    conn: &mut AsyncPgConnection,
    org: uuid::Uuid,
    format: DocFormat,
) -> anyhow::Result<String> {
    known_org(conn, org).await?;
    let document = config::export(conn, org).await.map_err(describe)?;
    Ok(match format {
        DocFormat::Yaml => document.to_yaml()?,
        DocFormat::Json => document.to_json()?,
    })
}

/// Makes the org's configuration exactly the document in `file` (only plans it with
/// `dry_run`): what `config import` does. Returns the changes, one a line.
pub async fn import(
    conn: &mut AsyncPgConnection,
    org: uuid::Uuid,
    file: &Path,
    dry_run: bool,
) -> anyhow::Result<Vec<String>> {
    known_org(conn, org).await?;
    let bytes = read(file)?;
    let format = format_of(file, &bytes);
    let document = config::parse(&bytes, format).map_err(describe)?;
    let outcome = config::import(conn, org, document, dry_run)
        .await
        .map_err(describe)?;
    Ok(outcome.changes.iter().map(ToString::to_string).collect())
}

async fn known_org(conn: &mut AsyncPgConnection, org: uuid::Uuid) -> anyhow::Result<()> {
    shared::identity::org_name(conn, shared::ids::OrgId(org))
        .await?
        .with_context(|| format!("no org {org}"))?;
    Ok(())
}

fn read(file: &Path) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

fn format_of(file: &Path, bytes: &[u8]) -> Format {
    let json_name = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let starts_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if json_name || starts_json {
        Format::Json
    } else {
        Format::Yaml
    }
}

/// Every problem on its own line, so an operator can fix them all at once.
fn describe(err: ImportError) -> anyhow::Error {
    match err {
        ImportError::Invalid(problems) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            anyhow::anyhow!(
                "the document has {} problem(s); nothing was changed:\n{}",
                problems.len(),
                lines.join("\n")
            )
        }
        other => other.into(),
    }
}
