//! What became of replayed updates, in words: applied, superseded, failed again, or still
//! waiting (the replay goes through the apply queue, so the outcome comes a moment later).

use crate::ledger::Entry;
use shared::web::escape;

/// One replayed update's outcome, and whether it is still to come: an entry that finished
/// before the replay (`since`, Unix milliseconds) still shows the outcome from before it.
pub fn words(entry: &Entry, since: Option<i64>) -> (String, bool) {
    let before_the_replay = since.is_some_and(|since| {
        entry
            .finished_at
            .is_none_or(|finished| finished.timestamp_millis() < since)
    });
    if before_the_replay {
        return ("Waiting for the outcome".to_string(), true);
    }
    match entry.state.as_str() {
        "Applied" | "Resolved" => ("Applied".to_string(), false),
        "Superseded" => (
            "Superseded: the copy already held newer values".to_string(),
            false,
        ),
        "Failed" => (
            format!(
                "Failed again: {}",
                entry.error.as_deref().unwrap_or("no reason given")
            ),
            false,
        ),
        _ => ("Waiting for the outcome".to_string(), true),
    }
}

/// The outcome section for the replayed `entries`, and whether any outcome is still to come.
pub fn section(entries: &[Entry], since: Option<i64>) -> (String, bool) {
    let mut pending = false;
    let mut rows = String::new();
    for entry in entries {
        let (text, waiting) = words(entry, since);
        pending |= waiting;
        rows.push_str(&format!(
            "<li data-update=\"{id}\"><span class=\"record\">{object} {record}</span>: \
             <strong class=\"outcome\">{text}</strong></li>",
            id = entry.update_id,
            object = escape(&entry.receiver_object),
            record = escape(&entry.receiver_record_id),
            text = escape(&text),
        ));
    }
    let html = format!(
        "<section id=\"replay-outcome\" aria-live=\"polite\"><h2>Replayed</h2><ul>{rows}</ul>{note}</section>",
        note = if pending {
            "<p>This page refreshes until every outcome is known.</p>"
        } else {
            ""
        },
    );
    (html, pending)
}
