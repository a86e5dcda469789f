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
    /// Field sync.
    Sync {
        #[command(subcommand)]
        command: SyncCommand,
    },
    /// An org's records: import a file, publish one as the org's system would.
    Records {
        #[command(subcommand)]
        command: RecordsCommand,
    },
    /// Exit 0 if the URL answers 2xx (container health checks).
    Probe { url: String },
    /// An org's configuration as code: object schemas, templates, publications, subscriptions.
    Config {
        #[command(subcommand)]
        command: partnernet::config_cli::ConfigCommand,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an org with its Connection User, an API key holding every scope (admin too) and
    /// its own RabbitMQ user (to publish records and read its change feed; made through the
    /// management API: RABBITMQ_MANAGEMENT_URL, RABBITMQ_ADMIN_USER, RABBITMQ_ADMIN_PASSWORD).
    /// Prints the key and the broker password once; neither is stored by PartnerNet.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Give the org's RabbitMQ user a new password (creating the user if it has none). Prints
    /// it once.
    RotateBrokerPassword {
        #[arg(long)]
        org: uuid::Uuid,
    },
}

#[derive(Subcommand)]
enum RecordsCommand {
    /// Create or update the org's records from a CSV file (a header row with a `record_id`
    /// column and one column per field) or an NDJSON file (`{"record_id", "fields"}` per line).
    /// Shows progress on stderr and prints a summary; a bad row does not stop the others.
    Import {
        #[arg(long)]
        org: uuid::Uuid,
        /// The object's API name; by default the file's name (`Account.csv`).
        #[arg(long)]
        object: Option<String>,
        file: std::path::PathBuf,
    },
    /// Publish `record.upsert.v1` to the ingest exchange as the org's broker user (the user
    /// and password `partnernet org create` printed). Fields as `Name=value` (`Name=` clears).
    Publish {
        #[arg(long)]
        org: uuid::Uuid,
        #[arg(long)]
        user: String,
        #[arg(long, env = "PARTNERNET_BROKER_PASSWORD", hide_env_values = true)]
        password: String,
        object: String,
        record_id: String,
        fields: Vec<String>,
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
        /// Comma-separated: manage_connections, forward, accept, read, admin, write_records.
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
        /// What the user may do on the web pages, comma-separated scope names (default: every
        /// scope but `admin`).
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
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

#[derive(Subcommand)]
enum SyncCommand {
    /// Replay an org's dead-lettered field sync updates (ledger Failed or Retrying): one
    /// update, every one of a copy, or every one over a connection.
    Replay {
        org: uuid::Uuid,
        #[arg(long, group = "which")]
        update_id: Option<uuid::Uuid>,
        #[arg(long, group = "which")]
        record_id: Option<String>,
        #[arg(long, group = "which")]
        connection_id: Option<uuid::Uuid>,
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

/// The name a serving process's spans are exported under (unless `OTEL_SERVICE_NAME` says
/// otherwise); `None` for the other commands, whose spans are not exported.
fn process_name(command: &Command) -> Option<&'static str> {
    match command {
        Command::Serve { service } => Some(match service {
            Service::Invitation => "partnernet-invitation",
            Service::Sharing => "partnernet-sharing",
            Service::Sync => "partnernet-sync",
            Service::Notification => "partnernet-notification",
            Service::All => "partnernet",
        }),
        _ => None,
    }
}

/// The document a command prints, if it is one of the contract commands.
fn document(command: &Command) -> Option<anyhow::Result<String>> {
    match command {
        Command::Openapi => Some(openapi::render()),
        Command::Asyncapi => Some(asyncapi::render()),
        Command::Config {
            command: partnernet::config_cli::ConfigCommand::Schema,
        } => Some(partnernet::config_cli::schema()),
        _ => None,
    }
}

fn print_broker_user(
    user: &partnernet::broker_users::OrgBrokerUser,
    topology: &shared::amqp::Topology,
) {
    println!("broker_user:     {}", user.username);
    println!("broker_password: {}", user.password);
    println!("ingest_exchange: {}", topology.ingest_exchange());
    println!("change_feed:     {}", user.change_feed);
    println!("Keep the broker password now: only the broker stores it.");
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
    shared::telemetry::init(common.log_format, process_name(&cli.command));
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
            let topology = shared::amqp::Topology::new(&common.queue_prefix, common.retry.clone());
            let user = partnernet::broker_users::ensure(
                &partnernet::broker_users::Management::from_env(),
                &mut conn,
                common.amqp_url.expose(),
                &topology,
                org.org_id,
            )
            .await
            .context("creating the org's broker user (the org exists: run `partnernet org rotate-broker-password --org <org_id>` to try again)")?;
            print_broker_user(&user, &topology);
        }
        Command::Org {
            command: OrgCommand::RotateBrokerPassword { org },
        } => {
            let org = shared::ids::OrgId(org);
            let pool = shared::db::pool(common.database_url.expose(), 1)?;
            let mut conn = pool.get().await.context("connecting to PostgreSQL")?;
            shared::identity::org_name(&mut conn, org)
                .await?
                .with_context(|| format!("no org {org}"))?;
            let topology = shared::amqp::Topology::new(&common.queue_prefix, common.retry.clone());
            let user = partnernet::broker_users::ensure(
                &partnernet::broker_users::Management::from_env(),
                &mut conn,
                common.amqp_url.expose(),
                &topology,
                org,
            )
            .await?;
            print_broker_user(&user, &topology);
        }
        Command::User {
            command:
                UserCommand::Create {
                    org,
                    name,
                    email,
                    scopes,
                },
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
            let scopes = match scopes {
                Some(names) => names
                    .iter()
                    .map(|n| {
                        shared::identity::Scope::parse(n.trim()).with_context(|| {
                            format!(
                                "--scopes: {n:?} is not one of {}",
                                shared::identity::Scope::names()
                            )
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?,
                None => shared::identity::Scope::ALL
                    .into_iter()
                    .filter(|s| *s != shared::identity::Scope::Admin)
                    .collect(),
            };
            let user =
                invitation::org_users::create(&mut conn, org, &name, &email, &scopes).await?;
            println!("user_id: {}", user.id);
        }
        Command::Serve { service } => {
            let shutdown = shared::shutdown::on_signal();
            // Idempotent: a deployment that skipped `migrate` still gets every queue before
            // this service publishes. Not fatal: the consumers declare their own queues too.
            if let Err(err) = partnernet::declare_topology(&AllConfig::from_env()?).await {
                tracing::warn!(error = %format!("{err:#}"), "could not declare the whole topology at start");
            }
            let served = match service {
                Service::Invitation => {
                    invitation::run(invitation::Config::from_env()?, shutdown).await
                }
                Service::Notification => {
                    notification::run(notification::Config::from_env()?, shutdown).await
                }
                Service::Sharing => sharing::run(sharing::Config::from_env()?, shutdown).await,
                Service::Sync => sync::run(sync::Config::from_env()?, shutdown).await,
                Service::All => {
                    let listener = shared::service::bind(&common).await?;
                    serve_all(AllConfig::from_env()?, listener, shutdown).await
                }
            };
            // The spans of the last requests and messages, before the process ends.
            shared::telemetry::shutdown();
            served?
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
        Command::Sync {
            command:
                SyncCommand::Replay {
                    org,
                    update_id,
                    record_id,
                    connection_id,
                },
        } => {
            use sync::replay::Selector;
            let selector = match (update_id, record_id, connection_id) {
                (Some(id), _, _) => Selector::Update(id),
                (_, Some(id), _) => Selector::Record(id),
                (_, _, Some(id)) => Selector::Connection(id),
                _ => anyhow::bail!("give one of --update-id, --record-id, --connection-id"),
            };
            let topology = shared::amqp::Topology::new(&common.queue_prefix, common.retry.clone());
            let pool = shared::db::pool(common.database_url.expose(), 1)?;
            let n = sync::replay::replay(
                &pool,
                common.amqp_url.expose(),
                &topology,
                shared::ids::OrgId(org),
                &selector,
            )
            .await?;
            println!("{n} update(s) replayed");
        }
        Command::Config { command } => {
            let pool = shared::db::pool(common.database_url.expose(), 1)?;
            let mut conn = pool.get().await.context("connecting to PostgreSQL")?;
            partnernet::config_cli::run(&mut conn, command).await?;
        }
        Command::Records {
            command: RecordsCommand::Import { org, object, file },
        } => {
            let object = partnernet::records::object_of(&file, object.as_deref())?;
            let summary = partnernet::records::import(
                common.database_url.expose(),
                shared::ids::OrgId(org),
                &object,
                &file,
            )
            .await?;
            partnernet::records::print_summary(&summary);
        }
        Command::Records {
            command:
                RecordsCommand::Publish {
                    org,
                    user,
                    password,
                    object,
                    record_id,
                    fields,
                },
        } => {
            let topology = shared::amqp::Topology::new(&common.queue_prefix, common.retry.clone());
            let record = shared::message::events::record::RecordUpsertV1 {
                object,
                record_id,
                fields: partnernet::records::fields_of(&fields)?,
                private: None,
            };
            let envelope = partnernet::records::publish(
                common.amqp_url.expose(),
                &topology,
                shared::ids::OrgId(org),
                &user,
                &password,
                record,
            )
            .await?;
            println!("published: message_id {}", envelope.message_id);
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
