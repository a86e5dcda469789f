//! `partnernet`: the operator CLI. `partnernet --help` lists the commands.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use partnernet::{AllConfig, all_migrations, asyncapi, openapi, serve_all};
use shared::amqp::dead_letters;
use shared::config::CommonConfig;

#[derive(Parser)]
#[command(
    name = "partnernet",
    version,
    about = "Operate PartnerNet: migrate, manage orgs, serve, inspect."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply every pending database migration (run once per deployment, before the services).
    Migrate,
    /// Organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Users of an org.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Run one service, or all four in one process on one port.
    Serve {
        #[arg(value_enum)]
        service: Service,
    },
    /// Print the OpenAPI document (docs/openapi.json).
    Openapi,
    /// Print the AsyncAPI document (docs/asyncapi.yaml).
    Asyncapi,
    /// API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Email sender domains.
    Domain {
        #[command(subcommand)]
        command: DomainCommand,
    },
    /// Dead letters of a service.
    DeadLetters {
        #[command(subcommand)]
        command: DeadLetterCommand,
    },
    /// Exit 0 if the URL answers 2xx (container health checks).
    Probe { url: String },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an org with its Connection User and an API key holding every scope (admin too).
    /// Prints the key once; only its hash is stored.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key for an org. Prints the key once; only its hash is stored.
    Create {
        #[arg(long)]
        org: uuid::Uuid,
        #[arg(long)]
        name: String,
        /// Comma-separated: manage_connections, forward, accept, read, admin.
        #[arg(long, value_delimiter = ',', default_value = "read")]
        scopes: Vec<String>,
    },
}

#[derive(Subcommand)]
enum DomainCommand {
    /// Mark a domain as verified for an org: its sender address may then be used as From.
    Verify {
        #[arg(long)]
        org: uuid::Uuid,
        #[arg(long)]
        domain: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an active user to an org (e.g. to own connections). Prints its id.
    Create {
        #[arg(long)]
        org: uuid::Uuid,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum DeadLetterCommand {
    /// Show dead letters (they stay in the queue).
    List {
        #[arg(value_enum)]
        service: DeadLetterService,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Send dead letters back to the queues they came from.
    Replay {
        #[arg(value_enum)]
        service: DeadLetterService,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

/// A service that has a dead-letter queue.
#[derive(Clone, Copy, ValueEnum)]
enum DeadLetterService {
    Invitation,
    Sharing,
    Sync,
    Notification,
}

impl DeadLetterService {
    fn name(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Sharing => "sharing",
            Self::Sync => "sync",
            Self::Notification => "notification",
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Service {
    Invitation,
    Sharing,
    Sync,
    Notification,
    All,
}

/// The document a command prints, if it is one of the contract commands.
fn document(command: &Command) -> Option<anyhow::Result<String>> {
    match command {
        Command::Openapi => Some(openapi::render()),
        Command::Asyncapi => Some(asyncapi::render()),
        _ => None,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Documents are printed from the code alone: no configuration, no logs in their output.
    if let Some(document) = document(&cli.command) {
        print!("{}", document?);
        return Ok(());
    }
    let common = CommonConfig::from_env()?;
    // Logs go to stderr: stdout carries only what a command prints (ids, keys, JSON).
    shared::telemetry::init(common.log_format);
    match cli.command {
        Command::Migrate => {
            let (admin_url, name) = partnernet::database_url::split(common.database_url.expose())?;
            // A fresh server has no database yet. Creating it needs the right to; where that is
            // refused, the database may well exist already, and migrating says if it does not.
            if let Err(e) = shared::db::ensure_database(&admin_url, &name).await {
                tracing::warn!(error = %format!("{e:#}"), database = %name, "could not make sure the database exists");
            }
            let applied =
                shared::db::run_migrations(common.database_url.expose(), all_migrations()).await?;
            println!("{} migration(s) applied", applied.len());
            for version in applied {
                println!("  {version}");
            }
            partnernet::declare_topology(&AllConfig::from_env()?)
                .await
                .context("declaring the RabbitMQ topology")?;
            println!("RabbitMQ topology declared");
        }
        Command::Org {
            command: OrgCommand::Create { name },
        } => {
            let pool = shared::db::pool(common.database_url.expose(), 1)?;
            let mut conn = pool.get().await.context("connecting to PostgreSQL")?;
            let org = shared::identity::create_org(&mut conn, &name).await?;
            println!("org_id:  {}", org.org_id);
            println!("api_key: {}", org.api_key);
            println!("Keep the key now: it is not stored and cannot be shown again.");
        }
        Command::User {
            command: UserCommand::Create { org, name, email },
        } => {
            let invalid = |e: shared::validate::Invalid| anyhow::anyhow!("--{e}");
            let name = shared::validate::text("name", &name, 200).map_err(invalid)?;
            let email = shared::validate::email("email", &email).map_err(invalid)?;
            let pool = shared::db::pool(common.database_url.expose(), 1)?;
            let mut conn = pool.get().await.context("connecting to PostgreSQL")?;
            let org = shared::ids::OrgId(org);
            shared::identity::org_name(&mut conn, org)
                .await?
                .with_context(|| format!("no org {org}"))?;
            let user = invitation::org_users::create(&mut conn, org, &name, &email).await?;
            println!("user_id: {}", user.id);
        }
        Command::Serve { service } => {
            let shutdown = shared::shutdown::on_signal();
            // Idempotent: a deployment that skipped `migrate` still gets every queue before
            // this service publishes. Not fatal: the consumers declare their own queues too.
            if let Err(err) = partnernet::declare_topology(&AllConfig::from_env()?).await {
                tracing::warn!(error = %format!("{err:#}"), "could not declare the whole topology at start");
            }
            match service {
                Service::Invitation => {
                    invitation::run(invitation::Config::from_env()?, shutdown).await?
                }
                Service::Notification => {
                    notification::run(notification::Config::from_env()?, shutdown).await?
                }
                Service::Sharing => sharing::run(sharing::Config::from_env()?, shutdown).await?,
                Service::Sync => sync::run(sync::Config::from_env()?, shutdown).await?,
                Service::All => {
                    let listener = shared::service::bind(&common).await?;
                    serve_all(AllConfig::from_env()?, listener, shutdown).await?
                }
            }
        }
        Command::Key {
            command: KeyCommand::Create { org, name, scopes },
        } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    shared::identity::Scope::parse(s.trim()).with_context(|| {
                        format!(
                            "unknown scope {s:?}: use {}",
                            shared::identity::Scope::names()
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let pool = shared::db::pool(common.database_url.expose(), 1)?;
            let mut conn = pool.get().await.context("connecting to PostgreSQL")?;
            let key =
                shared::identity::create_key(&mut conn, shared::ids::OrgId(org), &name, &scopes)
                    .await?;
            println!("api_key: {key}");
            println!("Keep the key now: it is not stored and cannot be shown again.");
        }
        Command::Domain {
            command: DomainCommand::Verify { org, domain },
        } => {
            let org = shared::ids::OrgId(org);
            let pool = shared::db::pool(common.database_url.expose(), 1)?;
            let mut conn = pool.get().await.context("connecting to PostgreSQL")?;
            notification::sender::verify_domain(&mut conn, org, &domain).await?;
            println!("{domain} verified for org {org}");
        }
        // Printed before any configuration was read.
        Command::Openapi | Command::Asyncapi => {}
        Command::DeadLetters { command } => {
            let topology = shared::amqp::Topology::new(&common.queue_prefix, common.retry.clone());
            match command {
                DeadLetterCommand::List { service, limit } => {
                    let letters = dead_letters::list(
                        common.amqp_url.expose(),
                        &topology,
                        service.name(),
                        limit,
                    )
                    .await?;
                    println!("{}", serde_json::to_string_pretty(&letters)?);
                }
                DeadLetterCommand::Replay { service, limit } => {
                    let n = dead_letters::replay(
                        common.amqp_url.expose(),
                        &topology,
                        service.name(),
                        limit,
                    )
                    .await?;
                    println!("{n} message(s) replayed");
                }
            }
        }
        Command::Probe { url } => {
            let response = reqwest::Client::new()
                .get(&url)
                .timeout(std::time::Duration::from_secs(3))
                .send()
                .await
                .with_context(|| format!("requesting {url}"))?;
            anyhow::ensure!(
                response.status().is_success(),
                "{url} answered {}",
                response.status()
            );
        }
    }
    Ok(())
}
