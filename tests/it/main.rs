//! End-to-end tests: every service in process, against real PostgreSQL, RabbitMQ and SMTP.
//! Each test has its own database, queue prefix and SMTP server, so they run in parallel.

mod body_limit;
mod broker_loss;
mod broker_users;
mod connections;
mod connections_admin;
mod connections_emails;
mod connections_history;
mod connections_support;
mod contracts;
mod database_loss;
mod dead_letters;
mod http_errors;
mod notifications;
mod redelivery;
mod retries;
mod shutdown;
mod walking_skeleton;
