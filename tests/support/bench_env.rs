//! The environment a benchmark gives a test app: the services as deployed, with the tuning a
//! run asks for.
//!
//! A test app polls for due emails and idle outbox rows every 20 ms so that tests end quickly.
//! In a benchmark that polling is load the deployed services do not carry (four email workers
//! alone made 200 claim transactions a second, idle in transaction between their statements
//! for a third of a backend's time), so the pollers get the services' own defaults back.

use std::collections::HashMap;

/// The services' defaults for the pollers a test app speeds up (`docs/operations.md`).
const DEPLOYED_POLLING: [(&str, &str); 2] = [("EMAIL_POLL_MS", "200"), ("OUTBOX_POLL_MS", "100")];

/// Sets the deployed pollers' intervals, then each of `tuning` that the bench's own environment
/// sets (a value there wins over both).
pub fn apply(env: &mut HashMap<String, String>, tuning: &[&str]) {
    for (name, value) in DEPLOYED_POLLING {
        env.insert(name.to_string(), value.to_string());
    }
    for name in tuning
        .iter()
        .chain(DEPLOYED_POLLING.iter().map(|(name, _)| name))
    {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.to_string(), value);
        }
    }
}
