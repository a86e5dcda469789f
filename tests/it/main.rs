//! End-to-end tests: every service in process, against real PostgreSQL, RabbitMQ and SMTP.
//! Each test has its own database, queue prefix and SMTP server, so they run in parallel.

mod body_limit;
mod broker_loss;
mod broker_restart;
mod broker_users;
mod connections;
mod connections_admin;
mod connections_emails;
mod connections_history;
mod connections_support;
mod contracts;
mod database_loss;
mod database_restart;
mod dead_letters;
mod hardening_http;
mod http_errors;
mod idempotency_keys;
mod inbox_retention;
mod notifications;
mod org_admin_scope;
mod outbox_relay;
mod redelivery;
mod retries;
mod runtime_batches;
mod runtime_failures;
mod runtime_handlers;
mod runtime_order;
mod runtime_processes;
mod shutdown;
mod slow_clients;
mod token_secrecy;
mod topology;
mod walking_skeleton;
