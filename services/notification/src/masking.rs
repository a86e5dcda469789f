//! SMTP servers repeat addresses in their replies (Postfix: `5.1.1 <someone@example.com>: ...`).
//! Every reply that is logged or stored for display goes through [`mask_addresses`] first.

use shared::telemetry::mask_email;

/// `text` with every word that holds an `@` replaced by its masked form (`s***@example.com`).
pub fn mask_addresses(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if is_separator(c) {
            flush(&mut word, &mut masked);
            masked.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut masked);
    masked
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | '"' | '\''
        )
}

fn flush(word: &mut String, out: &mut String) {
    if word.contains('@') {
        // A trailing colon or dot belongs to the sentence, not the address.
        let trimmed = word.trim_end_matches([':', '.']);
        out.push_str(&mask_email(trimmed));
        out.push_str(&word[trimmed.len()..]);
    } else {
        out.push_str(word);
    }
    word.clear();
}

#[cfg(test)]
mod tests {
    use super::mask_addresses;

    #[test]
    fn addresses_in_a_postfix_reply_are_masked() {
        assert_eq!(
            mask_addresses("550 5.1.1 <someone@example.com>: Recipient address rejected"),
            "550 5.1.1 <s***@example.com>: Recipient address rejected"
        );
        assert_eq!(
            mask_addresses("user jane.doe@corp.example: unknown."),
            "user j***@corp.example: unknown."
        );
        assert_eq!(mask_addresses("421 try later"), "421 try later");
    }
}
