//! End-to-end tests: every service in process, against real PostgreSQL, RabbitMQ and SMTP.
//! Each test has its own database, queue prefix and SMTP server, so they run in parallel.

mod broker_loss;
mod broker_restart;
mod connections;
mod connections_admin;
mod connections_emails;
mod connections_history;
mod connections_support;
mod contracts;
mod database_loss;
mod database_restart;
mod dead_letters;
mod http_errors;
mod inbox_retention;
mod notifications;
mod outbox_relay;
mod redelivery;
mod retries;
mod runtime_batches;
mod runtime_failures;
mod runtime_handlers;
mod runtime_order;
mod runtime_processes;
mod shutdown;
mod token_secrecy;
mod topology;
mod walking_skeleton;
