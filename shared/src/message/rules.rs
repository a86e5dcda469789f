//! The checks of [`crate::validate`] (the HTTP input rules), for fields of decoded messages:
//! a message from the bus is held to the bounds a request is held to (lengths, email syntax).
//! One difference: control characters in texts are not refused here. HTTP refuses them at the
//! door, and every renderer escapes them; refusing them on the bus would dead-letter events
//! that the system published itself before the HTTP rule existed.

use super::events::Recipient;
use crate::validate;

/// Names and display texts: as HTTP takes them (at most 200 characters, no control characters).
pub const NAME_MAX: usize = 200;
/// Links carried in messages (accept URLs).
pub const URL_MAX: usize = 2048;

fn reason(err: validate::Invalid) -> String {
    format!("{} {}", err.field, err.reason)
}

pub fn text(field: &str, value: &str, max: usize) -> Result<(), String> {
    // `validate::text` with the control characters taken out of the check.
    validate::text(field, &value.replace(char::is_control, " "), max)
        .map(drop)
        .map_err(reason)
}

pub fn email(field: &str, value: &str) -> Result<(), String> {
    validate::email(field, value).map(drop).map_err(reason)
}

pub fn recipient(field: &str, recipient: &Recipient) -> Result<(), String> {
    text(&format!("{field}.name"), &recipient.name, NAME_MAX)?;
    email(&format!("{field}.email"), &recipient.email)
}
