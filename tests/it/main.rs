//! End-to-end tests: every service in process, against real PostgreSQL, RabbitMQ and SMTP.
//! Each test has its own database, queue prefix and SMTP server, so they run in parallel.

mod broker_loss;
mod connections;
mod connections_admin;
mod connections_emails;
mod connections_history;
mod connections_support;
mod contracts;
mod database_loss;
mod dead_letters;
mod hardening_http;
mod http_errors;
mod idempotency_keys;
mod notifications;
mod org_admin_scope;
mod redelivery;
mod retries;
mod shutdown;
mod slow_clients;
mod walking_skeleton;
