//! Subscriptions: what an org takes of its partner's publications on a connection, and how each
//! published object and field is mapped to its own.
//! - [`rules`]: the mapping rules applied to a request (pure);
//! - [`store`]: subscriptions and field mappings as stored;
//! - [`view`]: what the subscriber sees, and what it could subscribe to;
//! - [`announce`]: every change told as `SubscriptionChangedV1`.

pub mod announce;
pub mod rules;
pub mod store;
pub mod view;
