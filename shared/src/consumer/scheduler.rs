//! Which delivered messages may run now: per-key queues, so that messages with the same key run
//! one after another in queue order while other keys (and unkeyed messages) run beside them.
//! Pure bookkeeping, no I/O: the session loop asks it for batches and tells it when keys are free.

use std::collections::{HashMap, HashSet, VecDeque};

pub(crate) trait Keyed {
    fn key(&self) -> Option<&str>;
}

pub(crate) struct Scheduler<T> {
    keyed: HashMap<String, VecDeque<T>>,
    /// Keys with waiting messages and no batch holding them, oldest first.
    ready: VecDeque<String>,
    /// Keys a batch is running (or a retry is waiting) for.
    held: HashSet<String>,
    unordered: VecDeque<T>,
    queued: usize,
}

impl<T: Keyed> Default for Scheduler<T> {
    fn default() -> Self {
        Self {
            keyed: HashMap::new(),
            ready: VecDeque::new(),
            held: HashSet::new(),
            unordered: VecDeque::new(),
            queued: 0,
        }
    }
}

impl<T: Keyed> Scheduler<T> {
    pub fn push(&mut self, item: T) {
        self.queued += 1;
        let Some(key) = item.key().map(str::to_owned) else {
            self.unordered.push_back(item);
            return;
        };
        // Most keys hold one message at a time: room for one, not the default four (an item is
        // large, and the spare room would be allocated for every key).
        let queue = self
            .keyed
            .entry(key.clone())
            .or_insert_with(|| VecDeque::with_capacity(1));
        queue.push_back(item);
        if queue.len() == 1 && !self.held.contains(&key) {
            self.ready.push_back(key);
        }
    }

    /// Messages waiting (not yet in a batch).
    pub fn queued(&self) -> usize {
        self.queued
    }

    pub fn has_runnable(&self) -> bool {
        !self.ready.is_empty() || !self.unordered.is_empty()
    }

    /// Up to `max` runnable messages, and the keys now held until [`Scheduler::release`].
    /// A key's messages come out together, in queue order.
    pub fn take(&mut self, max: usize) -> (Vec<T>, Vec<String>) {
        // Sized once: growing by doubling would copy every (large) item again.
        let mut items = Vec::with_capacity(max.min(self.queued));
        let mut keys = Vec::new();
        while items.len() < max {
            if let Some(key) = self.ready.pop_front() {
                if let Some(queue) = self.keyed.get_mut(&key) {
                    while items.len() < max {
                        let Some(item) = queue.pop_front() else { break };
                        items.push(item);
                    }
                }
                self.held.insert(key.clone());
                keys.push(key);
            } else if let Some(item) = self.unordered.pop_front() {
                items.push(item);
            } else {
                break;
            }
        }
        self.queued -= items.len();
        (items, keys)
    }

    /// The batch holding `key` is over: its next messages may run.
    pub fn release(&mut self, key: &str) {
        self.held.remove(key);
        match self.keyed.get(key) {
            Some(queue) if !queue.is_empty() => self.ready.push_back(key.to_string()),
            _ => {
                self.keyed.remove(key);
            }
        }
    }

    /// Gives back `items` of a held `key` (a retry waits): they run before anything queued
    /// after them. The key stays held until released.
    pub fn put_back(&mut self, key: &str, items: VecDeque<T>) {
        self.queued += items.len();
        let queue = self.keyed.entry(key.to_string()).or_default();
        for item in items.into_iter().rev() {
            queue.push_front(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct M(Option<&'static str>, u32);
    impl Keyed for M {
        fn key(&self) -> Option<&str> {
            self.0
        }
    }

    #[test]
    fn a_held_key_waits_while_other_keys_and_unkeyed_messages_run() {
        let mut s = Scheduler::default();
        for m in [
            M(Some("a"), 1),
            M(Some("b"), 2),
            M(Some("a"), 3),
            M(None, 4),
        ] {
            s.push(m);
        }
        let (first, keys) = s.take(2);
        assert_eq!(first, vec![M(Some("a"), 1), M(Some("a"), 3)]);
        assert_eq!(keys, vec!["a".to_string()]);
        s.push(M(Some("a"), 5));
        let (second, _) = s.take(10);
        assert_eq!(second, vec![M(Some("b"), 2), M(None, 4)], "a is held");
        s.put_back("a", VecDeque::from([M(Some("a"), 3)]));
        assert!(!s.has_runnable());
        s.release("a");
        let (third, _) = s.take(10);
        assert_eq!(
            third,
            vec![M(Some("a"), 3), M(Some("a"), 5)],
            "queue order kept"
        );
        assert_eq!(s.queued(), 0);
    }
}
