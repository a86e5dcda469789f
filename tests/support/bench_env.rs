//! The environment a benchmark gives a test app: the services as deployed, with the tuning a
//! run asks for.
//!
//! A test app polls for due emails and idle outbox rows every 20 ms so that tests end quickly.
//! In a benchmark that polling is load the deployed services do not carry (four email workers
//! alone made 200 claim transactions a second, idle in transaction between their statements
//! for a third of a backend's time), so the pollers get the services' own defaults back.

use std::collections::HashMap;

/// The pollers a test app speeds up. Left unset, each service applies its own default
/// (`docs/operations.md`).
const TEST_POLLING: [&str; 2] = ["EMAIL_POLL_MS", "OUTBOX_POLL_MS"];

/// Drops the test app's polling intervals, then sets each of `tuning` and of the pollers that
/// the bench's own environment sets.
pub fn apply(env: &mut HashMap<String, String>, tuning: &[&str]) {
    for name in TEST_POLLING {
        env.remove(name);
    }
    for name in tuning.iter().chain(TEST_POLLING.iter()) {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.to_string(), value);
        }
    }
}
