//! What `/readyz` reports: each long-lived component says whether it is connected.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct Health {
    components: Arc<Mutex<BTreeMap<String, bool>>>,
    busy: Arc<AtomicUsize>,
}

impl Health {
    /// Records whether `component` (e.g. `consumer invitation.history`) is connected.
    pub fn set(&self, component: &str, up: bool) {
        if let Ok(mut map) = self.components.lock() {
            map.insert(component.to_string(), up);
        }
    }

    /// Whether `component` has reported, and is connected.
    pub fn is_up(&self, component: &str) -> bool {
        self.components
            .lock()
            .map(|map| map.get(component).copied().unwrap_or(false))
            .unwrap_or(false)
    }

    /// Components that are down, by name.
    pub fn down(&self) -> Vec<String> {
        self.components
            .lock()
            .map(|map| {
                map.iter()
                    .filter(|(_, up)| !**up)
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A consumer started handling a delivery.
    pub fn begin_work(&self) {
        self.busy.fetch_add(1, Ordering::SeqCst);
    }

    /// A consumer finished handling a delivery.
    pub fn end_work(&self) {
        self.busy.fetch_sub(1, Ordering::SeqCst);
    }

    /// Deliveries being handled right now, across the process's consumers.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::SeqCst)
    }
}
